import { describe, expect, it } from 'vitest';
import type { JobSpec, PipelineRequest } from './ipc-contract.js';
import { makeStepTitle, type PipelineJobOutcome, PipelineRunner } from './pipeline-runner.js';
import { interruptedPipeline, STOPPED_WHILE_CLOSING } from './pipeline-interruption.js';
import type { Workspace } from './workspace.js';

const MODEL = '/models/m.onnx';

/** A host whose jobs end when the test says so, over one in-memory workspace. */
function fakeHost() {
  const ws: Workspace = {
    version: 1,
    key: 'k',
    model: { path: MODEL, fileBytes: 1, mtimeMs: 0 },
    createdAt: '',
    updatedAt: '',
    variants: [{ id: 'v-pruned', name: 'pruned', path: '/w/p.onnx', fileBytes: 1, createdAt: '', parent: 'original', recipe: { operation: 'prune', method: 'magnitude', common: {}, options: {} }, report: {} as never, cliCommand: '' }],
    benchmarks: [],
    evaluations: [],
  };
  const jobs: {
    spec: JobSpec;
    title?: string;
    jobId: string;
    ended: boolean;
    end: (o: PipelineJobOutcome) => void;
  }[] = [];
  let ids = 0;
  const waiting: (() => void)[] = [];
  const host = {
    ws,
    jobs,
    startJob(spec: JobSpec, title?: string) {
      const jobId = `j${jobs.length + 1}`;
      let resolveDone!: (o: PipelineJobOutcome) => void;
      const done = new Promise<PipelineJobOutcome>((resolve) => (resolveDone = resolve));
      const job = {
        spec,
        title,
        jobId,
        ended: false,
        end: (o: PipelineJobOutcome) => ((job.ended = true), resolveDone(o)),
      };
      jobs.push(job);
      for (const w of waiting.splice(0)) w();
      return { jobId, done };
    },
    async update(_modelPath: string, mutate: (w: Workspace) => void) {
      mutate(ws);
    },
    newId: () => `p${++ids}`,
    now: () => 'now',
    /** Resolves once `n` jobs were started. */
    async jobsStarted(n: number) {
      while (jobs.length < n) await new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
  return host;
}

const request: PipelineRequest = {
  make: { kind: 'quantize', modelPath: MODEL, method: 'int8-dynamic', common: {}, options: {} },
  bench: { ep: 'cpu', iterations: 20 },
  evaluate: { data: { spec: { kind: 'npy', path: '/d/x.npy', labels: '/d/y.npy' } } },
};
const made = { status: 'done', result: { variant: { id: 'v-new' } } } as const;

describe('PipelineRunner', () => {
  it('makes the variant, then benchmarks and evaluates it; the original is evaluated once per dataset', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const first = await runner.start(request);
    expect(first.steps.map((s) => s.title)).toEqual([
      'Quantize: int8-dynamic',
      'Benchmark original, int8-dynamic (onnxruntime-node, cpu)',
      'Evaluate original',
      'Evaluate int8-dynamic',
    ]);
    await host.jobsStarted(1);
    expect(host.ws.pipelines![0]!.steps[0]).toMatchObject({ status: 'running', jobId: 'j1' });
    host.jobs[0]!.end(made);
    await host.jobsStarted(2);
    expect(host.jobs[1]!.spec).toMatchObject({ kind: 'bench', targets: ['original', 'v-new'], iterations: 20 });
    host.jobs[1]!.end({ status: 'done', result: {} });
    await host.jobsStarted(3);
    expect(host.jobs[2]!.spec).toMatchObject({ kind: 'evaluate', target: 'original' });
    host.jobs[2]!.end({ status: 'done', result: {} });
    await host.jobsStarted(4);
    expect(host.jobs[3]!.spec).toMatchObject({ kind: 'evaluate', target: 'v-new', reference: 'original' });
    host.jobs[3]!.end({ status: 'done', result: { recordId: 'e-7' } });
    await runner.whenSettled(first.id);
    expect(host.ws.pipelines![0]).toMatchObject({ status: 'done', variant: 'v-new' });
    // The step keeps the record its job stored: the pipeline's badge shows that evaluation, not a later one.
    expect(host.ws.pipelines![0]!.steps[3]).toMatchObject({ status: 'done', recordId: 'e-7' });
    expect(host.ws.pipelines![0]!.steps[2]!.recordId).toBeUndefined();

    // A second recipe on the same data does not evaluate the original again, and says so.
    const second = await runner.start({ ...request, make: { ...request.make, method: 'fp16', source: 'v-pruned' } });
    expect(second.steps[0]!.title).toBe('Quantize: fp16 (from pruned)');
    // Its benchmark and evaluation name the variant as it will be called, after its parent.
    expect(second.steps[1]!.title).toMatch(/^Benchmark original, pruned \+ fp16 \(/);
    expect(second.steps[3]!.title).toBe('Evaluate pruned + fp16');
    await host.jobsStarted(5);
    host.jobs[4]!.end(made);
    await host.jobsStarted(6);
    host.jobs[5]!.end({ status: 'done', result: {} });
    await host.jobsStarted(7);
    expect(host.jobs[6]!.spec).toMatchObject({ kind: 'evaluate', target: 'v-new' });
    host.jobs[6]!.end({ status: 'done', result: {} });
    await runner.whenSettled(second.id);
    const steps = host.ws.pipelines![1]!.steps;
    expect(steps[2]).toMatchObject({ status: 'skipped', note: 'The original was already evaluated on this data.' });
    expect(host.ws.pipelines![1]!.status).toBe('done');
  });

  it('a failed make skips the rest; a failed benchmark does not stop the evaluation', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const p = await runner.start(request);
    await host.jobsStarted(1);
    host.jobs[0]!.end({ status: 'failed', error: { code: 'BAD_REQUEST', message: 'no such method' } });
    await runner.whenSettled(p.id);
    expect(host.ws.pipelines![0]!.status).toBe('failed');
    expect(host.ws.pipelines![0]!.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped']);
    expect(host.ws.pipelines![0]!.steps[0]!.error).toEqual({ code: 'BAD_REQUEST', message: 'no such method' });

    const q = await runner.start(request);
    await host.jobsStarted(2);
    host.jobs[1]!.end(made);
    await host.jobsStarted(3);
    host.jobs[2]!.end({ status: 'failed', error: { code: 'ENGINE_CRASHED', message: 'crashed' } });
    await host.jobsStarted(4);
    host.jobs[3]!.end({ status: 'done', result: {} });
    await host.jobsStarted(5);
    host.jobs[4]!.end({ status: 'done', result: {} });
    await runner.whenSettled(q.id);
    expect(host.ws.pipelines![1]!.steps.map((s) => s.status)).toEqual(['done', 'failed', 'done', 'done']);
    expect(host.ws.pipelines![1]!.status).toBe('failed');
  });

  it('a cancelled step cancels the pipeline: later steps are skipped', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const p = await runner.start(request);
    await host.jobsStarted(1);
    host.jobs[0]!.end(made);
    await host.jobsStarted(2);
    host.jobs[1]!.end({ status: 'cancelled' });
    await runner.whenSettled(p.id);
    expect(host.ws.pipelines![0]!.steps.map((s) => s.status)).toEqual(['done', 'cancelled', 'skipped', 'skipped']);
    expect(host.ws.pipelines![0]!.status).toBe('cancelled');
  });

  it('stopAll stops a pipeline between two steps: it queues no further step', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const p = await runner.start(request);
    await host.jobsStarted(1);
    // Stopped while its make job runs: cancelling jobs now would find that job, but not the benchmark it queues next.
    runner.stopAll();
    host.jobs[0]!.end(made);
    await runner.whenSettled(p.id);
    expect(host.jobs).toHaveLength(1);
    const record = host.ws.pipelines![0]!;
    expect(record.steps.map((s) => s.status)).toEqual(['done', 'skipped', 'skipped', 'skipped']);
    expect(record.steps[1]!.note).toMatch(/stopped its pipelines/);
    expect(record.status).toBe('interrupted');
  });

  it('stopAll while a step runs: the job the shutdown cancels leaves the pipeline interrupted, not cancelled (a user test)', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const p = await runner.start(request);
    await host.jobsStarted(1);
    host.jobs[0]!.end(made);
    await host.jobsStarted(2);
    // serve's Ctrl+C: stopAll, then every job is cancelled (StudioBackend.dispose).
    const stopped = runner.stopAll();
    host.jobs[1]!.end({ status: 'cancelled' });
    await stopped;
    const record = host.ws.pipelines!.find((x) => x.id === p.id)!;
    expect(record.status).toBe('interrupted');
    expect(record.steps.map((s) => s.status)).toEqual(['done', 'interrupted', 'skipped', 'skipped']);
    expect(record.steps[1]!.note).toBe(STOPPED_WHILE_CLOSING);
    expect(record.steps[2]!.note).toMatch(/stopped its pipelines \(it was closing\)/);
    // What the page shows the moment serve says it stops is what the runner then records.
    const shown = interruptedPipeline(
      {
        ...record,
        status: 'running',
        steps: record.steps.map(({ note: _note, ...s }, i) => ({
          ...s,
          status: i === 0 ? 'done' : i === 1 ? 'running' : 'pending',
        })),
      },
      'closing',
    );
    expect(shown).toEqual(record);
  });

  it('stopAll during the save of a claimed step: the step is not started, and stopAll resolves when it ends', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    await runner.start(request);
    await host.jobsStarted(1);
    // The next claim's save is slow; stopAll comes while it is written (after the jobs were cancelled).
    let release!: () => void;
    const saved = new Promise<void>((resolve) => (release = resolve));
    const update = host.update;
    host.update = async (modelPath: string, mutate: (w: Workspace) => void) => {
      await update(modelPath, mutate);
      if (host.ws.pipelines![0]!.steps[1]!.status === 'running') await saved;
    };
    host.jobs[0]!.end(made);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const stopped = runner.stopAll();
    release();
    await stopped;
    expect(host.jobs).toHaveLength(1);
    expect(host.ws.pipelines![0]!.steps.map((s) => s.status)).toEqual(['done', 'skipped', 'skipped', 'skipped']);
    expect(host.ws.pipelines![0]!.status).toBe('interrupted');
  });

  it('names the variant made as the workspace named it in its later steps and their jobs (a user test)', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const p = await runner.start({ ...request, make: { ...request.make, source: 'v-pruned' } });
    expect(p.steps[3]!.title).toBe('Evaluate pruned + int8-dynamic');
    await host.jobsStarted(1);
    // The workspace had a "pruned + int8-dynamic" already: the new one is "(2)".
    const named = { id: 'v-new', name: 'pruned + int8-dynamic (2)', parent: 'v-pruned' };
    host.ws.variants.push({ ...host.ws.variants[0]!, ...named });
    host.jobs[0]!.end(made);
    await host.jobsStarted(2);
    const titles = () => host.ws.pipelines![0]!.steps.map((s) => s.title);
    expect(titles()).toEqual([
      'Quantize: int8-dynamic (from pruned)',
      'Benchmark original, pruned + int8-dynamic (2) (onnxruntime-node, cpu)',
      'Evaluate original',
      'Evaluate pruned + int8-dynamic (2)',
    ]);
    expect(host.jobs[1]!.title).toBe('Benchmark original, pruned + int8-dynamic (2) (onnxruntime-node, cpu)');
    // Renamed before its evaluation: the evaluation's job says the name it has now.
    host.ws.variants.find((v) => v.id === 'v-new')!.name = 'fast one';
    host.jobs[1]!.end({ status: 'done', result: {} });
    await host.jobsStarted(3);
    host.jobs[2]!.end({ status: 'done', result: {} });
    await host.jobsStarted(4);
    expect(host.jobs[3]!.title).toBe('Evaluate fast one');
    host.jobs[3]!.end({ status: 'done', result: {} });
    await runner.whenSettled(p.id);
    expect(titles()[3]).toBe('Evaluate fast one');
  });

  it('after a restart, a running pipeline is interrupted; run again, it finishes from the first unfinished step', async () => {
    const host = fakeHost();
    const before = new PipelineRunner(host);
    const p = await before.start(request);
    await host.jobsStarted(1);
    host.jobs[0]!.end(made);
    await host.jobsStarted(2);
    // The app stops here: a new runner (a new process) finds the pipeline marked running.
    const after = new PipelineRunner(host);
    expect(after.reconcile(host.ws)).toBe(true);
    expect(after.reconcile(host.ws)).toBe(false);
    const record = host.ws.pipelines![0]!;
    expect(record.status).toBe('interrupted');
    expect(record.steps.map((s) => s.status)).toEqual(['done', 'interrupted', 'interrupted', 'interrupted']);
    expect(record.steps[1]!.note).toMatch(/stopped before this step finished/);
    // The first runner still holds its own: the original process never reconciles its live pipelines.
    expect(before.reconcile(host.ws)).toBe(false);

    const again = await after.rerun(host.ws, p.id);
    expect(again.steps.map((s) => s.status)).toEqual(['done', 'pending', 'pending', 'pending']);
    await expect(after.rerun(host.ws, p.id)).rejects.toThrow(/still running/);
    await host.jobsStarted(3);
    expect(host.jobs[2]!.spec).toMatchObject({ kind: 'bench', targets: ['original', 'v-new'] });
    for (const n of [3, 4, 5]) {
      await host.jobsStarted(n);
      host.jobs[n - 1]!.end({ status: 'done', result: {} });
    }
    await after.whenSettled(p.id);
    expect(host.ws.pipelines![0]!.status).toBe('done');
    await expect(after.rerun(host.ws, p.id)).rejects.toThrow(/nothing to run again/);
    await expect(after.rerun(host.ws, 'p-missing')).rejects.toThrow(/no pipeline 'p-missing'/);
  });

  it('a job the host refuses fails its step with the host message', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner({
      ...host,
      startJob: () => {
        throw { code: 'BAD_REQUEST', message: 'refused' };
      },
    });
    const p = await runner.start({ make: request.make });
    await runner.whenSettled(p.id);
    expect(host.ws.pipelines![0]!.steps[0]).toMatchObject({ status: 'failed', error: { code: 'BAD_REQUEST', message: 'refused' } });
  });

  it('without labels the original needs no evaluation of its own: the variant is compared by fidelity', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const p = await runner.start({ make: request.make, evaluate: { data: { spec: { kind: 'synthetic', samples: 8 } } } });
    await host.jobsStarted(1);
    host.jobs[0]!.end(made);
    await host.jobsStarted(2);
    expect(host.jobs[1]!.spec).toMatchObject({ kind: 'evaluate', target: 'v-new', reference: 'original' });
    host.jobs[1]!.end({ status: 'done', result: {} });
    await runner.whenSettled(p.id);
    const record = host.ws.pipelines![0]!;
    expect(record.steps.map((s) => s.status)).toEqual(['done', 'skipped', 'done']);
    expect(record.steps[1]!.note).toMatch(/no labels, so the variant is compared with the original by fidelity/);
    expect(record.status).toBe('done');
  });

  it("a language model's real ids without labels: the original is evaluated, its next-token accuracy the baseline", async () => {
    const host = fakeHost();
    // ids [1, 16] look up a table of 64 rows; logits [1, 16, 64] score them (shared/own-ids.ts).
    host.ws.model.summary = {
      inputs: [{ name: 'input_ids', dtype: 'int64', shape: [1, 16], indexes: { table: 'embed', rows: 64 } }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 16, 64] }],
    } as never;
    const runner = new PipelineRunner(host);
    const p = await runner.start({ make: request.make, evaluate: { data: { spec: { kind: 'npy', path: '/d/ids.npy' } } } });
    await host.jobsStarted(1);
    host.jobs[0]!.end(made);
    await host.jobsStarted(2);
    expect(host.jobs[1]!.spec).toMatchObject({ kind: 'evaluate', target: 'original' });
    host.jobs[1]!.end({ status: 'done', result: {} });
    await host.jobsStarted(3);
    host.jobs[2]!.end({ status: 'done', result: {} });
    await runner.whenSettled(p.id);
    expect(host.ws.pipelines![0]!.steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    // Synthetic ids are random: there the original is still not evaluated.
    const synthetic = await runner.start({ make: request.make, evaluate: { data: { spec: { kind: 'synthetic', samples: 8 } } } });
    await host.jobsStarted(4);
    host.jobs[3]!.end(made);
    await host.jobsStarted(5);
    expect(host.jobs[4]!.spec).toMatchObject({ target: 'v-new', reference: 'original' });
    host.jobs[4]!.end({ status: 'done', result: {} });
    await runner.whenSettled(synthetic.id);
  });

  it('two pipelines started together evaluate the original once', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const both = { make: request.make, evaluate: request.evaluate! };
    const first = await runner.start(both);
    const second = await runner.start(both);
    await host.jobsStarted(2);
    host.jobs[0]!.end(made);
    host.jobs[1]!.end(made);
    // Each pipeline's next step is claimed in one update: only one starts the original's evaluation.
    await host.jobsStarted(4);
    // Finish every job as it comes, until both pipelines have run out of steps.
    const settled = Promise.all([runner.whenSettled(first.id), runner.whenSettled(second.id)]);
    let done = false;
    void settled.then(() => (done = true));
    while (!done) {
      for (const job of host.jobs) if (!job.ended) job.end({ status: 'done', result: {} });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const originals = host.jobs.filter((j) => j.spec.kind === 'evaluate' && j.spec.target === 'original');
    expect(originals).toHaveLength(1);
    const notes = host.ws.pipelines!.map((p) => p.steps.find((s) => s.kind === 'evaluate-original'));
    expect(notes.map((s) => s?.status).sort()).toEqual(['done', 'skipped']);
    expect(notes.find((s) => s?.status === 'skipped')?.note).toBe('Another pipeline is evaluating the original on this data.');
  });
});

describe('PipelineRunner.startChecked: the pipelines of one studio:pipeline.start', () => {
  const report = { identity: {}, inputs: [], hasLabels: true, warnings: [] } as never;
  const badInput = { code: 'BAD_INPUT', message: 'the data does not fit' };
  /** Starts three pipelines whose checks answer `answer(item)`; records which were checked. */
  async function startThree(answer: (item: number) => 'ok' | 'fail' | 'cancel' | 'cancel-late') {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    const checked: number[] = [];
    let aborted = false;
    const outcome = await runner.startChecked(
      [request, request, request],
      async (_r, item) => {
        checked.push(item);
        const a = answer(item);
        if (a === 'fail') throw badInput;
        if (a === 'cancel') throw { code: 'CANCELLED', message: 'The data check was cancelled.' };
        if (a === 'cancel-late') aborted = true; // pressed after this check ended, before its pipeline started
        return report;
      },
      () => aborted,
    );
    return { outcome, checked, pipelines: host.ws.pipelines ?? [] };
  }

  it('checks and starts each pipeline in order', async () => {
    const { outcome, checked, pipelines } = await startThree(() => 'ok');
    // Calibration-free recipes with evaluation data: one check each.
    expect(checked).toEqual([0, 1, 2]);
    expect(outcome.started.map((s) => s.pipeline.id)).toEqual(['p1', 'p2', 'p3']);
    expect(outcome).toMatchObject({ failed: [], cancelled: false });
    expect(pipelines).toHaveLength(3);
  });

  it('reports a pipeline whose data failed by its index, and goes on to the next', async () => {
    const { outcome, pipelines } = await startThree((i) => (i === 0 ? 'fail' : 'ok'));
    expect(outcome.failed).toEqual([{ index: 0, error: badInput }]);
    expect(outcome.started.map((s) => s.index)).toEqual([1, 2]);
    expect(pipelines).toHaveLength(2);
  });

  it('starts no pipeline after a cancelled check, and does not call it a failure', async () => {
    const { outcome, checked, pipelines } = await startThree((i) => (i === 1 ? 'cancel' : 'ok'));
    expect(checked).toEqual([0, 1]);
    expect(outcome).toMatchObject({ failed: [], cancelled: true });
    expect(outcome.started).toHaveLength(1);
    expect(pipelines).toHaveLength(1);
  });

  it('a Cancel after a check ended stops its pipeline before it is recorded', async () => {
    const { outcome, checked, pipelines } = await startThree((i) => (i === 1 ? 'cancel-late' : 'ok'));
    expect(checked).toEqual([0, 1]);
    expect(outcome).toMatchObject({ started: [{ index: 0, pipeline: { id: 'p1' } }], failed: [], cancelled: true });
    expect(pipelines).toHaveLength(1);
  });
});

describe('PipelineRunner.startsInFlight: a pipeline.start a reloaded page can see and cancel', () => {
  it('lists a start under a checkId with its titles and how far it is, for its model only, until it ends', async () => {
    const host = fakeHost();
    const announced: string[] = [];
    const runner = new PipelineRunner({ ...host, startsChanged: (modelPath) => announced.push(modelPath) });
    let release!: () => void;
    const second = new Promise<void>((resolve) => (release = resolve));
    const report = { identity: {}, inputs: [], hasLabels: true, warnings: [] } as never;
    const fromPruned = { ...request, make: { ...request.make, source: 'v-pruned' } };
    const done = runner.startChecked(
      [request, fromPruned, request],
      async (_r, item) => {
        if (item === 1) await second;
        return report;
      },
      () => false,
      'check-1',
    );
    await host.jobsStarted(1);
    const other = { ...host.ws, model: { ...host.ws.model, path: '/models/other.onnx' } };
    expect(runner.startsInFlight(other)).toEqual([]);
    expect(runner.startsInFlight(host.ws)).toEqual([
      {
        checkId: 'check-1',
        titles: ['Quantize: int8-dynamic', 'Quantize: int8-dynamic (from pruned)', 'Quantize: int8-dynamic'],
        item: 1,
        started: 1,
        failed: 0,
      },
    ]);
    // The pages were told when it began and when it went on to the second pipeline.
    expect(announced).toEqual([MODEL, MODEL]);
    release();
    await done;
    expect(runner.startsInFlight(host.ws)).toEqual([]);
    expect(announced.at(-1)).toBe(MODEL);
  });

  it('a start without a checkId cannot be cancelled, so it is not listed', async () => {
    const host = fakeHost();
    const runner = new PipelineRunner(host);
    let seen: unknown[] = ['not checked'];
    await runner.startChecked(
      [request],
      async () => {
        seen = runner.startsInFlight(host.ws);
        return { identity: {}, inputs: [], hasLabels: true, warnings: [] } as never;
      },
      () => false,
    );
    expect(seen).toEqual([]);
  });
});

describe("a pipeline's title", () => {
  it('names the recipe with the options that tell it apart, its calibration data and its source', () => {
    const make = {
      kind: 'quantize',
      modelPath: '/m/x.onnx',
      method: 'int8-static',
      common: { perTensor: true },
      options: { calibMethod: 'minmax' },
      calibration: { spec: { kind: 'npz', path: '/d/calib.npz' } },
      source: 'v-1',
    } as PipelineRequest['make'];
    expect(makeStepTitle(make, 'structured 30%')).toBe(
      'Quantize: int8-static (minmax, per-tensor) on calib.npz (from structured 30%)',
    );
    const prune = { kind: 'prune', modelPath: '/m/x.onnx', method: 'structured', common: { sparsity: 0.3 } };
    expect(makeStepTitle(prune as PipelineRequest['make'])).toBe('Prune: structured 30%');
    expect(makeStepTitle({ ...make, name: 'mine' } as PipelineRequest['make'])).toBe(
      'Quantize: mine on calib.npz',
    );
  });
});
