import { describe, expect, it } from 'vitest';
import { benchResult, latencies } from '../testing/bench-results.js';
import { compareToBaseline } from '../../../shared/bench-comparisons.js';

/** The comparisons of a run of `samples[0]` (the baseline) against each of the others. */
function judge(models: string[], samples: number[][]) {
  return compareToBaseline(
    models.map((m, i) => benchResult(m, samples[i]!)),
    samples,
  );
}

describe('a benchmark’s ratios, judged against the run’s noise as tune and Compare judge them', () => {
  const original = latencies(1, 0.04);

  it('says faster, slower and same from the samples, and unreliable for a run that spreads too much', () => {
    const samples = [
      original,
      latencies(0.5, 0.02),
      latencies(1.5, 0.06),
      latencies(1.02, 0.04),
      latencies(1, 0.9),
    ];
    const judged = judge(['a.onnx', 'fast.onnx', 'slow.onnx', 'same.onnx', 'wild.onnx'], samples);
    expect(judged.map((c) => [c.model, c.baseline, c.latencyVerdict, c.latencyUnreliable])).toEqual([
      ['fast.onnx', 'a.onnx', 'faster', undefined],
      ['slow.onnx', 'a.onnx', 'slower', undefined],
      ['same.onnx', 'a.onnx', 'same', undefined],
      ['wild.onnx', 'a.onnx', 'same', true],
    ]);
    expect(judged[0]?.p50Ratio).toBeCloseTo(0.5, 2);
    expect(judged[0]?.sizeRatio).toBe(1);
  });

  it('reads 0.81x of a run whose middle half spans 40% of the median as the same speed', () => {
    const [c] = judge(['a.onnx', 'b.onnx'], [latencies(1, 0.4), latencies(0.81, 0.35)]);
    expect(c?.p50Ratio).toBeCloseTo(0.81, 2);
    expect(c?.latencyVerdict).toBe('same');
  });

  it('judges the same model given twice by position, not by path', () => {
    const judged = judge(
      ['a.onnx', 'a.onnx', 'a.onnx'],
      [original, latencies(0.5, 0.02), latencies(1, 0.04)],
    );
    expect(judged.map((c) => c.latencyVerdict)).toEqual(['faster', 'same']);
  });

  it('has nothing to compare for one model', () => {
    expect(judge(['a.onnx'], [original])).toEqual([]);
  });
});
