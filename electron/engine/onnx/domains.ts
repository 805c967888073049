/*
 * Operator domains: `ai.onnx` and `""` both name the default domain (files use either spelling).
 */

/** The canonical spelling of an operator domain: `ai.onnx` is the default domain `""`. */
export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

/** Whether a node's (or opset import's) domain is the default ONNX domain, in either spelling. */
export function isDefaultDomain(domain: string): boolean {
  return normalizeDomain(domain) === '';
}
