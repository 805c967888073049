import { describe, expect, it } from 'vitest';
import { noTop1Note } from './no-top1-note.js';

const WHY = 'with 4 or more dims it is taken for a feature map, whose last axis is not classes';
const cache = (layers: number, dims = [1, 2, 12, 8]) =>
  Array.from({ length: layers }, (_, n) => [
    { name: `present.${n}.key`, dims },
    { name: `present.${n}.value`, dims },
  ]).flat();

describe('the note on outputs with no top-1 agreement', () => {
  it("names a decoder's alike cache outputs as their layer range, with how many and their shape", () => {
    expect(noTop1Note(cache(32), WHY)).toBe(
      `outputs present.0..31.key/value (64 outputs, each [1, 2, 12, 8]) have no top-1 agreement; for each, the same reason: ${WHY}.`,
    );
    // Beside an output of its own, and one layer fed another length: each named.
    const odd = cache(4).map((o) => (o.name === 'present.3.value' ? { ...o, dims: [1, 2, 13, 8] } : o));
    expect(noTop1Note([{ name: 'fm', dims: [1, 1, 6, 4] }, ...odd], WHY)).toBe(
      "outputs 'fm' ([1, 1, 6, 4]), present.0.key … present.3.key (7 outputs, each [1, 2, 12, 8]) and " +
        `'present.3.value' ([1, 2, 13, 8]) have no top-1 agreement; for each, the same reason: ${WHY}.`,
    );
  });

  it('names each output where there are fewer than 3 alike, or a single cache-like name', () => {
    expect(noTop1Note(cache(1), WHY)).toBe(
      "outputs 'present.0.key' ([1, 2, 12, 8]) and 'present.0.value' ([1, 2, 12, 8]) have no top-1 agreement; " +
        `for each, the same reason: ${WHY}.`,
    );
    expect(noTop1Note([{ name: 'present', dims: [1, 2, 12, 8] }], WHY)).toBe(
      `output 'present' ([1, 2, 12, 8]) has no top-1 agreement: ${WHY}.`,
    );
    // Three alike feature maps that are no cache keep their names.
    const maps = ['a', 'b', 'c'].map((name) => ({ name, dims: [1, 4, 8, 8] }));
    expect(noTop1Note(maps, WHY)).toMatch(/^outputs 'a' \(\[1, 4, 8, 8\]\), 'b' .* and 'c' /);
  });
});
