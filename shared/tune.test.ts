import { describe, expect, it } from 'vitest';
import type { TuneBudget } from './options/tune-options.js';
import {
  budgetShortfall,
  chooseTrial,
  closestTrial,
  describeTuneData,
  formatCosine,
  latencyVerdictWords,
  mayBeChosen,
  paretoFront,
  placedByNoisyRun,
  SAME_SIZE_SHARE,
  sameSizeNote,
  tuneCalibrates,
  tuneChoice,
  type TuneTrial,
} from './tune.js';

/** A finished trial with the given points lost and p50 ratio (its recipe does not matter here). */
function trial(index: number, dropPoints: number, p50Ratio: number): TuneTrial {
  return {
    index,
    name: `trial ${index}`,
    recipe: { kind: 'quantize', method: 'int8-dynamic', common: {}, options: {} },
    status: 'done',
    dropPoints,
    p50Ratio,
    seconds: 1,
  };
}

describe('the trial nearest a budget none met', () => {
  const budget: TuneBudget = { kind: 'accuracy-drop', points: 1 };

  it('counts a drop at the budget up to float rounding as inside it', () => {
    // 100% - 99% computed in floating point: 1.0000000000000009 points.
    expect(budgetShortfall(trial(0, 1.0000000000000009, 1.1), budget)).toBe(0);
    expect(budgetShortfall(trial(0, 1.01, 1.1), budget)).toBeCloseTo(0.01, 12);
  });

  it('ranks the trials inside the budget by the objective, one at the budget among them', () => {
    // A user test: #0 (1.107x) met the budget at exactly 1 point, #1 (1.163x) at 0.5; "the best" named #1.
    const trials = [trial(0, 1.0000000000000009, 1.107), trial(1, 0.5000000000000004, 1.163)];
    expect(closestTrial(trials, 'latency', budget)?.index).toBe(0);
  });
});

describe('tune figures against their budget and data', () => {
  it('prints a cosine with the digits that tell it from a cosine budget', () => {
    // A user test: 0.9999663 (broken) and 0.9999724 (met) both read 0.99997 against a budget of 0.99997.
    const budget: TuneBudget = { kind: 'min-cosine', cosine: 0.99997 };
    expect(formatCosine(0.9999663, budget)).toBe('0.999966');
    expect(formatCosine(0.9999724, budget)).toBe('0.999972');
    expect(formatCosine(0.99996999, budget)).toBe('0.99996999');
    expect(formatCosine(0.99997, budget)).toBe('0.99997');
    // Far from the budget, or with no cosine budget: five places.
    expect(formatCosine(0.9912345, budget)).toBe('0.99123');
    expect(formatCosine(0.9999663, { kind: 'accuracy-drop', points: 1 })).toBe('0.99997');
  });

  it('names the evaluation subset and the calibration data, or that nothing calibrates', () => {
    const evaluation = { name: 'x.npy + y.npy', samples: 360, sha256: 'a' };
    expect(
      describeTuneData(
        { evaluation, evalSamples: 120, calibration: { name: 'c.npy', samples: 64, sha256: 'c' } },
        '--eval-samples',
      ),
    ).toBe(
      'Measured on x.npy + y.npy (120 of 360 samples, set by --eval-samples); int8-static calibrated on c.npy (64 samples).',
    );
    expect(describeTuneData({ evaluation, calibration: evaluation })).toBe(
      'Measured on x.npy + y.npy (360 samples); int8-static calibrated on the same data.',
    );
    expect(describeTuneData({ evaluation })).toBe(
      'Measured on x.npy + y.npy (360 samples); no recipe tried calibrates.',
    );
  });

  it('calibrates exactly where the main graph has an operator int8-static quantizes', () => {
    expect(tuneCalibrates({ opCounts: { Conv: 2, Relu: 2 } })).toBe(true);
    expect(tuneCalibrates({ opCounts: { Gemm: 1 } })).toBe(true);
    expect(tuneCalibrates({ opCounts: { Gather: 1, Add: 3 } })).toBe(false);
  });

  it('says a latency verdict that is not plainly faster', () => {
    expect(latencyVerdictWords({ latencyVerdict: 'slower' })).toBe('slower');
    expect(latencyVerdictWords({ latencyVerdict: 'same', latencyUnreliable: true })).toBe('unreliable run');
    expect(latencyVerdictWords({ latencyVerdict: 'faster' })).toBeUndefined();
  });
});

describe('the size objective’s choice among files of the same size', () => {
  const budget: TuneBudget = { kind: 'min-cosine', cosine: 0.99 };
  /** A trial that met the 0.99 budget at `bytes` of an original of 1,000,000,000 bytes. */
  const sized = (index: number, name: string, bytes: number, cosine: number): TuneTrial => ({
    index,
    name,
    recipe: { kind: 'quantize', method: 'int8-dynamic', common: {}, options: {} },
    status: 'done',
    bytes,
    sizeRatio: bytes / 1_000_000_000,
    cosine,
    meetsBudget: cosine >= budget.cosine,
    seconds: 1,
  });

  it('keeps the more faithful of two files 0.4% apart, and says why by the same rule', () => {
    // A user test: int8-static per-tensor (584.8 MB, 0.99560) was chosen over int8-weight (587.2 MB, 0.99888).
    const weight = sized(1, 'int8-weight', 587_249_823, 0.99888);
    const perTensor = sized(3, 'int8-static percentile per-tensor', 584_826_308, 0.9956);
    const choice = tuneChoice([weight, perTensor], 'size', budget);
    expect(choice?.trial).toBe(weight);
    expect(chooseTrial([weight, perTensor], 'size', budget)).toBe(weight);
    expect(sameSizeNote(choice, budget)).toBe(
      `#1 int8-weight (cosine 0.99888) was kept over #3 int8-static percentile per-tensor (0.4% smaller, cosine 0.99560): files within ${SAME_SIZE_SHARE * 100}% of the smallest count as the same size, and among them the more faithful is kept (then the faster).`,
    );
    // Beyond the margin the smaller wins, and nothing needs saying.
    const int4 = sized(4, 'int4', 400_000_000, 0.995);
    const smaller = tuneChoice([weight, perTensor, int4], 'size', budget);
    expect(smaller?.trial).toBe(int4);
    expect(sameSizeNote(smaller, budget)).toBeUndefined();
  });

  it('breaks a tie of quality on speed, and keeps latency’s choice as it was', () => {
    const slow = { ...sized(0, 'a', 500_000_000, 0.999), p50Ratio: 0.9 };
    const fast = { ...sized(1, 'b', 505_000_000, 0.999), p50Ratio: 0.6 };
    expect(chooseTrial([slow, fast], 'size', budget)).toBe(fast);
    const faster = { ...sized(2, 'c', 600_000_000, 0.991), p50Ratio: 0.5 };
    expect(chooseTrial([slow, fast, faster], 'latency', budget)).toBe(faster);
  });

  it('keeps the variants a later, smaller trial could still make the choice', () => {
    // The tie moves with the smallest: #1 is chosen over #0; then #2 makes #0 the choice, so #0 had to be kept.
    const a = sized(0, 'a', 490_000_000, 0.995);
    const b = sized(1, 'b', 500_000_000, 0.999);
    expect(chooseTrial([a, b], 'size', budget)).toBe(b);
    expect(mayBeChosen([a, b], 'size', budget)).toEqual(new Set([a, b]));
    const c = sized(2, 'c', 478_000_000, 0.991);
    expect(chooseTrial([a, b, c], 'size', budget)).toBe(a);
    // One no smaller and no more faithful than another can never be chosen: its variant may go.
    const worse = sized(3, 'd', 495_000_000, 0.994);
    expect(mayBeChosen([a, b, worse], 'size', budget).has(worse)).toBe(false);
  });
});

describe('the Pareto front of a run with noisy benchmarks', () => {
  const budget: TuneBudget = { kind: 'accuracy-drop', points: 1 };
  it('leaves out a trial a noisy run placed, as Compare leaves out a noisy run’s variant', () => {
    // #1 at x0.2 from a run too noisy to tell (its verdict `same`) took #0 off the front and was on it itself.
    const quiet = { ...trial(0, 0, 0.5), latencyVerdict: 'faster' as const };
    const noisy = { ...trial(1, 0, 0.2), latencyVerdict: 'same' as const, latencyUnreliable: true };
    expect(placedByNoisyRun(noisy, 'latency')).toBe(true);
    expect(paretoFront([quiet, noisy], 'latency', budget)).toEqual([0]);
    // On size, a trial's place is its file, not its benchmark: it stays.
    const sized = [
      { ...quiet, sizeRatio: 0.5 },
      { ...noisy, sizeRatio: 0.3 },
    ];
    expect(placedByNoisyRun(noisy, 'size')).toBe(false);
    expect(paretoFront(sized, 'size', budget)).toEqual([1]);
  });
});
