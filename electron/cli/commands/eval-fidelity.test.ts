import { describe, expect, it } from 'vitest';
import type { OutputFidelity } from '../../engine/evaluate/fidelity-metrics.js';
import { fidelityLegend, fidelityRows, fidelityTable } from './eval.js';

/* eval's fidelity table: which figures each kind of output shows. */

const figures = (output: string, over: Partial<OutputFidelity>): OutputFidelity => ({
  output,
  cosine: 0.996025,
  worstSampleCosine: 0.99,
  sqnrDb: 20,
  maxAbsErr: 1,
  meanAbsErr: 0.01,
  top1Agreement: null,
  exact: false,
  valueAgreement: null,
  ...over,
});

describe('eval fidelity rows', () => {
  it("shows '-' for the cosines of an integer output, whose worst per-sample cosine read above the whole", () => {
    // An int64 ArgMax `label [1]`: one value per sample, so every sample's cosine is 1 beside an overall 0.996.
    const label = figures('label', { worstSampleCosine: 1, valueAgreement: 0.99 });
    const logits = figures('logits', { top1Agreement: 0.99 });
    const [labelRow, logitsRow] = fidelityRows([label, logits]);
    expect(labelRow!.slice(0, 3)).toEqual(['label', '-', '-']);
    expect(labelRow!.at(-1)).toBe('99.00%');
    // A float output keeps its figures.
    expect(logitsRow!.slice(0, 3)).toEqual(['logits', '0.996025', '0.990000']);
    expect(logitsRow!.at(-1)).toBe('-');
  });
});

describe('eval fidelity legend', () => {
  it('counts the positions compared and says how many padded ones were left out, and by what', () => {
    // A user test read "192 positions in 12 samples" where 4 were padding.
    const logits = figures('logits', {
      top1Agreement: 0.9,
      top1Positions: 188,
      padded: { positions: 4, by: 'attention_mask' },
    });
    expect(fidelityLegend([logits], 12)).toEqual([
      'Top-1 agreement of logits: per position, the argmax over its last axis at each of its 188 positions in 12 samples (4 padded positions left out, by attention_mask).',
    ]);
    const { padded: _padded, ...unpadded } = logits;
    expect(fidelityLegend([{ ...unpadded, top1Positions: 192 }], 12)[0]).toMatch(
      /192 positions in 12 samples\.$/,
    );
  });
});

describe("eval's fidelity table on a decoder with a KV cache", () => {
  // 4 layers: 8 cache outputs beside logits; layer n's error grows with n (kv-cache-layers.ts).
  const layers = 4;
  const present = Array.from({ length: layers }, (_, n) =>
    ['key', 'value'].map((part, p) =>
      figures(`present.${n}.${part}`, {
        cosine: 0.9999 - n * 0.0001 - p * 0.00001,
        worstSampleCosine: 0.9998 - n * 0.0001,
        sqnrDb: 40 - n,
        maxAbsErr: 0.01 * (n + 1) + (n === 1 && part === 'key' ? 0.1 : 0),
        meanAbsErr: 0.001 * (n + 1),
      }),
    ),
  ).flat();
  const logits = figures('logits', { top1Agreement: 0.99, top1Positions: 128 });
  const cacheInputs = (n: number) =>
    Array.from({ length: n }, (_, l) =>
      ['key', 'value'].map((part) => ({ name: `past_key_values.${l}.${part}`, shape: [1, 2, 0, 8] })),
    ).flat();
  const fed = [{ name: 'input_ids', shape: [1, 128] }, ...cacheInputs(layers)];

  it('shows the cache outputs as one row of their worst figures, logits as its own, and names the worst', () => {
    const lines = fidelityTable([logits, ...present], fed);
    const table = lines[0]!.split('\n');
    expect(table).toHaveLength(4); // header, rule, logits, the cache
    expect(table[2]).toMatch(/^logits +0\.996025 +0\.990000 +20\.00 .* 99\.00%$/);
    // Each figure the worst of the 8: cosine of present.3.value, SQNR of layer 3, the max abs err of present.1.key.
    expect(table[3]!.split(/ {2,}/)).toEqual([
      'present.0..3.key/value (8 outputs)',
      '0.999590',
      '0.999500',
      '37.00',
      '0.1200',
      '0.0040',
      '-',
    ]);
    expect(lines.slice(1)).toEqual([
      'present.0..3.key/value: each figure is the worst of the 8 outputs (lowest cosine present.3.value, largest max abs err present.1.key); --json lists each.',
    ]);
  });

  it('keeps a row per output where there is nothing to group', () => {
    const rows = (list: OutputFidelity[], inputs: typeof fed) =>
      fidelityTable(list, inputs)[0]!.split('\n').slice(2);
    // One layer: two cache outputs are no list to shorten.
    expect(rows([logits, ...present.slice(0, 2)], fed.slice(0, 3))).toHaveLength(3);
    // A single cache-like name stands alone too.
    expect(rows([logits, present[0]!], fed.slice(0, 2))[1]).toMatch(/^present\.0\.key /);
    // No cache inputs fed: outputs named like a cache are some other model's, each its own row.
    expect(rows([logits, ...present], fed.slice(0, 1))).toHaveLength(9);
    // An output with figures of its own (a top-1) is not folded into the group.
    const scored = present.map((f, i) => (i === 5 ? { ...f, top1Agreement: 0.5 } : f));
    const apart = rows([logits, ...scored], fed);
    expect(apart.map((r) => r.split(/ {2,}/)[0])).toEqual([
      'logits',
      'present.0.key … present.3.value (7 outputs)',
      'present.2.value',
    ]);
  });
});
