import { describe, expect, it } from 'vitest';
import type { TuneBudget } from './options/tune-options.js';
import {
  budgetShortfall,
  closestTrial,
  describeTuneData,
  formatCosine,
  latencyVerdictWords,
  tuneCalibrates,
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
