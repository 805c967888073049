import { describe, expect, it } from 'vitest';
import type { BenchGeneration, BenchReport } from '../../../shared/bench.js';
import { agreeUntilCell, agreementCell, generateReportText } from './bench-generate-output.js';

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

describe('bench --generate: the ratios against the first model', () => {
  it('gives the first token its own verdict and says how many generations the verdicts rest on', () => {
    const result = (model: string) =>
      ({ model, generation: generation([1, 2, 3], { generations: 5 }) }) as BenchReport['results'][number];
    const report = {
      results: [result('a.onnx'), result('b.onnx')],
      comparisons: [
        {
          model: 'b.onnx',
          baseline: 'a.onnx',
          p50Ratio: 0.84,
          sizeRatio: 0.5,
          latencyVerdict: 'same',
          generation: {
            firstTokenP50Ratio: 0.48,
            firstTokenVerdict: 'same',
            firstTokenUnreliable: true,
            tokensPerSecondRatio: 1 / 0.84,
            generations: 5,
          },
        },
      ],
      settings: { warmup: 1, iterations: 5 },
      notes: [],
    } as unknown as BenchReport;
    const text = generateReportText(report, ['a.onnx', 'b.onnx'], 'cpu');
    expect(text).toMatch(/b\.onnx\s+0\.84x, within noise\s+0\.48x, unreliable run\s+1\.19x\s+0\.50x/);
    expect(text).toContain('Verdicts rest on 5 timed generations per model');
    expect(text).toContain("'unreliable run'");
  });
});
