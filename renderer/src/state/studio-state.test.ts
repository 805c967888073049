import { describe, expect, it } from 'vitest';
import type { JobEvent, JobInfo } from '../../../shared/ipc-contract.js';
import {
  initialState,
  studioReducer,
  type StudioAction,
  type StudioState,
} from './studio-state.js';
import { benchRecord, events, MODEL_PATH, SUMMARY, variant, workspace } from './test-fixtures.js';

function run(state: StudioState, ...actions: StudioAction[]): StudioState {
  return actions.reduce(studioReducer, state);
}

const opened = run(initialState, { type: 'model-opened', summary: SUMMARY, workspace: workspace() });

describe('studio state', () => {
  it('tracks a job from queued to done, with progress, ETA and notes', () => {
    const [queued, progress, warn, info, debug, result] = events(
      'j1',
      { type: 'progress', fraction: 0, stage: 'queued' },
      { type: 'progress', fraction: 0.4, stage: 'quantizing', etaMs: 1500 },
      { type: 'log', level: 'warn', message: 'opset raised to 13' },
      { type: 'log', level: 'info', message: 'Nothing to quantize: int4 quantizes MatMul, Gemm nodes' },
      { type: 'log', level: 'debug', message: 'session options: ...' },
      { type: 'result', result: { report: {}, variant: variant('v1', 'int8-dynamic', 1000) } },
    );
    let state = run(opened, {
      type: 'job-submitted',
      jobId: 'j1',
      kind: 'quantize',
      title: 'Quantize',
      modelPath: MODEL_PATH,
      atMs: 900,
    });
    expect(state.jobs[0]).toMatchObject({ status: 'queued', stage: 'queued' });
    state = run(state, { type: 'job-event', event: queued! }, { type: 'job-event', event: progress! });
    expect(state.jobs[0]).toMatchObject({
      status: 'running',
      fraction: 0.4,
      stage: 'quantizing',
      etaMs: 1500,
      etaAtMs: 1100,
      runningSinceMs: 1100,
    });
    state = run(
      state,
      { type: 'job-event', event: warn! },
      { type: 'job-event', event: info! },
      { type: 'job-event', event: debug! },
      { type: 'job-event', event: result! },
    );
    // The engine's notes (warnings and explanations) are the job's; debug lines are not shown.
    expect(state.jobs[0]).toMatchObject({
      status: 'done',
      fraction: 1,
      notes: ['opset raised to 13', 'Nothing to quantize: int4 quantizes MatMul, Gemm nodes'],
      finishedAtMs: 1500, // the events helper stamps each event 100 ms after the last
    });
    expect(state.jobs[0]?.result).toMatchObject({ variant: { id: 'v1' } });
  });

  it("lists a benchmark's warnings but not its info lines (the settings the app shows anyway)", () => {
    const logs = events(
      'b1',
      { type: 'log', level: 'info', message: 'intra-op spinning is off (the default)' },
      { type: 'log', level: 'warn', message: 'the first runs were 3x slower than the rest' },
    );
    let state = run(opened, {
      type: 'job-submitted',
      jobId: 'b1',
      kind: 'bench',
      title: 'Benchmark',
      modelPath: MODEL_PATH,
      atMs: 900,
    });
    state = run(state, ...logs.map((event) => ({ type: 'job-event' as const, event })));
    expect(state.jobs[0]?.notes).toEqual(['the first runs were 3x slower than the rest']);
  });

  it("lists an evaluation's info notes: they say what its figure rests on", () => {
    const note = "the data has no array for 'sr' (= 16000): every sample feeds it the value the input spec sets.";
    const [log] = events('e1', { type: 'log', level: 'info', message: note });
    let state = run(opened, {
      type: 'job-submitted',
      jobId: 'e1',
      kind: 'evaluate',
      title: 'Evaluate original',
      modelPath: MODEL_PATH,
      atMs: 900,
    });
    state = run(state, { type: 'job-event', event: log! });
    expect(state.jobs[0]?.notes).toEqual([note]);
  });

  it('replays events that arrived before startJob answered, in order', () => {
    const [a, b] = events(
      'j2',
      { type: 'progress', fraction: 0.2, stage: 'warmup' },
      { type: 'failed', error: { code: 'ORT', message: 'boom' } },
    );
    let state = run(opened, { type: 'job-event', event: b! }, { type: 'job-event', event: a! });
    expect(state.earlyEvents).toHaveLength(2);
    state = run(state, {
      type: 'job-submitted',
      jobId: 'j2',
      kind: 'bench',
      title: 'Bench',
      modelPath: MODEL_PATH,
      atMs: 0,
    });
    expect(state.earlyEvents).toHaveLength(0);
    expect(state.jobs[0]).toMatchObject({ status: 'failed', error: { code: 'ORT', message: 'boom' } });
  });

  it('drops duplicates and anything after the terminal event', () => {
    const [p, done, late] = events(
      'j3',
      { type: 'progress', fraction: 0.5, stage: 'x' },
      { type: 'cancelled' },
      { type: 'progress', fraction: 0.9, stage: 'y' },
    );
    const state = run(
      opened,
      { type: 'job-submitted', jobId: 'j3', kind: 'bench', title: 'B', modelPath: MODEL_PATH, atMs: 0 },
      { type: 'job-event', event: p! },
      { type: 'job-event', event: p! },
      { type: 'job-event', event: done! },
      { type: 'job-event', event: late! },
    );
    expect(state.jobs[0]).toMatchObject({ status: 'cancelled', fraction: 0.5 });
  });

  it('keeps what a job that ended could not do, so it counts as partly failed', () => {
    const [result] = events('w1', { type: 'result', result: {}, partial: '1 of 6 models not measured' });
    const state = run(
      opened,
      { type: 'job-submitted', jobId: 'w1', kind: 'bench', title: 'Browser benchmark', modelPath: MODEL_PATH, atMs: 1 },
      { type: 'job-event', event: result! },
    );
    expect(state.jobs[0]).toMatchObject({ status: 'done', partial: '1 of 6 models not measured' });
  });

  it('streams latency samples per target, keeps final figures until the workspace has the record', () => {
    const source = { engine: 'onnxruntime-node' as const, provider: 'cpu' };
    const [m0, m1, m0b, result] = events(
      'b1',
      { type: 'metric', name: 'latency/0', unit: 'ms', values: [2, 2.2] },
      { type: 'metric', name: 'latency/1', unit: 'ms', values: [1] },
      { type: 'metric', name: 'latency/0', unit: 'ms', values: [2.1] },
      {
        type: 'result',
        result: {
          report: {
            results: [
              {
                p50Ms: 2.1,
                p90Ms: 2.2,
                p95Ms: 2.2,
                p99Ms: 2.2,
                meanMs: 2.1,
                stdMs: 0.1,
                minMs: 2,
                maxMs: 2.2,
                iterations: 3,
              },
            ],
          },
          recordId: 'r1',
        },
      },
    );
    let state = run(
      opened,
      {
        type: 'job-submitted',
        jobId: 'b1',
        kind: 'bench',
        title: 'B',
        modelPath: MODEL_PATH,
        targets: ['original', 'v1'],
        measurement: source,
        atMs: 0,
      },
      { type: 'job-event', event: m0! },
      { type: 'job-event', event: m1! },
      { type: 'job-event', event: m0b! },
    );
    expect(state.jobs[0]?.status).toBe('running');
    expect(state.live[0]?.samples).toEqual({ original: [2, 2.2, 2.1], v1: [1] });
    state = run(state, { type: 'job-event', event: result! });
    expect(state.live[0]).toMatchObject({ recordId: 'r1', final: { original: { p50Ms: 2.1, iterations: 3 } } });
    state = run(state, {
      type: 'workspace-loaded',
      workspace: workspace({ benchmarks: [benchRecord('r1', 'cpu', { original: 2.1 })] }),
    });
    expect(state.live).toHaveLength(0);
  });

  it('ignores a workspace of another model', () => {
    const other = workspace({ model: { path: '/other.onnx', fileBytes: 1, mtimeMs: 0 } });
    expect(run(opened, { type: 'workspace-loaded', workspace: other }).workspace).toBe(opened.workspace);
  });

  it('adopts jobs it did not start (after a reload) and catches up on missed events', () => {
    const info: JobInfo = {
      jobId: 'j9',
      spec: { kind: 'bench', modelPath: MODEL_PATH, targets: ['original', 'v1'] },
      state: 'running',
      createdAt: 5,
      startedAt: 6,
      progress: { fraction: 0.7, stage: 'measuring' },
      lastSeq: 12,
    };
    let state = run(opened, {
      type: 'jobs-synced',
      jobs: [info],
      titles: { j9: 'Benchmark original + int8' },
    });
    expect(state.jobs[0]).toMatchObject({
      jobId: 'j9',
      title: 'Benchmark original + int8',
      status: 'running',
      fraction: 0.7,
      targets: ['original', 'v1'],
      lastSeq: 12,
    });
    state = run(state, {
      type: 'jobs-synced',
      jobs: [
        {
          ...info,
          state: 'succeeded',
          lastSeq: 20,
          endedAt: 9,
          terminal: { type: 'result', jobId: 'j9', seq: 20, timeMs: 9, result: 1 },
        },
      ],
      titles: {},
    });
    expect(state.jobs[0]).toMatchObject({ status: 'done', fraction: 1, finishedAtMs: 9, result: 1 });
  });

  it('does not bring back a job the user cleared when the jobs are listed again, but adds new ones, finished or not', () => {
    const done = (jobId: string, createdAt: number): JobInfo => ({
      jobId,
      spec: { kind: 'bench', modelPath: MODEL_PATH, targets: ['original'] },
      state: 'succeeded',
      createdAt,
      lastSeq: 3,
    });
    let state = run(opened, { type: 'jobs-synced', jobs: [done('old', 1)], titles: {} });
    state = run(state, { type: 'jobs-cleared' });
    expect(state.jobs).toEqual([]);
    // Another tab's catch-up lists the cleared job again, and a job of that tab that ended in under a second.
    state = run(state, { type: 'jobs-synced', jobs: [done('old', 1), done('quick', 2)], titles: {} });
    expect(state.jobs.map((j) => j.jobId)).toEqual(['quick']);
  });

  it("keeps one record of a job a listing brought in before the page's own start answered", () => {
    // serve: another tab's catch-up (or a reconnect) listed the job between this page's request and its answer.
    const info: JobInfo = {
      jobId: 'j5',
      spec: { kind: 'bench', modelPath: MODEL_PATH, targets: ['original', 'v1'] },
      state: 'running',
      createdAt: 5,
      progress: { fraction: 0.3, stage: 'measuring' },
      lastSeq: 4,
    };
    let state = run(opened, { type: 'jobs-synced', jobs: [info], titles: { j5: 'listed title' } });
    state = run(state, {
      type: 'job-submitted',
      jobId: 'j5',
      kind: 'bench',
      title: 'Benchmark original + int8',
      modelPath: MODEL_PATH,
      targets: ['original', 'v1'],
      atMs: 7,
    });
    expect(state.jobs.filter((j) => j.jobId === 'j5')).toHaveLength(1);
    // One that ended before the page's own registration starts no live run (it read "live" for good).
    const ended = run(
      opened,
      { type: 'jobs-synced', jobs: [{ ...info, state: 'succeeded', lastSeq: 9 }], titles: {} },
      {
        type: 'job-submitted',
        jobId: 'j5',
        kind: 'bench',
        title: 'Benchmark original, int8',
        modelPath: MODEL_PATH,
        targets: ['original', 'v1'],
        measurement: { engine: 'onnxruntime-node', provider: 'cpu' },
        atMs: 7,
      },
    );
    expect(ended.live).toEqual([]);
    expect(state.jobs[0]).toMatchObject({ title: 'Benchmark original + int8', status: 'running', fraction: 0.3 });
  });

  it("resumes a running benchmark's live figures after a reload: the backend's samples, then the events after them", () => {
    const info: JobInfo = {
      jobId: 'b7',
      spec: { kind: 'bench', modelPath: MODEL_PATH, targets: ['original', 'v1'], ep: 'cpu' },
      state: 'running',
      createdAt: 5,
      startedAt: 6,
      progress: { fraction: 0.4, stage: 'measuring' },
      lastSeq: 9,
      title: 'Benchmark original + int8 (onnxruntime-node, cpu)',
      metrics: [
        { name: 'latency/0', unit: 'ms', values: [1, 1.1] },
        { name: 'latency/1', unit: 'ms', values: [0.5] },
      ],
    };
    const metric = (seq: number, name: string, values: number[]): JobEvent => ({
      type: 'metric', jobId: 'b7', seq, timeMs: 7, name, unit: 'ms', values,
    });
    // Events that came in before the page's job list answered: one it already counts (seq 9), one after.
    let state = run(opened, { type: 'job-events', events: [metric(9, 'latency/1', [0.5]), metric(10, 'latency/1', [0.6])] });
    state = run(state, { type: 'jobs-synced', jobs: [info], titles: { b7: info.title! } });
    expect(state.jobs[0]).toMatchObject({
      title: 'Benchmark original + int8 (onnxruntime-node, cpu)',
      measurement: { engine: 'onnxruntime-node', provider: 'cpu' },
      lastSeq: 10,
    });
    expect(state.live).toHaveLength(1);
    expect(state.live[0]).toMatchObject({ jobId: 'b7', source: { engine: 'onnxruntime-node', provider: 'cpu' } });
    expect(state.live[0]!.samples).toEqual({ original: [1, 1.1], v1: [0.5, 0.6] });
    expect(state.earlyEvents).toEqual([]);
    // And it goes on streaming.
    state = run(state, { type: 'job-event', event: metric(11, 'latency/0', [1.2]) });
    expect(state.live[0]!.samples.original).toEqual([1, 1.1, 1.2]);
  });

  it('adopts an evaluation with the model it evaluated, not its reference, so a failure stays on its variant', () => {
    const state = run(opened, {
      type: 'jobs-synced',
      jobs: [
        {
          jobId: 'e1',
          spec: { kind: 'evaluate', modelPath: MODEL_PATH, target: 'v1', reference: 'original', data: { spec: { kind: 'synthetic', samples: 8 } } },
          state: 'failed',
          createdAt: 1,
          endedAt: 2,
          terminal: { type: 'failed', jobId: 'e1', seq: 3, timeMs: 2, error: { code: 'BAD_INPUT', message: 'NaN' } },
          lastSeq: 3,
        },
        {
          jobId: 'e2',
          spec: { kind: 'evaluate', modelPath: MODEL_PATH, data: { spec: { kind: 'synthetic', samples: 8 } } },
          state: 'succeeded',
          createdAt: 3,
          lastSeq: 1,
        },
      ],
      titles: {},
    });
    expect(state.jobs.map((j) => [j.jobId, j.targets])).toEqual([
      ['e1', ['v1']],
      ['e2', ['original']],
    ]);
  });

  it('records a job that could not start, and clears finished jobs on request', () => {
    let state = run(opened, {
      type: 'job-submit-failed',
      jobId: 'x',
      kind: 'quantize',
      title: 'Quantize',
      modelPath: MODEL_PATH,
      error: { code: 'BAD_REQUEST', message: 'bad' },
      atMs: 1,
    });
    expect(state.jobs[0]).toMatchObject({ status: 'failed', error: { message: 'bad' } });
    state = run(state, { type: 'jobs-cleared' });
    expect(state.jobs).toEqual([]);
  });
});

describe('batched events', () => {
  it('applies a batch in order, the same as one by one', () => {
    const batch = events(
      'j7',
      { type: 'progress', fraction: 0.1, stage: 'measuring' },
      { type: 'progress', fraction: 0.6, stage: 'measuring' },
      { type: 'cancelled' },
    );
    const submitted = run(opened, {
      type: 'job-submitted',
      jobId: 'j7',
      kind: 'bench',
      title: 'B',
      modelPath: MODEL_PATH,
      atMs: 0,
    });
    const oneByOne = run(submitted, ...batch.map((event) => ({ type: 'job-event' as const, event })));
    expect(run(submitted, { type: 'job-events', events: batch })).toEqual(oneByOne);
    expect(oneByOne.jobs[0]).toMatchObject({ status: 'cancelled', fraction: 0.6 });
  });
});
