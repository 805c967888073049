/**
 * How a new variant is named, the same in the backend and the mock host: the method (with the sparsity for
 * pruning), prefixed by the variant it was made from, made unique with ` (2)`, ` (3)`, ...
 */
import type { Workspace } from './workspace.js';

export function defaultVariantName(
  step: { kind: 'quantize' | 'prune'; method: string; common?: Record<string, unknown> },
  parentName?: string,
): string {
  const sparsity = step.kind === 'prune' ? Number(step.common?.sparsity) : NaN;
  const own = Number.isFinite(sparsity) ? `${step.method} ${Math.round(sparsity * 100)}%` : step.method;
  return parentName ? `${parentName} + ${own}` : own;
}

/** A file-name-safe stem for a step: `int8-dynamic`, `structured30` (the sparsity in percent). */
export function stepSlug(step: { method: string; common?: Record<string, unknown> }): string {
  const sparsity = typeof step.common?.sparsity === 'number' ? `${Math.round(step.common.sparsity * 100)}` : '';
  return `${step.method}${sparsity}`.replace(/[^A-Za-z0-9]+/g, '-');
}

export function uniqueVariantName(ws: Pick<Workspace, 'variants'>, wanted: string): string {
  const taken = new Set(ws.variants.map((v) => v.name));
  if (!taken.has(wanted)) return wanted;
  for (let i = 2; ; i++) {
    const candidate = `${wanted} (${i})`;
    if (!taken.has(candidate)) return candidate;
  }
}
