import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from './csv.js';

describe('CSV', () => {
  it('quotes what needs quoting and ends lines with CRLF', () => {
    expect(
      toCsv(
        ['variant', 'p50_ms'],
        [
          ['int8, "fast"', 0.25],
          ['original', undefined],
        ],
      ),
    ).toBe('variant,p50_ms\r\n"int8, ""fast""",0.25\r\noriginal,\r\n');
  });

  it('keeps full precision and drops non-finite numbers', () => {
    expect(csvCell(0.1234567891)).toBe('0.1234567891');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('defuses spreadsheet formulas in names that come from model files', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1')).toBe("'-1");
  });
});
