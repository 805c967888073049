import { describe, expect, it } from 'vitest';
import type { TuneBudget } from './options/tune-options.js';
import { budgetShortfall, closestTrial, type TuneTrial } from './tune.js';

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
