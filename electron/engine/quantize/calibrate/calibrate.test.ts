import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import type { SampleSource } from '../../datasets/sample-source.js';
import { StudioError } from '../../errors.js';
import { makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { makeModel, mulberry32 } from '../../testing/model-fixtures.js';
import { augmentForCalibration, calibrateModel } from './calibrate.js';
import { CalibrationCollector, entropyRange } from './collector.js';
import { entropyThreshold } from './entropy.js';
import { StreamingHistogram } from './histogram.js';

/** input [1, n] -> Relu -> Neg -> `output`: three tensors with known ranges. */
function tinyModel(n: number) {
  const FLOAT = TensorProto_DataType.FLOAT;
  return makeModel(
    create(GraphProtoSchema, {
      name: 'tiny',
      input: [makeValueInfo('input', FLOAT, [1, n])],
      output: [makeValueInfo('output', FLOAT, [1, n])],
      node: [
        makeNode('Relu', ['input'], ['relu.out'], { name: 'relu' }),
        makeNode('Neg', ['relu.out'], ['output'], { name: 'neg' }),
      ],
    }),
  );
}

function arraySource(arrays: Float32Array[], onYield?: (i: number) => void): SampleSource {
  return {
    count: arrays.length,
    describe: () => `${arrays.length} arrays`,
    async *samples(signal?: AbortSignal) {
      for (let index = 0; index < arrays.length; index++) {
        if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled.');
        onYield?.(index);
        yield {
          index,
          inputs: { input: new ort.Tensor('float32', arrays[index]!, [1, arrays[index]!.length]) },
        };
      }
    },
  };
}

function normalArrays(count: number, n: number, seed: number, scale = 1): Float32Array[] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: n }, () => {
      const u = Math.max(next(), 1e-12);
      return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    }),
  );
}

describe('StreamingHistogram', () => {
  it('counts by magnitude on two sides and tracks exact min, max and zeros', () => {
    const h = new StreamingHistogram(4);
    h.add(Float32Array.of(-1.9, -0.6, 0, 0.4, 0.6, 1.2, 1.9, 2));
    expect(h.range).toBeCloseTo(2, 5);
    expect(h.min).toBeCloseTo(-1.9, 6);
    expect(h.max).toBe(2);
    expect(h.count).toBe(8);
    expect(h.zeros).toBe(1);
    // bins of width ~0.5: positive [0,.5) [.5,1) [1,1.5) [1.5,2]; negative mirrored.
    expect([...h.positive]).toEqual([2, 1, 1, 2]);
    expect([...h.negative]).toEqual([0, 1, 0, 1]);
  });

  it('doubles its range exactly: the same counts as a histogram built with the final range', () => {
    const values = [0.1, 0.3, 0.49, 0.9, -0.7, 3.5, -0.2, 1.2];
    const grown = new StreamingHistogram(8);
    grown.add(Float32Array.from(values.slice(0, 5))); // range ~0.9
    grown.add(Float32Array.from(values.slice(5))); // 3.5: range doubles twice, to ~3.6
    expect(grown.range).toBeCloseTo(3.6, 5);
    const direct = new StreamingHistogram(8);
    direct.add(Float32Array.of(Math.fround(0.9) * 4)); // the same final range from the start
    direct.add(Float32Array.from(values));
    direct.positive[7]! -= 1; // take the range-setting value back out
    expect([...grown.positive]).toEqual([...direct.positive]);
    expect([...grown.negative]).toEqual([...direct.negative]);
    expect([...grown.positive]).toEqual([2, 2, 1, 0, 0, 0, 0, 1]); // bins of ~0.45
    expect(grown.count).toBe(8);
  });

  it('ignores NaN and infinities', () => {
    const h = new StreamingHistogram(4);
    h.add(Float32Array.of(NaN, 1, Infinity, -1, -Infinity));
    expect(h.count).toBe(2);
    expect(h.nonFinite).toBe(3);
    expect([h.min, h.max]).toEqual([-1, 1]);
  });

  it('percentile: the central p% of a known distribution', () => {
    // 0, 0.001, ..., 99.999 in ten chunks: uniform on [0, 100).
    const h = new StreamingHistogram(2048);
    for (let chunk = 0; chunk < 10; chunk++) {
      h.add(Float32Array.from({ length: 10_000 }, (_, i) => (chunk * 10_000 + i) / 1000));
    }
    const r99 = h.percentileRange(99); // cut 0.5% per side
    const w = h.binWidth;
    expect(r99.min).toBeCloseTo(0.5, 1);
    expect(Math.abs(r99.min - 0.5)).toBeLessThan(w);
    expect(Math.abs(r99.max - 99.5)).toBeLessThan(w);
    const r90 = h.percentileRange(90);
    expect(Math.abs(r90.min - 5)).toBeLessThan(w);
    expect(Math.abs(r90.max - 95)).toBeLessThan(w);
    // 100 keeps everything, exactly.
    expect(h.percentileRange(100)).toEqual({ min: 0, max: Math.fround(99.999) });
  });

  it('percentile: a symmetric distribution with a few outliers', () => {
    const h = new StreamingHistogram(2048);
    const values = Float32Array.from({ length: 100_000 }, (_, i) => -1 + (2 * i) / 99_999);
    values[0] = -50;
    values[1] = 50;
    h.add(values);
    const r = h.percentileRange(99.99);
    // 5 values cut per side: both outliers and 4 more.
    expect(r.min).toBeGreaterThan(-1.01);
    expect(r.max).toBeLessThan(1.01);
    expect(r.max).toBeGreaterThan(0.99);
  });
});

describe('entropyThreshold', () => {
  it('picks the threshold with the least KL divergence on a hand-computed histogram', () => {
    // counts [6, 2, 1, 1], bin width 0.5, 2 quantized bins. Candidates (P with outliers folded into
    // its last bin, Q = the first i bins merged into 2 groups, spread over P's non-zero bins):
    //   i=2: P = [6, 4]/10, Q = [6, 2]/8                 KL = 0.6 ln(0.6/0.75) + 0.4 ln(0.4/0.25)   = 0.05411
    //   i=3: P = [6, 2, 2]/10, Q = [6, 1.5, 1.5]/9       KL = 0.6 ln(0.6/0.667) + 0.4 ln(0.2/0.1667) = 0.00971
    //   i=4: P = [6, 2, 1, 1]/10, Q = [4, 4, 1, 1]/10    KL = 0.6 ln(0.6/0.4) + 0.2 ln(0.2/0.4)      = 0.10465
    // so i = 3: the threshold is 3 x 0.5 = 1.5.
    expect(entropyThreshold([6, 2, 1, 1], 0.5, 2)).toBeCloseTo(1.5, 12);
  });

  it('keeps the full range when merging loses nothing, and ignores trailing empty bins', () => {
    // [4, 4, 0, 1]: with i = 4, Q equals P exactly (KL 0).
    expect(entropyThreshold([4, 4, 0, 1, 0, 0], 1, 2)).toBe(4);
    expect(entropyThreshold([0, 0, 0], 1, 2)).toBe(0);
    expect(entropyThreshold([3, 1], 1, 2)).toBe(2);
  });

  it('clips a far outlier of a bell-shaped distribution', () => {
    const h = new StreamingHistogram(2048);
    for (const a of normalArrays(20, 2000, 9)) h.add(a.map(Math.abs));
    h.add(Float32Array.of(40));
    const r = entropyRange(h);
    expect(r.min).toBeGreaterThanOrEqual(0);
    expect(r.max).toBeGreaterThan(2);
    expect(r.max).toBeLessThan(10);
  });
});

describe('CalibrationCollector', () => {
  it('minmax is exact across samples', () => {
    const c = new CalibrationCollector(['a'], { method: 'minmax' });
    c.addValues('a', Float32Array.of(1, 2, 3));
    c.endSample();
    c.addValues('a', Float32Array.of(-0.25, 2.5));
    c.endSample();
    c.addMinMax('a', 0, 7.125);
    expect(c.ranges().get('a')).toEqual({ min: -0.25, max: 7.125 });
  });

  it('holds a fixed amount of memory whatever the number of samples', () => {
    for (const method of ['minmax', 'percentile', 'entropy'] as const) {
      const c = new CalibrationCollector(['a', 'b'], { method, bins: 512 });
      const arrays = normalArrays(200, 256, 3);
      c.addValues('a', arrays[0]!);
      c.addValues('b', arrays[0]!);
      c.endSample();
      const after1 = c.byteSize();
      for (const a of arrays.slice(1)) {
        c.addValues('a', a);
        c.addValues(
          'b',
          a.map((v) => v * 100),
        );
        c.endSample();
      }
      expect(c.samples).toBe(200);
      expect(c.byteSize()).toBe(after1);
    }
  });
});

describe('calibrateModel', () => {
  it('minmax through the augmented model (in-graph ReduceMin/ReduceMax) is exact', async () => {
    const model = tinyModel(4);
    const { model: augmented, probes } = augmentForCalibration(model, ['input', 'relu.out'], 'minmax');
    // Neg feeds no probe, so the copy drops it; the later tensor's probes come first (probed-model.ts).
    expect(augmented.graph!.node.map((n) => `${n.opType}(${n.input[0]})`)).toEqual([
      'Relu(input)',
      'ReduceMin(relu.out)',
      'ReduceMax(relu.out)',
      'ReduceMin(input)',
      'ReduceMax(input)',
    ]);
    expect(probes).toHaveLength(2);
    expect(model.graph!.node).toHaveLength(2); // the original is untouched
    const source = arraySource([Float32Array.of(-3, 1, 2, 0.5), Float32Array.of(0, -1, 4.25, 0)]);
    const result = await calibrateModel(model, ['input', 'relu.out', 'output'], source, { method: 'minmax' });
    expect(result.samples).toBe(2);
    expect(result.ranges.get('input')).toEqual({ min: -3, max: 4.25 });
    expect(result.ranges.get('relu.out')).toEqual({ min: 0, max: 4.25 });
    expect(result.ranges.get('output')).toEqual({ min: -4.25, max: -0 }); // Neg(0) is -0
  });

  it('streams samples into fixed-size statistics, with progress per sample and a sample cap', async () => {
    const progress: number[] = [];
    const arrays = normalArrays(300, 64, 5);
    const result = await calibrateModel(tinyModel(64), ['input', 'relu.out'], arraySource(arrays), {
      method: 'percentile',
      bins: 256,
      maxSamples: 250,
      onProgress: (p) => {
        expect(p.phase).toBe('calibrating');
        expect(p.total).toBe(250);
        progress.push(p.done);
      },
    });
    expect(result.samples).toBe(250);
    expect(progress).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    // Two histograms of 2 x 256 float64 counts, whatever the number of samples.
    const fresh = new CalibrationCollector(['input', 'relu.out'], { method: 'percentile', bins: 256 });
    expect(result.collector.byteSize()).toBe(fresh.byteSize());
    const r = result.ranges.get('input')!;
    expect(r.min).toBeLessThan(-3);
    expect(r.max).toBeGreaterThan(3);
    expect(result.ranges.get('relu.out')!.min).toBe(0);
  });

  it('says when the data holds fewer samples than asked, in the words eval and sensitivity use', async () => {
    const arrays = normalArrays(6, 64, 5);
    const cut = await calibrateModel(tinyModel(64), ['input'], arraySource(arrays), { method: 'minmax', maxSamples: 20 });
    expect(cut.samples).toBe(6);
    expect(cut.samplesNote).toBe('20 samples asked, the data has 6: all 6 used.');
    // Asked for no more than there are, or for no count at all: nothing to say.
    const fits = await calibrateModel(tinyModel(64), ['input'], arraySource(arrays), { method: 'minmax', maxSamples: 6 });
    expect(fits.samplesNote).toBeUndefined();
    const all = await calibrateModel(tinyModel(64), ['input'], arraySource(arrays), { method: 'minmax' });
    expect(all.samplesNote).toBeUndefined();
  });

  it('says how many samples held NaN or Inf in an input, naming the first, and nothing for finite data', async () => {
    const arrays = normalArrays(6, 64, 5);
    arrays[2]![7] = Number.NaN;
    arrays[4]![0] = Number.POSITIVE_INFINITY;
    const result = await calibrateModel(tinyModel(64), ['input', 'relu.out'], arraySource(arrays), { method: 'minmax' });
    expect(result.nonFiniteNote).toMatch(
      /^2 of 6 calibration samples hold NaN or Inf in an input \(the first: sample 2, input 'input'\)/,
    );
    const clean = await calibrateModel(tinyModel(64), ['input'], arraySource(normalArrays(6, 64, 5)), { method: 'minmax' });
    expect(clean.nonFiniteNote).toBeUndefined();
  });

  it('stops between samples when cancelled', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const promise = calibrateModel(
      tinyModel(8),
      ['input'],
      arraySource(normalArrays(50, 8, 1), (i) => seen.push(i)),
      {
        method: 'entropy',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 3) controller.abort();
        },
      },
    );
    await expect(promise).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen.length).toBeLessThanOrEqual(4);
  });

  it('says which input a sample lacks', async () => {
    const source: SampleSource = {
      count: 1,
      describe: () => 'wrong',
      async *samples() {
        yield { index: 0, inputs: { other: new ort.Tensor('float32', new Float32Array(2), [1, 2]) } };
      },
    };
    await expect(calibrateModel(tinyModel(2), ['input'], source, { method: 'minmax' })).rejects.toThrow(
      /no value for model input 'input'/,
    );
  });
});

describe('calibration under a memory budget', () => {
  it('runs one pass per group of tensors that fits, with the same ranges as one pass', async () => {
    const model = tinyModel(4096);
    const tensors = ['input', 'relu.out', 'output'];
    const arrays = normalArrays(6, 4096, 9);
    const single = await calibrateModel(model, tensors, arraySource(arrays), { method: 'percentile', percentile: 99.9 });
    // 16 KiB per tensor per sample: a budget of 24 KiB leaves room for one tensor a pass.
    const progress: number[] = [];
    const split = await calibrateModel(model, tensors, arraySource(arrays), {
      method: 'percentile',
      percentile: 99.9,
      memoryBudget: 24 * 1024,
      onProgress: (p) => progress.push(p.total),
    });
    expect(single.passes).toHaveLength(1);
    expect(split.passes).toHaveLength(3);
    expect(split.samples).toBe(6);
    expect(progress.at(-1)).toBe(18);
    expect([...split.ranges.entries()]).toEqual([...single.ranges.entries()]);
    // A budget that holds them all keeps one pass.
    const roomy = await calibrateModel(model, tensors, arraySource(arrays), { method: 'entropy', memoryBudget: 1024 ** 3 });
    expect(roomy.passes).toHaveLength(1);
    expect(roomy.oversized).toBeUndefined();
  });

  it('says truthfully when one tensor alone is larger than the budget, naming it and its size', async () => {
    const { budgetNote } = await import('./memory-budget.js');
    const model = tinyModel(4096);
    const tensors = ['input', 'relu.out', 'output'];
    const arrays = normalArrays(2, 4096, 9);
    // 16 KiB per tensor per sample; a budget of 16 KiB leaves 8 KiB of activations: no tensor fits alone.
    const tight = await calibrateModel(model, tensors, arraySource(arrays), {
      method: 'percentile',
      memoryBudget: 16 * 1024,
    });
    expect(tight.passes).toHaveLength(3);
    expect(tight.passes.map((p) => p.bytes)).toEqual([16384, 16384, 16384]);
    expect(tight.oversized?.map((t) => t.bytes)).toEqual([16384, 16384, 16384]);
    const note = budgetNote(
      { passes: tight.passes, limitBytes: tight.passes[0]!.limitBytes!, oversized: tight.oversized! },
      '16K',
    )!;
    expect(note).toMatch(/^The memory budget \(16K\) cannot be met: activation 'input' alone takes 0 MiB per sample/);
    expect(note).toMatch(/also over it: 'relu\.out' 0 MiB, 'output' 0 MiB/);
    expect(note).toMatch(/calibrated in 3 passes over the data/);
    expect(note).not.toMatch(/each exposing at most/);
  });

  it('states a limit per pass only when every pass kept to it', async () => {
    const { budgetNote } = await import('./memory-budget.js');
    const MiB = 1024 ** 2;
    const fitted = { passes: [{ bytes: 90 * MiB }, { bytes: 80 * MiB }], limitBytes: 100 * MiB, oversized: [] };
    expect(budgetNote(fitted, '200M')).toBe(
      "One sample's activations did not fit the memory budget (200M): calibrated in 2 passes over the data (the same ranges as one pass), each exposing at most 100 MiB of activations.",
    );
    expect(budgetNote({ ...fitted, passes: [{ bytes: 90 * MiB }] }, '200M')).toBeUndefined();
    const over = { passes: [{ bytes: 512 * MiB }], limitBytes: 100 * MiB, oversized: [{ tensor: 'a', bytes: 512 * MiB }] };
    expect(budgetNote(over, '200M')).toMatch(
      /^The memory budget \(200M\) cannot be met: activation 'a' alone takes 512 MiB per sample, more than the 100 MiB of activations the budget leaves, and one tensor cannot be split across passes/,
    );
  });
});

describe('memory sizes', () => {
  it('reads 512M, 2G and 1.5GiB, and refuses what is not a size or under 64M', async () => {
    const { parseMemorySize, defaultMemoryBudget, groupsWithin } = await import('./memory-budget.js');
    expect(parseMemorySize('512M')).toBe(512 * 1024 ** 2);
    expect(parseMemorySize('2g')).toBe(2 * 1024 ** 3);
    expect(parseMemorySize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(() => parseMemorySize('lots')).toThrow(/--max-memory must be a size/);
    expect(() => parseMemorySize('10M')).toThrow(/at least 64M/);
    expect(defaultMemoryBudget(8 * 1024 ** 3)).toBe(2 * 1024 ** 3);
    expect(defaultMemoryBudget(64 * 1024 ** 3)).toBe(4 * 1024 ** 3);
    const sizes = new Map([['a', 10], ['b', 30], ['c', 5], ['d', 50]]);
    expect(groupsWithin(['a', 'b', 'c', 'd'], sizes, 40)).toEqual([['a', 'b'], ['c'], ['d']]);
  });
});
