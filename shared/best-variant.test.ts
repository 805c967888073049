import { describe, expect, it } from 'vitest';
import { bestBadge, bestVariant, describeBest, describeNoBest, describeRule, measureOf, qualityDrop } from './best-variant.js';
import { ratioNoise } from './latency-noise.js';
import type { ComparisonRow } from './report.js';

function row(name: string, p50Ratio: number | undefined, sizeRatio: number, quality: Partial<ComparisonRow> = {}): ComparisonRow {
  return {
    target: name === 'original' ? 'original' : `v-${name}`,
    name,
    path: `/m/${name}.onnx`,
    fileBytes: Math.round(1000 * sizeRatio),
    sizeRatio,
    ...(p50Ratio === undefined
      ? {}
      : { latency: { p50Ms: p50Ratio, p90Ms: p50Ratio, p99Ms: p50Ratio, meanMs: p50Ratio, p50Ratio, label: 'cpu', recordId: 'b' } }),
    ...quality,
  };
}

const original = row('original', 1, 1, { accuracy: 0.99, accuracyDelta: 0 });

describe('bestVariant', () => {
  it('keeps the fastest variant within the budget, not the fastest one', () => {
    const rows = [
      original,
      row('int8-static', 0.35, 0.26, { accuracyDelta: -0.003 }),
      row('pruned', 0.3, 0.5, { accuracyDelta: -0.2 }),
      row('fp16', 1, 0.5, { accuracyDelta: 0 }),
    ];
    const best = bestVariant(rows)!;
    expect(best.row.name).toBe('int8-static');
    expect(best.dropPoints).toBeCloseTo(0.3, 9);
    expect(describeBest(best)).toBe(
      'int8-static: 0.35x p50 latency on cpu, 0.26x size of the original, 0.30 pts of accuracy lost (budget 0.5 pts)',
    );
  });

  it('breaks a latency tie by size, and takes a smaller variant that is no faster', () => {
    expect(bestVariant([original, row('a', 0.8, 0.6, { accuracyDelta: 0 }), row('b', 0.8, 0.4, { accuracyDelta: 0 })])?.row.name).toBe('b');
    expect(bestVariant([original, row('fp16', 1, 0.5, { accuracyDelta: 0 })])?.row.name).toBe('fp16');
  });

  it('judges by top-1 agreement when there are no labels, and never picks an unmeasured variant', () => {
    const agree = (a: number) => ({ fidelity: { cosine: 0.99, sqnrDb: 30, top1Agreement: a } });
    expect(bestVariant([original, row('close', 0.5, 0.3, agree(0.996)), row('far', 0.4, 0.3, agree(0.99))])?.row.name).toBe('close');
    expect(qualityDrop(row('close', 0.5, 0.3, agree(0.996)))).toEqual({ points: expect.closeTo(0.4, 9), measure: 'top-1 agreement' });
    expect(bestVariant([original, row('unevaluated', 0.3, 0.3), row('unbenched', undefined, 0.3, { accuracyDelta: 0 })])).toBeUndefined();
  });

  it('finds none when every variant is slower and no smaller, or loses too much', () => {
    expect(bestVariant([original, row('slow', 1.09, 1, { accuracyDelta: 0 }), row('lossy', 0.5, 0.3, { accuracyDelta: -0.0051 })])).toBeUndefined();
    // A wider budget takes the lossy one.
    expect(bestVariant([original, row('lossy', 0.5, 0.3, { accuracyDelta: -0.0051 })], 1)?.row.name).toBe('lossy');
  });

  it('gives cosine-only evaluations a budget (cosine at least 0.99) and says so', () => {
    const cos = (c: number) => ({ fidelity: { cosine: c, sqnrDb: 30, top1Agreement: null } });
    const rows = [original, row('fp16', 0.98, 0.5, cos(1)), row('int8-static', 0.4, 0.26, cos(0.99991)), row('int4', 0.3, 0.2, cos(0.9757))];
    const best = bestVariant(rows)!;
    expect(best.row.name).toBe('int8-static');
    expect(best.measure).toBe('cosine');
    expect(describeBest(best)).toBe(
      'int8-static: 0.40x p50 latency on cpu, 0.26x size of the original, output cosine 0.99991 (budget: at least 0.99)',
    );
    expect(measureOf(rows)).toBe('cosine');
    expect(describeNoBest('cosine')).toBe('No variant is faster or smaller than the original with output cosine at least 0.99');
    expect(bestVariant([original, row('int4', 0.3, 0.2, cos(0.9757))])).toBeUndefined();
    expect(bestVariant(rows, { maxDropPoints: 0.5, minCosine: 0.97 })?.row.name).toBe('int4');
  });

  it('calls a kept variant that is not faster the smallest, and picks the smallest of those', () => {
    const same = { accuracyDelta: 0 };
    const best = bestVariant([original, row('fp16', 1.06, 0.5, same), row('int8', 1.01, 0.26, same), row('slow', 1.02, 0.9, same)])!;
    expect(best.row.name).toBe('int8');
    expect(best.chosenAs).toBe('smallest');
    expect(describeRule(best, 'accuracy')).toMatch(/^the smallest variant with at most 0.5 pts of accuracy lost: none within the budget is faster/);
    expect(bestVariant([original, row('fp16', 1.06, 0.5, same), row('int8', 0.8, 0.26, same)])!.chosenAs).toBe('fastest');
  });

  it('decides on one engine: a row timed on another engine than the first candidate is left out', () => {
    const web = row('web', 0.2, 0.3, { accuracyDelta: 0 });
    web.latency = { ...web.latency!, label: 'onnxruntime-web wasm' };
    const best = bestVariant([original, row('node', 0.5, 0.3, { accuracyDelta: 0 }), web])!;
    expect(best.row.name).toBe('node');
    expect(best.engine).toBe('cpu');
  });
});

describe('bestVariant and the run’s noise', () => {
  /** n samples with median m and interquartile range iqr (logistic quantiles), plus `slow` runs of slowMs. */
  const samples = (m: number, iqr: number, n = 200, slow = 0, slowMs = 10 * m) => [
    ...Array.from({ length: n - slow }, (_, i) => {
      const u = (i + 0.5) / (n - slow);
      return m + (iqr / (2 * Math.log(3))) * Math.log(u / (1 - u));
    }),
    ...Array.from({ length: slow }, () => slowMs),
  ];
  const spread = (s: number[]) => {
    const sorted = [...s].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.round((sorted.length - 1) * p)]!;
    return { iterations: s.length, p50Ms: at(0.5), p90Ms: at(0.9), samples: s };
  };
  /** A variant timed in its own run against an original at `originalMs` (its noise as compareTargets adds it). */
  const measured = (name: string, ms: number, iqr: number, sizeRatio: number, originalMs: number, quality: Partial<ComparisonRow>, noisy = false) => {
    const v = spread(samples(ms, iqr, noisy ? 100 : 200, noisy ? 15 : 0));
    const o = spread(samples(originalMs, noisy ? 0.1 : 0.029, noisy ? 100 : 200, noisy ? 15 : 3, noisy ? 13 : 4.5));
    const r = row(name, v.p50Ms / o.p50Ms, sizeRatio, quality);
    r.latency = { ...r.latency!, p50Ms: v.p50Ms, noise: ratioNoise(v, o)! };
    return r;
  };
  const cosine = (c: number): Partial<ComparisonRow> => ({ fidelity: { cosine: c, sqnrDb: null, top1Agreement: null } });

  it('never calls a variant best that is no smaller and only faster within noise (the OCR model’s int4 at x0.97)', () => {
    const int4 = measured('int4', 0.486, 0.028, 1.06, 0.501, cosine(1));
    const int8dyn = measured('int8-dynamic', 0.485, 0.042, 1.06, 0.494, cosine(1));
    expect(int4.latency!.p50Ratio).toBeLessThan(0.98);
    // Before: int4 was best, "the fastest variant", at 0.97x p50 and 1.06x the size.
    expect(bestVariant([original, int4, int8dyn])).toBeUndefined();
    const fp16 = measured('fp16', 0.453, 0.09, 0.61, 0.447, cosine(1));
    const best = bestVariant([original, int4, int8dyn, fp16])!;
    expect(best.row.name).toBe('fp16');
    expect(best.chosenAs).toBe('smallest');
    expect(best.speed).toBe('same');
  });

  it('says a ratio it read as noise is within noise, next to the number', () => {
    const fp16 = measured('fp16', 0.486, 0.028, 0.5, 0.501, cosine(1));
    const best = bestVariant([original, fp16])!;
    expect(describeBest(best)).toBe(
      'fp16: 0.97x p50 latency (within noise: the same speed as the original) on cpu, 0.50x size of the original, ' +
        'output cosine 1.00000 (budget: at least 0.99)',
    );
    expect(describeRule(best, best.measure)).toContain("none within the budget is faster than the original beyond the run's noise");
  });

  it('picks the smaller of two variants within noise of each other, both faster than the original', () => {
    const a = measured('a', 0.5, 0.03, 0.9, 1, { accuracyDelta: 0 });
    const b = measured('b', 0.51, 0.03, 0.3, 1, { accuracyDelta: 0 });
    const best = bestVariant([original, a, b])!;
    expect(best.row.name).toBe('b');
    expect(best.chosenAs).toBe('fastest');
    expect(best.speed).toBe('faster');
    // The rule says a faster-looking variant lost the tie, and which: "the fastest variant" above a faster-looking
    // x0.59 read as a mistake (the user test's tuned int8-static at x0.67 over magnitude 30% + int8-static).
    expect(best.fastestMeasured).toEqual({ name: 'a', p50Ratio: a.latency!.p50Ratio });
    expect(describeRule(best, best.measure)).toBe(
      'the smallest of the variants with at most 0.5 pts of accuracy lost whose speed is within noise of the fastest: ' +
        `a measured faster (${a.latency!.p50Ratio!.toFixed(2)}x p50 latency), but the runs cannot tell the two speeds apart, so the smaller file wins`,
    );
    expect(bestBadge(best)).toBe('best: fast + small');
    // A clearly faster one still wins over a smaller one, and is simply the fastest.
    const clear = bestVariant([original, measured('a', 0.3, 0.02, 0.9, 1, { accuracyDelta: 0 }), b])!;
    expect(clear.row.name).toBe('a');
    expect(clear.fastestMeasured).toBeUndefined();
    expect(describeRule(clear, clear.measure)).toMatch(/^the fastest variant \(then the smallest\)/);
    expect(bestBadge(clear)).toBe('best: fastest');
  });

  it('badges a variant chosen for its size as the smallest, and never as "best" alone where it is slower', () => {
    // The user test: the MLP's int8-dynamic at x1.47 and an external-data model's int8-weight at x4.15, both
    // tagged "best" above a sentence that explained they were only the smallest.
    const slower = bestVariant([original, row('int8-dynamic', 1.47, 0.32, { accuracyDelta: -0.005 })])!;
    expect(slower.chosenAs).toBe('smallest');
    expect(bestBadge(slower)).toBe('smallest (slower)');
    const same = bestVariant([original, row('fp16', 1, 0.5, { accuracyDelta: 0 })])!;
    expect(bestBadge(same)).toBe('best: smallest');
  });

  it('calls nothing faster from a run too noisy to tell (a browser run with p90 at 15x p50)', () => {
    const magnitude = measured('magnitude 30%', 0.38, 0.05, 1.05, 0.74, cosine(0.9986), true);
    expect(magnitude.latency!.noise!.unreliable).toBe(true);
    expect(bestVariant([original, magnitude])).toBeUndefined();
    const small = measured('int8-weight', 0.41, 0.05, 0.45, 0.74, cosine(0.99999), true);
    const best = bestVariant([original, magnitude, small])!;
    expect(best.row.name).toBe('int8-weight');
    expect(best.chosenAs).toBe('smallest');
    expect(describeBest(best)).toContain('(from a run too noisy to tell speeds apart: the same speed as the original)');
  });
});
