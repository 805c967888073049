/** Number and name formatting shared by the views. English formatting until the UI is localized. */

export { formatBytes } from '../../shared/format-bytes.js';

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const exact = new Intl.NumberFormat('en');

/** 3487816 → "3.5M". */
export function formatCount(n: number): string {
  return compact.format(n);
}

/** 1 → "1 node", 3 → "3 nodes" (a body of one node read "1 nodes"). */
export function formatNodeCount(n: number): string {
  return `${n} ${n === 1 ? 'node' : 'nodes'}`;
}

/** 3487816 → "3,487,816". */
export function formatExact(n: number): string {
  return exact.format(n);
}

/** Static dims as numbers, symbolic dims by name, unknown dims as `?`; `[]` is a scalar. */
export function formatShape(shape: readonly (number | string | null)[]): string {
  if (shape.length === 0) return 'scalar';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** The default ONNX domain is stored as "" in the model. */
export function formatDomain(domain: string): string {
  return domain === '' ? 'ai.onnx' : domain;
}

/** The last path segment, for both POSIX and Windows paths. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}
