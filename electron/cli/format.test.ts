import { describe, expect, it } from 'vitest';
import { LISTED_ROWS, formatListedTable, formatTable } from './format.js';

describe('formatTable', () => {
  it('pads columns, right-aligning numbers only unless the table holds measurements', () => {
    const rows = [
      ['a', 12, '3 ms'],
      ['bbb', 4, '120 ms'],
    ];
    expect(formatTable(['name', 'n', 'time'], rows).split('\n')).toEqual([
      'name   n  time',
      '----  --  ------',
      'a     12  3 ms',
      'bbb    4  120 ms',
    ]);
    expect(formatTable(['name', 'n', 'time'], rows, { measurements: true }).split('\n')).toEqual([
      'name   n    time',
      '----  --  ------',
      'a     12    3 ms',
      'bbb    4  120 ms',
    ]);
  });

  it('draws no rule under an empty header (a confusion matrix corner)', () => {
    // Rows as eval prints them: the true class, then the counts per predicted class.
    const rows = [
      ['0', 4, 0],
      ['1', 0, 17],
    ];
    expect(formatTable(['', '0', '1'], rows).split('\n')).toEqual(['   0   1', '   -  --', '0  4   0', '1  0  17']);
  });
});

describe('formatListedTable', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => [`node${i}`, i]);

  it('prints short tables whole', () => {
    expect(formatListedTable(['Node', 'i'], rows(LISTED_ROWS), false)).toBe(
      formatTable(['Node', 'i'], rows(LISTED_ROWS)),
    );
  });

  it('cuts long tables to the first rows and says how many more, unless all are asked for', () => {
    const text = formatListedTable(['Node', 'i'], rows(1234), false);
    expect(text.split('\n')).toHaveLength(2 + LISTED_ROWS + 1);
    expect(text).toMatch(/node19\s+19\n\.\.\. and 1,214 more \(all 1,234 with --all or --json\)$/);
    expect(formatListedTable(['Node', 'i'], rows(1234), true).split('\n')).toHaveLength(2 + 1234);
  });
});
