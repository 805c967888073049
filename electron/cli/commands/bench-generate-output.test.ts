import { describe, expect, it } from 'vitest';
import type { BenchGeneration } from '../../../shared/bench.js';
import { agreeUntilCell, agreementCell } from './bench-generate-output.js';

const generation = (ids: number[], more: Partial<BenchGeneration> = {}): BenchGeneration => {
  const latency = { count: 1, meanMs: 1, p50Ms: 1, p90Ms: 1, minMs: 1, maxMs: 1 };
  return {
    promptTokens: 4,
    decodeSteps: ids.length - 1,
    newTokens: ids.length,
    generations: 1,
    firstToken: latency,
    decode: latency,
    tokensPerSecond: 1000,
    ids,
    ...more,
  };
};

describe('bench --generate: the agreement cell', () => {
  it('names the baseline, the share of equal ids and where they first differ', () => {
    expect(agreementCell(generation([1, 2, 3]))).toBe('(baseline)');
    expect(agreementCell(generation([1, 2, 3], { agreement: 1, firstDifference: null }))).toBe(
      '100.0% (3/3)',
    );
    expect(agreementCell(generation([1, 2, 3, 4], { agreement: 0.75, firstDifference: 2 }))).toBe(
      '75.0% (3/4)',
    );
  });

  it('says how many ids agree before the first difference, the figure that means something', () => {
    expect(agreeUntilCell(generation([1, 2, 3]))).toBe('-');
    expect(agreeUntilCell(generation([1, 2, 3], { agreement: 1, firstDifference: null }))).toBe('all 3');
    expect(agreeUntilCell(generation([1, 2, 3, 4], { agreement: 0.75, firstDifference: 2 }))).toBe('2');
  });
});
