/** Number and name formatting shared by the views. English formatting until the UI is localized. */

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

/** Binary units, because that is how file managers on Windows and Linux report model sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
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
