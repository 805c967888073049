/** Builders for state tests: a model summary, a workspace and job events, with only the fields that matter. */
import type { JobEvent } from '../../../shared/ipc-contract.js';
import type { ImageReading } from '../../../shared/image-reading.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { BenchRecord, TuneRecord, Workspace, WorkspaceVariant } from '../../../shared/workspace.js';

export const MODEL_PATH = '/models/net.onnx';

export const SUMMARY: ModelSummary = {
  path: MODEL_PATH,
  fileBytes: 4000,
  externalDataBytes: 0,
  irVersion: 8,
  producer: { name: 't', version: '1' },
  opsets: { '': 17 },
  inputs: [],
  outputs: [],
  nodes: 1,
  opCounts: { Conv: 1 },
  parameters: 1000,
  parameterBytes: { float32: 4000 },
  largestTensors: [],
};

/**
 * A language model as inspect sums it up: int64 ids [1, 8] that look up an embedding of 64 rows, logits
 * [1, 8, 64] scoring those 64 ids at each position (shared/own-ids.ts `gradesOwnIds`).
 */
export const LM_SUMMARY: ModelSummary = {
  ...SUMMARY,
  path: '/models/lm.onnx',
  inputs: [
    { name: 'input_ids', dtype: 'int64', shape: [1, 8], indexes: { table: 'embed.weight', rows: 64 } },
  ],
  outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 8, 64] }],
  opCounts: { Gather: 1, MatMul: 1 },
};

/** A classifier: float pixels in, 10 scores out (no table its input looks up). */
export const CLASSIFIER_SUMMARY: ModelSummary = {
  ...SUMMARY,
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 8, 8] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 10] }],
};

export function variant(id: string, name: string, fileBytes: number): WorkspaceVariant {
  return {
    id,
    name,
    path: `/ws/${id}.onnx`,
    fileBytes,
    createdAt: '2026-01-01T00:00:00Z',
    parent: 'original',
    recipe: { operation: 'quantize', method: name, common: {}, options: {} },
    report: {
      output: `/ws/${id}.onnx`,
      method: name,
      inputBytes: 4000,
      outputBytes: fileBytes,
      quantizedNodes: 1,
      skippedNodes: [],
      seconds: 1,
      notes: [],
    },
    cliCommand: `onnx-studio quantize ${MODEL_PATH} -o out.onnx --method ${name}`,
  };
}

export function benchRecord(
  id: string,
  provider: string,
  p50: Record<string, number>,
  engine: BenchRecord['engine'] = 'onnxruntime-node',
): BenchRecord {
  return {
    id,
    createdAt: '2026-01-01T00:00:00Z',
    engine,
    provider,
    label: `${engine} ${provider}`,
    notes: [],
    results: Object.entries(p50).map(([target, p]) => ({
      target,
      modelBytes: 1,
      throughput: 1000 / p,
      iterations: 100,
      meanMs: p,
      stdMs: 0.1,
      minMs: p * 0.9,
      p50Ms: p,
      p90Ms: p * 1.2,
      p95Ms: p * 1.3,
      p99Ms: p * 1.5,
      maxMs: p * 2,
      samples: [p, p],
    })),
  };
}

/** An Auto-optimize run that ended with no trials, under this budget: what Export and the report judge by. */
export function tuneRecord(budget: TuneRecord['budget']): TuneRecord {
  return {
    id: 't1',
    jobId: 'j1',
    startedAt: '2026-01-01T00:00:00Z',
    endedAt: '2026-01-01T00:01:00Z',
    status: 'done',
    objective: 'latency',
    budget,
    data: { evaluation: 'digits-test', calibration: 'digits-test' },
    trials: [],
  };
}

export function workspace(partial: Partial<Workspace> = {}): Workspace {
  return {
    version: 1,
    key: 'net-1234',
    model: { path: MODEL_PATH, fileBytes: 4000, mtimeMs: 0 },
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    variants: [],
    benchmarks: [],
    evaluations: [],
    ...partial,
  };
}

type Body = JobEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'jobId' | 'seq' | 'timeMs'>
    : never
  : never;

/** Numbered events of one job. */
export function events(jobId: string, ...bodies: Body[]): JobEvent[] {
  return bodies.map((body, seq) => ({ ...body, jobId, seq, timeMs: 1000 + seq * 100 }) as JobEvent);
}

/**
 * How the engine records an image folder of 32x32 gray digits read with nothing given: the size, channels, layout
 * and dtype the model input's, the rest defaults (shared/image-reading.ts).
 */
export const GUESSED_READING: ImageReading = {
  size: [32, 32],
  channels: 'gray',
  layout: 'nchw',
  resize: 'stretch',
  interpolation: 'bilinear',
  scale: 1 / 255,
  mean: [0],
  std: [1],
  dtype: 'float32',
  defaulted: {
    size: 'model',
    channels: 'model',
    layout: 'model',
    dtype: 'model',
    resize: 'default',
    interpolation: 'default',
    scale: 'default',
    mean: 'default',
    std: 'default',
  },
};
