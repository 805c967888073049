/**
 * `?host=mock&scenario=charts`: the sample opens with six variants already made, benchmarked, profiled and
 * evaluated, with the figures that once made the charts unreadable: p50s of 0.09-0.17 ms beside p99s of up
 * to 8 ms (a few slow runs), accuracies of 98-99% beside a one-shot 50% structured prune at 44%, sizes that
 * gave 146.5 KiB ticks, and nine op types in the profile. For looking at the charts (e2e/charts.spec.ts and
 * its screenshots) without running anything first.
 */
import type { BenchProfile } from '../../../shared/bench.js';
import { latencyStatsOf, summarize } from '../../../shared/latency-stats.js';
import { stepSlug } from '../../../shared/variant-naming.js';
import type {
  DatasetIdentity,
  EvalRecord,
  FedInput,
  Workspace,
  WorkspaceVariant,
} from '../../../shared/workspace.js';

interface Fixture {
  id: string;
  name: string;
  bytes: number;
  /** Typical run, slow tail (its share of runs and its time). */
  p50: number;
  tail: { share: number; ms: number };
  accuracy: number;
  recipe: WorkspaceVariant['recipe'];
}

const quantize = (method: string): WorkspaceVariant['recipe'] => ({
  operation: 'quantize',
  method,
  common: {},
  options: {},
});
const prune = (method: string, sparsity: number): WorkspaceVariant['recipe'] => ({
  operation: 'prune',
  method,
  common: { sparsity },
  options: {},
});

/** The original first (target `original`). */
export const CHARTS_FIXTURES: readonly Fixture[] = [
  {
    id: 'original',
    name: 'original',
    bytes: 300_000,
    p50: 0.17,
    tail: { share: 0.02, ms: 8 },
    accuracy: 0.991,
    recipe: quantize('-'),
  },
  {
    id: 'v-int8d',
    name: 'int8-dynamic',
    bytes: 84_200,
    p50: 0.12,
    tail: { share: 0.02, ms: 6.4 },
    accuracy: 0.989,
    recipe: quantize('int8-dynamic'),
  },
  {
    id: 'v-int8s',
    name: 'int8-static',
    bytes: 81_900,
    p50: 0.09,
    tail: { share: 0.01, ms: 0.6 },
    accuracy: 0.986,
    recipe: quantize('int8-static'),
  },
  {
    id: 'v-fp16',
    name: 'fp16',
    bytes: 150_100,
    p50: 0.16,
    tail: { share: 0.02, ms: 7.9 },
    accuracy: 0.991,
    recipe: quantize('fp16'),
  },
  {
    id: 'v-struct50',
    name: 'structured 50%',
    bytes: 150_000,
    p50: 0.1,
    tail: { share: 0.01, ms: 0.3 },
    accuracy: 0.44,
    recipe: prune('structured', 0.5),
  },
  {
    id: 'v-mag30',
    name: 'magnitude 30%',
    bytes: 300_000,
    p50: 0.17,
    tail: { share: 0.02, ms: 1.2 },
    accuracy: 0.982,
    recipe: prune('magnitude', 0.3),
  },
];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function samplesOf(f: Fixture, seed: number): number[] {
  const random = lcg(seed);
  return Array.from({ length: 400 }, () => {
    const ms = random() < f.tail.share ? f.tail.ms * (0.8 + 0.4 * random()) : f.p50 * (0.85 + 0.3 * random());
    return Math.round(ms * 1e4) / 1e4;
  });
}

function profileOf(meanMs: number, quantized: boolean): BenchProfile {
  const shares: [string, number][] = [
    [quantized ? 'ConvInteger' : 'Conv', 0.46],
    ['Gemm', 0.14],
    ['Relu', 0.1],
    ['MaxPool', 0.08],
    [quantized ? 'DynamicQuantizeLinear' : 'Add', 0.07],
    ['Flatten', 0.05],
    ['Softmax', 0.04],
    ['Transpose', 0.03],
    ['Reshape', 0.02],
    ['Mul', 0.01],
  ];
  return {
    byOpType: shares.map(([opType, pct]) => ({ opType, ms: meanMs * pct, pct: pct * 100 })),
    topNodes: [],
    runs: 400,
    traceFile: '/tmp/profile.json',
  };
}

/** Fill the sample's workspace with the fixture's variants and records (once, when it is first opened). */
export function seedChartsScenario(ws: Workspace, inputs: FedInput[], dataset: DatasetIdentity): void {
  const dir = ws.model.path.replace(/[^/]+$/, '');
  const at = new Date(0).toISOString();
  ws.model.fileBytes = CHARTS_FIXTURES[0]!.bytes;
  for (const f of CHARTS_FIXTURES.slice(1)) {
    ws.variants.push({
      id: f.id,
      name: f.name,
      path: `${dir}${f.id}.onnx`,
      fileBytes: f.bytes,
      createdAt: at,
      parent: 'original',
      recipe: f.recipe,
      report: {} as WorkspaceVariant['report'],
      // Named as the engine names a variant's file: beside the model, its stem and the step's slug.
      cliCommand: `onnx-studio ${f.recipe.operation} ${ws.model.path} -o ${dir}digits-resnet-${stepSlug(f.recipe)}.onnx --method ${f.recipe.method}`,
    });
  }
  ws.benchmarks.push({
    id: 'b-charts',
    createdAt: at,
    engine: 'onnxruntime-node',
    provider: 'cpu',
    label: 'onnxruntime-node cpu',
    inputs,
    notes: [],
    results: CHARTS_FIXTURES.map((f, i) => {
      const samples = samplesOf(f, 17 + i);
      const stats = latencyStatsOf(summarize(samples));
      return {
        target: f.id,
        modelBytes: f.bytes,
        throughput: 1000 / stats.meanMs,
        ...stats,
        samples,
        ...(i < 2 ? { profile: profileOf(stats.meanMs, i === 1) } : {}),
      };
    }),
  });
  const evaluations: EvalRecord[] = CHARTS_FIXTURES.map((f) => ({
    id: `e-${f.id}`,
    createdAt: at,
    target: f.id,
    dataset,
    inputs,
    report: {
      model: f.id,
      data: dataset.name,
      samples: dataset.samples,
      task: 'classification',
      taskReason: 'labels given',
      output: 'logits',
      seconds: 0.5,
      samplesPerSecond: 720,
      timing: { dataMs: 1, inferenceMs: 1, referenceMs: 0 },
      notes: [],
      accuracy: f.accuracy,
      correct: Math.round(f.accuracy * dataset.samples),
    },
  }));
  ws.evaluations.push(...evaluations);
  const pruned = CHARTS_FIXTURES.find((f) => f.id === 'v-struct50')!;
  ws.pipelines = [
    {
      id: 'p-charts',
      title: `Prune: ${pruned.name}`,
      createdAt: at,
      updatedAt: at,
      status: 'done',
      request: {},
      variant: pruned.id,
      steps: [
        { kind: 'make', title: `Prune: ${pruned.name}`, status: 'done' },
        { kind: 'bench', title: 'Benchmark', status: 'done' },
        { kind: 'evaluate', title: 'Evaluate', status: 'done' },
      ],
    },
  ];
}
