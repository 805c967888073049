import { describe, expect, it } from 'vitest';
import { fitLine, labelLines, textWidth } from './chart-labels.js';

describe("a category name in its chart's room", () => {
  const words = (name: string) => name.split(' ');

  it('is whole on one line where it fits, else on two broken at a space', () => {
    expect(labelLines('structured 10% (nothing pruned)', 260, 12)).toEqual([
      'structured 10% (nothing pruned)',
    ]);
    expect(labelLines('structured 10% (nothing pruned)', 186, 12)).toEqual([
      'structured 10% (nothing',
      'pruned)',
    ]);
  });

  it('keeps its start and its end where two lines are not enough, leaving whole words out (never two half-words)', () => {
    const name = 'int8-dynamic with a very long descriptive name for the final classifier layer only';
    const lines = labelLines(name, 186, 12);
    expect(lines).toEqual(['int8-dynamic with a very', '… final classifier layer only']);
    for (const line of lines) {
      expect(textWidth(line, 12)).toBeLessThanOrEqual(186);
      for (const w of words(line)) expect(w === '…' || words(name).includes(w)).toBe(true);
    }
    // Two names that differ only at the end stay apart.
    expect(labelLines(`${name} (2)`, 186, 12)).not.toEqual(lines);
  });

  it('cuts only a single word wider than a line, at its end', () => {
    const [line] = labelLines('a_name_without_any_spaces_that_goes_on_and_on', 100, 12);
    expect(line!.endsWith('…')).toBe(true);
    expect(textWidth(line!, 12)).toBeLessThanOrEqual(100);
    expect(fitLine('short', 100, 12)).toBe('short');
  });
});
