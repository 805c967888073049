/**
 * The mock's measuring jobs and their made-up figures: a benchmark that streams latency samples (seeded, so
 * stable) and judges them with the product's own comparison and stats code, an optional op-type profile, and
 * an evaluation with accuracy and fidelity by variant. Data whose path says `corrupt` fails the evaluation.
 */
import type { BenchProfile } from '../../../../shared/bench.js';
import { compareToBaseline } from '../../../../shared/bench-comparisons.js';
import type { BenchJobSpec, EvaluateJobSpec } from '../../../../shared/ipc-contract.js';
import { latencyStatsOf, summarize } from '../../../../shared/latency-stats.js';
import type { BenchRecord, BenchTargetResult, Workspace } from '../../../../shared/workspace.js';
import { fail, ok } from './answers.js';
import { MOCK_SAMPLE_PATH } from './fixtures.js';
import type { MockJobContext } from './job-runner.js';
import { gaussian, lcg } from './stable-random.js';
import { fedInputs, mockIdentity } from './workspaces.js';

/** Starts a benchmark job on `ws`; answers its job id. */
export function startBenchJob(
  { state, workspaces, runJob }: MockJobContext,
  spec: BenchJobSpec,
  ws: Workspace,
): string {
  const { msPerRun } = state;
  const { changed } = workspaces;
  const targets = spec.targets ?? ['original'];
  const iterations = spec.iterations ?? 100;
  const random = lcg(targets.length * 7919 + iterations);
  const base = spec.modelPath === MOCK_SAMPLE_PATH ? 1.1 : 6;
  const factorOf = (t: string) =>
    t === 'original' ? 1 : 0.55 + 0.1 * (ws.variants.findIndex((v) => v.id === t) % 3);
  const samples: number[][] = targets.map(() => []);
  let streamed = 0;
  const draw = (t: string) =>
    base * factorOf(t) * Math.exp(0.08 * gaussian(random)) * (random() < 0.02 ? 2.5 : 1);
  const jobId = runJob(
    spec,
    Math.max(300, iterations * targets.length * msPerRun),
    'measuring',
    () => {
      const results: BenchTargetResult[] = targets.map((target, i) => {
        const s = samples[i] as number[];
        const variant = ws.variants.find((v) => v.id === target);
        const st = latencyStatsOf(summarize(s.length > 0 ? s : [base]));
        return {
          target,
          modelBytes: variant?.fileBytes ?? ws.model.fileBytes,
          throughput: 1000 / st.meanMs,
          ...st,
          initMs: 40,
          firstRunMs: base * 3,
          samples: s.slice(0, 2000),
          ...(spec.profile ? { profile: mockProfile(st.meanMs, variant !== undefined) } : {}),
        };
      });
      const record: BenchRecord = {
        id: `b-${state.counter}`,
        createdAt: new Date().toISOString(),
        engine: 'onnxruntime-node',
        provider: spec.ep ?? 'cpu',
        label: `onnxruntime-node ${spec.ep ?? 'cpu'}`,
        results,
        inputs: fedInputs(ws),
        notes: [],
      };
      ws.benchmarks.push(record);
      changed(ws);
      const reportResults = results.map((r) => ({
        ...r,
        model: r.target,
        ep: spec.ep ?? 'cpu',
        threads: 0,
        interOpThreads: 0,
        warmup: 10,
        peakRssBytes: 1,
        inputs: [],
      }));
      const report = {
        results: reportResults,
        // Judged as the engine judges them (one rule, shared/bench-comparisons.ts).
        comparisons: compareToBaseline(reportResults, samples),
        settings: {},
        notes: [],
        seconds: 1,
      };
      return ok({ report, recordId: record.id });
    },
    (fraction, emit) => {
      const due = Math.floor(fraction * iterations);
      if (due <= streamed) return;
      targets.forEach((t, i) => {
        const batch = Array.from({ length: due - streamed }, () => Math.round(draw(t) * 1e4) / 1e4);
        (samples[i] as number[]).push(...batch);
        emit({ type: 'metric', name: `latency/${i}`, unit: 'ms', values: batch });
      });
      streamed = due;
    },
  );
  return jobId;
}

/** Starts an evaluation job on `ws`; answers its job id. */
export function startEvaluateJob(
  { state, workspaces, runJob }: MockJobContext,
  spec: EvaluateJobSpec,
  ws: Workspace,
): string {
  const { changed } = workspaces;
  const target = spec.target ?? 'original';
  const jobId = runJob(spec, 600, 'evaluating', () => {
    // Data that passes the check but breaks mid-run: the evaluation job fails (for the UI's error paths).
    const dataPath = (spec.data.spec as { path?: string }).path;
    if (dataPath?.includes('corrupt')) {
      return fail({
        code: 'BAD_INPUT',
        message: `Sample 212 of ${dataPath.split('/').pop()} holds NaN values, so the model's outputs cannot be scored. Clean the data or leave those samples out.`,
      });
    }
    const isOriginal = target === 'original';
    const index = ws.variants.findIndex((v) => v.id === target);
    const labelled = spec.data.spec.kind !== 'synthetic';
    const report = {
      model: target,
      inputs: fedInputs(ws),
      data: JSON.stringify(spec.data.spec),
      samples: 360,
      task: labelled ? ('classification' as const) : ('none' as const),
      taskReason: 'mock',
      output: 'logits',
      seconds: 0.6,
      samplesPerSecond: 600,
      timing: { dataMs: 1, inferenceMs: 1, referenceMs: 1 },
      notes: [],
      ...(labelled
        ? {
            accuracy: isOriginal ? 358 / 360 : (358 - 2 * (index + 1)) / 360,
            correct: isOriginal ? 358 : 358 - 2 * (index + 1),
          }
        : {}),
      ...(!isOriginal && spec.reference
        ? {
            fidelity: {
              output: 'logits',
              cosine: 0.9993 - 0.0004 * index,
              worstSampleCosine: 0.99,
              sqnrDb: 31.5,
              maxAbsErr: 0.2,
              meanAbsErr: 0.02,
              top1Agreement: 0.9917 - 0.003 * index,
              exact: false,
            },
          }
        : {}),
    };
    ws.evaluations.push({
      id: `e-${state.counter}`,
      createdAt: new Date().toISOString(),
      target,
      ...(spec.reference ? { reference: spec.reference } : {}),
      dataset: mockIdentity(ws, spec.data, report.samples),
      report,
    });
    changed(ws);
    return ok({ report, recordId: `e-${state.counter}` });
  });
  return jobId;
}

function mockProfile(meanMs: number, quantized: boolean): BenchProfile {
  const shares: [string, number][] = quantized
    ? [
        ['ConvInteger', 0.5],
        ['DynamicQuantizeLinear', 0.2],
        ['Clip', 0.12],
        ['Add', 0.1],
        ['Gemm', 0.08],
      ]
    : [
        ['Conv', 0.72],
        ['Clip', 0.12],
        ['Add', 0.1],
        ['Gemm', 0.06],
      ];
  return {
    byOpType: shares.map(([opType, pct]) => ({ opType, ms: meanMs * 0.9 * pct, pct: pct * 100 })),
    topNodes: [],
    runs: 100,
    traceFile: '/tmp/profile.json',
  };
}
