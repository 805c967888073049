import { describe, expect, it } from 'vitest';
import {
  describeSpread,
  fasterBeyondNoise,
  latencySpread,
  noiseNote,
  ORIGINAL_BAND,
  ratioNoise,
  spreadTooLarge,
  type LatencySpreadInput,
} from './latency-noise.js';
import { summarize } from './latency-stats.js';

/**
 * `n` latencies (ms) with median `median` and interquartile range `iqr` (logistic quantiles, so deterministic),
 * plus `slow` stray runs of `slowMs` (a busy machine's tail), in run order.
 */
function latencies(median: number, iqr: number, n = 200, slow = 0, slowMs = median * 10): number[] {
  const s = iqr / (2 * Math.log(3));
  const out: number[] = [];
  for (let i = 0; i < n - slow; i++) {
    const u = (i + 0.5) / (n - slow);
    out.push(median + s * Math.log(u / (1 - u)));
  }
  for (let i = 0; i < slow; i++) out.push(slowMs);
  return out;
}

function run(samples: number[]): LatencySpreadInput {
  const stats = summarize(samples);
  return { iterations: stats.iterations, p50Ms: stats.p50Ms, p90Ms: stats.p90Ms, samples };
}

describe('a latency ratio within the run’s noise', () => {
  // The user's OCR model: int4 quantized nothing (the same graph, 1.06x the size) and measured x0.97 against
  // an original at 0.501 ms whose middle half spanned 0.029 ms and whose p99 was 4.5 ms.
  const original = run(latencies(0.501, 0.029, 200, 3, 4.5));
  const int4 = run(latencies(0.486, 0.028, 200));

  it('is the same speed, though the two medians’ own intervals do not overlap', () => {
    const noise = ratioNoise(int4, original)!;
    expect(noise.ratio).toBeCloseTo(0.97, 2);
    // Sampling error alone would call it faster: a few percent that no sample count averages out.
    expect(noise.ciHigh).toBeLessThan(1);
    expect(noise.verdict).toBe('same');
    expect(noise.high).toBeGreaterThan(1);
    expect(noise.unreliable).toBe(false);
    expect(noiseNote(noise)).toBe('within noise');
  });

  it('is faster or slower when the shift is past the spread', () => {
    expect(ratioNoise(run(latencies(0.4, 0.025)), original)?.verdict).toBe('faster');
    expect(ratioNoise(run(latencies(0.62, 0.03)), original)?.verdict).toBe('slower');
    expect(noiseNote(ratioNoise(run(latencies(0.4, 0.025)), original))).toBeUndefined();
  });

  it('needs the sampling interval too: a few runs never decide', () => {
    const few = ratioNoise(run([0.3, 0.31, 0.6, 0.29, 0.62]), run([0.5, 0.52, 0.49, 0.51, 0.8]))!;
    expect(few.ratio).toBeLessThan(0.7);
    expect(few.verdict).toBe('same');
  });

  it('estimates the spread from p50 and p90 when the run kept no samples, erring towards noise', () => {
    const bare = latencySpread({ iterations: 200, p50Ms: 0.5, p90Ms: 0.6 });
    expect(bare.estimated).toBe(true);
    expect(bare.iqrMs).toBeCloseTo(1.349 * (0.1 / 1.2816), 9);
    expect(
      ratioNoise({ iterations: 200, p50Ms: 0.485, p90Ms: 0.58 }, { iterations: 200, p50Ms: 0.5, p90Ms: 0.6 })
        ?.verdict,
    ).toBe('same');
    expect(
      ratioNoise({ iterations: 200, p50Ms: 0.25, p90Ms: 0.3 }, { iterations: 200, p50Ms: 0.5, p90Ms: 0.6 })
        ?.verdict,
    ).toBe('faster');
  });
});

describe('a run too noisy to tell speeds apart', () => {
  // The browser (wasm) runs: p90 10-15x the p50, no-op variants at x0.51-0.59 one run and x1.00-1.11 the next.
  const original = run(latencies(0.74, 0.1, 100, 15, 13));
  const magnitude = run(latencies(0.38, 0.05, 100, 15, 9));

  it('is unreliable, and calls nothing faster however far the medians are apart', () => {
    const noise = ratioNoise(magnitude, original)!;
    expect(noise.ratio).toBeLessThan(0.6);
    expect(noise.unreliable).toBe(true);
    expect(noise.verdict).toBe('same');
    expect(noiseNote(noise)).toBe('unreliable run');
    expect(describeSpread(noise)).toMatch(/^p90 is \d+\.\dx the p50$/);
    expect(fasterBeyondNoise(noise, ORIGINAL_BAND)).toBe(false);
  });

  it('has limits a quiet CPU run stays far inside: p90 at most 3x p50, IQR at most half the median', () => {
    expect(spreadTooLarge(latencySpread(run(latencies(0.5, 0.03, 200, 3, 4.5))))).toBe(false);
    expect(spreadTooLarge(latencySpread({ iterations: 100, p50Ms: 1, p90Ms: 3.2 }))).toBe(true);
    expect(spreadTooLarge(latencySpread(run(latencies(1, 0.6))))).toBe(true);
    expect(describeSpread({ tailRatio: 1.2, relativeIqr: 0.6 })).toBe(
      'the middle half of the runs spans 60% of the median',
    );
  });
});

describe('a run too noisy for the band, whose two models do not overlap at all', () => {
  // A 2-core machine under load (the app test's 48 MB MLP): the original spread 23.7-55.6 ms between its
  // quartiles, int8 6.5-11.0 ms. The IQR made the run unreliable and x0.18 read as the same speed.
  const original = run(latencies(40, 32));
  const int8 = run(latencies(7.6, 4.5));

  it('calls the variant faster by its quartiles, and the run reliable enough for that', () => {
    expect(spreadTooLarge(latencySpread(original))).toBe(true);
    const noise = ratioNoise(int8, original)!;
    expect(noise.ratio).toBeLessThan(0.2);
    expect(noise).toMatchObject({ verdict: 'faster', unreliable: false });
    expect(noiseNote(noise)).toBeUndefined();
    expect(fasterBeyondNoise(noise, ORIGINAL_BAND)).toBe(true);
    // And the other way round: the original is slower than the variant.
    expect(ratioNoise(original, int8)).toMatchObject({ verdict: 'slower', unreliable: false });
  });

  it('agrees with the Pareto rule on a moderate ratio, and needs 30 samples of each', () => {
    // A skewed original (quartiles about 9 / 10 / 16 ms: too noisy by its IQR) against a tight variant at 8 ms:
    // x0.8 was called faster while the band, at half the original's IQR, still held 1 and the front said the
    // same speed.
    const skewed = (n: number) => run(latencies(10, 12, n).map((ms) => (ms < 10 ? 10 - (10 - ms) / 6 : ms)));
    const noise = ratioNoise(run(latencies(8, 0.4)), skewed(200))!;
    expect(spreadTooLarge(latencySpread(skewed(200)))).toBe(true);
    expect(noise.ratio).toBeGreaterThan(0.75);
    expect(noise).toMatchObject({ verdict: 'faster', unreliable: false });
    expect(noise.high).toBeLessThan(1);
    expect(fasterBeyondNoise(noise, ORIGINAL_BAND)).toBe(true);
    // The same shapes from 10 samples each decide nothing.
    expect(spreadTooLarge(latencySpread(skewed(10)))).toBe(true);
    expect(ratioNoise(run(latencies(8, 0.4, 10)), skewed(10))).toMatchObject({
      verdict: 'same',
      unreliable: true,
    });
  });

  it('stays unreliable where the middle halves overlap, or the tail says the run stalled', () => {
    expect(ratioNoise(run(latencies(30, 20)), original)).toMatchObject({ verdict: 'same', unreliable: true });
    // Apart, but p90 over 3x the p50 (the browser runs whose no-op variants read x0.51): no verdict.
    expect(ratioNoise(run(latencies(7.6, 4.5, 200, 30, 60)), original)).toMatchObject({
      verdict: 'same',
      unreliable: true,
    });
  });
});

describe('comparing two variants from different runs', () => {
  const original = run(latencies(1, 0.05));
  const a = ratioNoise(run(latencies(0.5, 0.03)), original)!;
  const b = ratioNoise(run(latencies(0.52, 0.03)), run(latencies(1, 0.05)))!;
  const c = ratioNoise(run(latencies(0.8, 0.04)), original)!;

  it('calls one faster only past the larger spread of the two runs', () => {
    expect(fasterBeyondNoise(a, b)).toBe(false);
    expect(fasterBeyondNoise(b, a)).toBe(false);
    expect(fasterBeyondNoise(a, c)).toBe(true);
    expect(fasterBeyondNoise(c, a)).toBe(false);
    expect(fasterBeyondNoise(a, ORIGINAL_BAND)).toBe(true);
  });
});

describe('the noise band is no wider than it needs to be', () => {
  it('calls a real 15% speed-up faster on a model whose runs spread 20% (the whole IQR read it as the same)', () => {
    const original = run(latencies(1.0, 0.2, 400));
    const variant = run(latencies(0.85, 0.17, 400));
    expect(ratioNoise(variant, original)?.verdict).toBe('faster');
  });

  it('judges a run with no samples unreliable by its tail alone: a quiet p90 of 1.6x its p50 is not', () => {
    const quiet = { iterations: 200, p50Ms: 1, p90Ms: 1.6 };
    expect(spreadTooLarge(latencySpread(quiet))).toBe(false);
    expect(spreadTooLarge(latencySpread({ ...quiet, p90Ms: 3.5 }))).toBe(true);
  });
});
