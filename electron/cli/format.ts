/** Human-readable formatting for the CLI's tables. */

export { formatBytes } from '../../shared/format-bytes.js';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A plain-text table: columns padded to their widest cell, numbers right-aligned. `measurements`: every
 * column but the first is right-aligned, for figures written with their units ("233 ms", "0.27x").
 */
export function formatTable(
  headers: string[],
  rows: (string | number)[][],
  options: { measurements?: boolean } = {},
): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) =>
      (options.measurements === true && i > 0) ||
      (rows.length > 0 && rows.every((r) => typeof r[i] === 'number')),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  // A column without a header (a matrix's corner, whose rows are labelled) gets no rule: a lone `-` under an
  // empty header read as a stray character.
  const rule = widths.map((w, i) => (headers[i] === '' ? ' ' : '-').repeat(w)).join('  ');
  return [line(headers), rule, ...cells.slice(1).map(line)].join('\n');
}

/** Rows of a per-node or per-layer table printed unless --all is given (--json always lists every row). */
export const LISTED_ROWS = 20;

/**
 * A table of at most LISTED_ROWS rows unless `all`, ending with a line that says how many more there are
 * and how to see them: a 20,000-layer model printed 20,000 lines.
 */
export function formatListedTable(headers: string[], rows: (string | number)[][], all: boolean): string {
  if (all || rows.length <= LISTED_ROWS) return formatTable(headers, rows);
  const more = rows.length - LISTED_ROWS;
  return `${formatTable(headers, rows.slice(0, LISTED_ROWS))}\n... and ${formatCount(more)} more (all ${formatCount(rows.length)} with --all or --json)`;
}

export function formatShape(shape: (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Accuracy points gained (positive) or lost, e.g. `-0.56 pts`, `0.00 pts`. */
export function formatPoints(points: number): string {
  const rounded = Math.round(points * 100) / 100;
  return `${rounded > 0 ? '+' : ''}${(rounded === 0 ? 0 : rounded).toFixed(2)} pts`;
}
