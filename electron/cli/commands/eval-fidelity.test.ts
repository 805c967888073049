import { describe, expect, it } from 'vitest';
import type { OutputFidelity } from '../../engine/evaluate/fidelity-metrics.js';
import { fidelityLegend, fidelityRows } from './eval.js';

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
