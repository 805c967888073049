import { describe, expect, it } from 'vitest';
import { compareRows, formatRatio, opBreakdown, paretoFront, pickQualityMetric } from './compare-data.js';
import { initialState, studioReducer } from './studio-state.js';
import { benchRecord, MODEL_PATH, SUMMARY, variant, workspace } from './test-fixtures.js';
import { deriveVariants } from './variants.js';
import type { DatasetIdentity, EvalRecord } from '../../../shared/workspace.js';
import type { EvalReportInfo } from '../../../shared/job-reports.js';

const ws = workspace({
  variants: [variant('v1', 'int8-dynamic', 1000), variant('v2', 'fp16', 2000)],
  benchmarks: [
    benchRecord('old', 'cpu', { original: 9, v1: 9 }),
    benchRecord('b1', 'cpu', { original: 4, v1: 2, v2: 3 }),
    benchRecord('w1', 'webgpu', { original: 1, v1: 0.5 }, 'onnxruntime-web'),
  ],
  evaluations: [
    { id: 'e0', createdAt: '', target: 'original', report: evalReport(0.95) },
    {
      id: 'e1',
      createdAt: '',
      target: 'v1',
      reference: 'original',
      report: { ...evalReport(0.9), fidelity: fidelity(0.98) },
    },
    {
      id: 'e2',
      createdAt: '',
      target: 'v2',
      reference: 'original',
      report: { ...evalReport(0.95), fidelity: fidelity(1) },
    },
  ],
});

function evalReport(accuracy: number) {
  return {
    model: 'm',
    data: 'npy test',
    samples: 100,
    task: 'classification' as const,
    taskReason: '',
    output: 'y',
    seconds: 1,
    samplesPerSecond: 1,
    timing: { dataMs: 0, inferenceMs: 0, referenceMs: 0 },
    notes: [],
    accuracy,
  };
}
function fidelity(top1: number) {
  return {
    output: 'y',
    cosine: 0.999,
    worstSampleCosine: 0.99,
    sqnrDb: 30,
    maxAbsErr: 0.1,
    meanAbsErr: 0.01,
    top1Agreement: top1,
    exact: false,
  };
}

const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });

describe('variants and the comparison', () => {
  it("sizes the original with its external data from the start, not the workspace's .onnx size read before it is saved", () => {
    // The page reads the workspace beside the summary: a new one says 4000, the .onnx alone, until the backend
    // stores the summary and sends it again. The File size card showed 4000 for that moment, then 4000 + data.
    const withData = { ...SUMMARY, externalDataBytes: 60_000 };
    const opened = studioReducer(initialState, {
      type: 'model-opened',
      summary: withData,
      workspace: workspace(),
    });
    expect(deriveVariants(opened)[0]!.bytes).toBe(64_000);
  });

  it('derives the original and each variant with its latest figures per source', () => {
    const variants = deriveVariants(state);
    expect(variants.map((v) => [v.id, v.label, v.bytes])).toEqual([
      ['original', 'original', 4000],
      ['v1', 'int8-dynamic', 1000],
      ['v2', 'fp16', 2000],
    ]);
    const v1 = variants[1]!;
    expect(Object.keys(v1.latency).sort()).toEqual(['onnxruntime-node/cpu', 'onnxruntime-web/webgpu']);
    expect(v1.latency['onnxruntime-node/cpu']?.stats?.p50Ms).toBe(2);
    expect(v1.evaluation).toEqual({
      accuracy: 0.9,
      task: 'classification',
      data: 'npy test',
      samples: 100,
      notes: [],
      fidelity: {
        cosine: 0.999,
        top1Agreement: 0.98,
        sqnrDb: 30,
        output: 'y',
        on: { data: 'npy test', samples: 100, notes: [] },
      },
    });
    expect(v1.cliCommand).toContain('--method int8-dynamic');
  });

  it('overlays a benchmark that is still streaming', () => {
    const live = studioReducer(state, {
      type: 'job-submitted',
      jobId: 'b2',
      kind: 'bench',
      title: 'B',
      modelPath: MODEL_PATH,
      targets: ['v2'],
      measurement: { engine: 'onnxruntime-node', provider: 'cpu' },
      atMs: 0,
    });
    const streaming = studioReducer(live, {
      type: 'job-event',
      event: {
        type: 'metric',
        name: 'latency/0',
        unit: 'ms',
        values: [5, 7],
        jobId: 'b2',
        seq: 0,
        timeMs: 1,
      },
    });
    const v2 = deriveVariants(streaming)[2]!;
    expect(v2.latency['onnxruntime-node/cpu']).toMatchObject({
      final: false,
      samples: [5, 7],
      stats: { p50Ms: 6 },
    });
  });

  it('computes ratios to the original from one source, and the Pareto front', () => {
    const variants = deriveVariants(state);
    const metric = pickQualityMetric(variants);
    expect(metric).toBe('accuracy');
    const rows = compareRows(variants, { engine: 'onnxruntime-node', provider: 'cpu' }, metric);
    expect(rows.map((r) => [r.label, r.sizeRatio, r.latencyRatio, r.qualityRatio])).toEqual([
      ['original', 1, 1, 1],
      ['int8-dynamic', 0.25, 0.5, 0.9 / 0.95],
      ['fp16', 0.5, 0.75, 1],
    ]);
    expect([...paretoFront(rows)].sort()).toEqual(['v1', 'v2']);
    const web = compareRows(variants, { engine: 'onnxruntime-web', provider: 'webgpu' }, metric);
    expect(web[1]?.latencyRatio).toBe(0.5);
    expect(web[2]?.p50Ms).toBeUndefined();
  });

  it('divides by the original of the same interleaved run, like the report, not by the latest original', () => {
    // v2 was measured beside an original at 4 ms; later the original alone measured 2 ms (a quieter machine).
    const later = workspace({
      variants: [variant('v2', 'fp16', 2000)],
      benchmarks: [
        benchRecord('b1', 'cpu', { original: 4, v2: 3 }),
        benchRecord('b2', 'cpu', { original: 2 }),
      ],
    });
    const variants = deriveVariants(
      studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: later }),
    );
    const rows = compareRows(variants, { engine: 'onnxruntime-node', provider: 'cpu' }, undefined);
    expect(rows.map((r) => [r.label, r.p50Ms, r.latencyRatio])).toEqual([
      ['original', 2, 1],
      ['fp16', 3, 0.75],
    ]);
  });

  it('falls back to fidelity when nothing has labels; the original agrees with itself', () => {
    const unlabelled = workspace({
      variants: [variant('v1', 'int8', 1000)],
      evaluations: [
        {
          id: 'e',
          createdAt: '',
          target: 'v1',
          reference: 'original',
          dataset: { name: 'synthetic', samples: 32, sha256: 'ab' },
          report: { ...evalReport(0), accuracy: undefined, fidelity: fidelity(0.97) },
        },
      ],
    });
    const variants = deriveVariants(
      studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: unlabelled }),
    );
    expect(pickQualityMetric(variants)).toBe('top1Agreement');
    expect(compareRows(variants, undefined, 'top1Agreement').map((r) => r.quality)).toEqual([1, 0.97]);
    // The fidelity figure names the data it was measured on.
    expect(compareRows(variants, undefined, 'top1Agreement')[1]?.dataset?.name).toBe('synthetic');
  });

  it('stacks the costliest op types and folds the rest into other', () => {
    const profiled = deriveVariants(state).map((v, i) => ({
      ...v,
      profile: {
        byOpType: [
          { opType: 'Conv', ms: 3 - i, pct: 60 },
          { opType: 'Relu', ms: 1, pct: 20 },
          { opType: 'Add', ms: 0.5, pct: 10 },
        ],
        topNodes: [],
        runs: 1,
        traceFile: '',
      },
    }));
    const { rows, opTypes } = opBreakdown(profiled, 2);
    expect(opTypes).toEqual(['Conv', 'Relu', 'other']);
    // Shares of each model's own kernel time (profiles of different runs are not compared in ms).
    expect(rows[0]).toEqual({
      label: 'original',
      totalMs: 4.5,
      ms: { Conv: 3, Relu: 1, other: 0.5 },
      Conv: 3 / 4.5,
      Relu: 1 / 4.5,
      other: 0.5 / 4.5,
    });
  });

  it('compares profiles of different runs as shares of each model’s own time, quantization kernels never grey', () => {
    const profile = (ops: Record<string, number>) => ({
      byOpType: Object.entries(ops).map(([opType, ms]) => ({ opType, ms, pct: 0 })),
      topNodes: [],
      runs: 1,
      traceFile: '',
    });
    const [original, v1, v2] = deriveVariants(state);
    // The original's run was quiet (0.058 ms); int8-static's ran on a busy machine: twice the ms everywhere.
    const profiled = [
      { ...original!, profile: profile({ Conv: 0.04, Relu: 0.01, MaxPool: 0.008 }) },
      {
        ...v1!,
        label: 'int8-static',
        profile: profile({ QLinearConv: 0.08, QuantizeLinear: 0.02, DequantizeLinear: 0.02, MaxPool: 0.004 }),
      },
      { ...v2!, profile: profile({ Conv: 0.08, Relu: 0.02, MaxPool: 0.016 }) },
    ];
    const { rows, opTypes } = opBreakdown(profiled, 2);
    // Before: absolute ms (fp16 at twice the original), and QLinearConv, only in one variant, folded into "other".
    expect(rows[2]!.Conv).toBeCloseTo(rows[0]!.Conv as number, 9);
    for (const r of rows)
      expect(opTypes.reduce((sum, op) => sum + ((r[op] as number) ?? 0), 0)).toBeCloseTo(1, 9);
    expect(opTypes).toContain('QLinearConv');
    expect(opTypes).toContain('other quantization kernels');
    expect(rows[1]!.ms['other quantization kernels']).toBeCloseTo(0.04, 9);
  });

  it('keeps each figure on the data it was measured on: an evaluation without accuracy replaces the fidelity only (user test d1.1)', () => {
    // The tester's sequence: every model evaluated on x_u8.npy with labels, int8-static again on test-inputs.npy
    // with one-hot labels (regression: fidelity, no accuracy), then the original on test-inputs.npy with class
    // labels. int8-static showed "10.00% · other data · test-inputs.npy (360 samples)": its accuracy on x_u8.npy.
    const xU8 = { name: 'x_u8.npy', samples: 360, sha256: 'd7'.repeat(32) };
    const oneHot = { name: 'test-inputs.npy', samples: 360, sha256: '48'.repeat(32) };
    const classes = { name: 'test-inputs.npy', samples: 360, sha256: 'd4'.repeat(32) };
    const record = (
      id: string,
      target: string,
      dataset: DatasetIdentity,
      data: string,
      report: Partial<EvalReportInfo>,
    ): EvalRecord => ({
      id,
      createdAt: '',
      target,
      ...(target === 'original' ? {} : { reference: 'original' }),
      dataset,
      report: { ...evalReport(0), data, samples: 360, ...report },
    });
    const xU8Data = '/fx/x_u8.npy (labels /fx/test-labels.npy)';
    const sequence = workspace({
      variants: [variant('v-int8', 'int8-static', 1000)],
      evaluations: [
        record('e1', 'original', xU8, xU8Data, { accuracy: 0.15 }),
        record('e2', 'v-int8', xU8, xU8Data, { accuracy: 0.1, fidelity: { ...fidelity(0.2), cosine: 0.78 } }),
        record('e3', 'v-int8', oneHot, '/fx/test-inputs.npy (labels /fx/labels_onehot.npy)', {
          accuracy: undefined,
          task: 'regression',
          notes: ['labels are one-hot vectors'],
          fidelity: { ...fidelity(0.99), cosine: 0.99996 },
        }),
        record('e4', 'original', classes, '/fx/test-inputs.npy (labels /fx/test-labels.npy)', {
          accuracy: 0.9944,
        }),
      ],
    });
    const variants = deriveVariants(
      studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: sequence }),
    );
    const int8 = variants[1]!.evaluation!;
    // The accuracy stays with x_u8.npy; the fidelity is the newer one, on its own data and with its notes.
    expect([int8.accuracy, int8.dataset, int8.data]).toEqual([0.1, xU8, xU8Data]);
    expect(int8.fidelity).toMatchObject({
      cosine: 0.99996,
      on: { dataset: oneHot, notes: ['labels are one-hot vectors'] },
    });

    const rows = compareRows(variants, undefined, pickQualityMetric(variants));
    expect(rows.map((r) => [r.label, r.quality, r.dataset?.name, r.qualityRatio])).toEqual([
      ['original', 0.9944, 'test-inputs.npy', 1],
      // On other data than the original's: no ratio, and named by its own data, never by the newer evaluation's.
      ['int8-static', 0.1, 'x_u8.npy', undefined],
    ]);
    expect(rows[1]!.data).toBe(xU8Data);
    // Fidelity figures name the data they were measured on, with that evaluation's notes.
    const fidelityRows = compareRows(variants, undefined, 'cosine');
    expect(fidelityRows[1]).toMatchObject({
      quality: 0.99996,
      dataset: oneHot,
      dataNotes: ['labels are one-hot vectors'],
    });
    expect(fidelityRows[0]!.dataset).toBeUndefined();
  });

  it('formats ratios', () => {
    expect(formatRatio(0.2512)).toBe('×0.25');
    expect(formatRatio(12.34)).toBe('×12.3');
    expect(formatRatio(0.0123)).toBe('×0.012');
    expect(formatRatio(undefined)).toBe('–');
  });
});
