/**
 * Tables as CSV (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled, lines end
 * in CRLF. Numbers are written in full precision so spreadsheets get the measured values, not the rounded
 * ones the page shows. A cell starting with = + - @ is prefixed with ' so a spreadsheet does not run it as
 * a formula (a model or node name comes from an untrusted file).
 */
export type CsvCell = string | number | boolean | null | undefined;

export function csvCell(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
  let text = String(cell);
  if (/^[=+\-@\t\r]/.test(text) && typeof cell === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
