/**
 * Pipelines through the real backend: the recipe, its benchmark and its evaluation run as jobs the backend
 * starts itself, the state is kept in the workspace file, and a backend started again (an app restart) finds a
 * cut-off pipeline interrupted and can finish it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../../shared/errors.js';
import type { PipelineRecord, Workspace } from '../../../shared/workspace.js';
import { encodeNpz } from '../datasets/npz-writer.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { tinyDigits } from '../testing/tiny-digits.js';
import type { StudioBackend } from './studio-backend.js';

const sample = tinyDigits();
let tmp: ReturnType<typeof makeTempDir>;
let model: string;
const backends: StudioBackend[] = [];

function makeBackend(): StudioBackend {
  const backend = testBackend(tmp.dir);
  backends.push(backend);
  return backend;
}

/** Queues one pipeline: its record, or why it was refused (the whole request, or its pipeline's data). */
async function startOne(backend: StudioBackend, request: Record<string, unknown>): Promise<Result<PipelineRecord>> {
  const answer = await backend.dispatch('studio:pipeline.start', { pipelines: [request] });
  if (!answer.ok) return answer;
  const record = answer.value.started[0]?.pipeline;
  if (record) return { ok: true, value: record };
  return { ok: false, error: answer.value.failed[0]?.error ?? { code: 'CANCELLED', message: 'Not started.' } };
}

async function workspace(backend: StudioBackend): Promise<Workspace> {
  const r = await backend.dispatch('studio:workspace.get', { modelPath: model });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-pipelines-');
  model = path.join(tmp.dir, 'digits.onnx');
  fs.copyFileSync(sample.modelPath, model);
});

afterAll(async () => {
  for (const b of backends) await b.dispose();
  tmp.cleanup();
});

describe('pipelines in the backend', () => {
  it('make, benchmark and evaluate run as one pipeline kept in the workspace', async () => {
    const backend = makeBackend();
    const started = await startOne(backend, {
      make: { kind: 'quantize', modelPath: model, method: 'int8-dynamic', common: {}, options: {} },
      bench: { iterations: 20, warmup: 2 },
      evaluate: { data: sample.data },
    });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.value.status).toBe('running');
    await backend.pipelines.whenSettled(started.value.id);
    const ws = await workspace(backend);
    const record = ws.pipelines!.find((p) => p.id === started.value.id)!;
    expect(record.status).toBe('done');
    expect(record.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    const variant = ws.variants.find((v) => v.id === record.variant)!;
    expect(variant.name).toBe('int8-dynamic');
    expect(ws.benchmarks.at(-1)!.results.map((r) => r.target)).toEqual(['original', variant.id]);
    expect(ws.evaluations.map((e) => e.target).sort()).toEqual(['original', variant.id].sort());
    // Every step names the job that ran it, and the job manager knows it.
    const jobs = backend.jobs.list().map((j) => j.jobId);
    for (const step of record.steps) expect(jobs).toContain(step.jobId);
  });

  it('a restarted backend shows a cut-off pipeline as interrupted and runs it again to the end', async () => {
    // What a pipeline looks like on disk when the app stopped during its benchmark.
    const first = makeBackend();
    const ws = await workspace(first);
    const made = ws.variants[0]!;
    const cutOff: PipelineRecord = {
      id: 'p-cutoff',
      title: 'Quantize: int8-dynamic',
      createdAt: ws.createdAt,
      updatedAt: ws.createdAt,
      status: 'running',
      request: {
        make: { kind: 'quantize', modelPath: model, method: 'int8-dynamic', common: {}, options: {} },
        bench: { iterations: 10, warmup: 1 },
      },
      variant: made.id,
      steps: [
        { kind: 'make', title: 'Quantize: int8-dynamic', status: 'done', jobId: 'job-gone-1' },
        { kind: 'bench', title: 'Benchmark original + int8-dynamic (onnxruntime-node, cpu)', status: 'running', jobId: 'job-gone-2' },
      ],
    };
    await first.store.update(model, (w) => {
      w.pipelines = [...(w.pipelines ?? []), cutOff];
    });
    const benchmarksBefore = ws.benchmarks.length;

    const restarted = makeBackend();
    const seen = (await workspace(restarted)).pipelines!.find((p) => p.id === 'p-cutoff')!;
    expect(seen.status).toBe('interrupted');
    expect(seen.steps.map((s) => s.status)).toEqual(['done', 'interrupted']);
    // Saved so: the file says it too.
    const onDisk = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'data', 'workspaces', ws.key, 'workspace.json'), 'utf8')) as Workspace;
    expect(onDisk.pipelines!.find((p) => p.id === 'p-cutoff')!.status).toBe('interrupted');

    const again = await restarted.dispatch('studio:pipeline.rerun', { modelPath: model, pipelineId: 'p-cutoff' });
    if (!again.ok) throw new Error(again.error.message);
    await restarted.pipelines.whenSettled('p-cutoff');
    const after = await workspace(restarted);
    expect(after.pipelines!.find((p) => p.id === 'p-cutoff')!.status).toBe('done');
    expect(after.benchmarks.length).toBe(benchmarksBefore + 1);
    expect(after.benchmarks.at(-1)!.results.map((r) => r.target)).toEqual(['original', made.id]);
    // The make step was not run again: no new variant.
    expect(after.variants.length).toBe(ws.variants.length);

    const refused = await restarted.dispatch('studio:pipeline.rerun', { modelPath: model, pipelineId: 'p-cutoff' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/nothing to run again/) } });
  });

  it("evaluates no baseline on an .npz without labels (only the data check can tell): fidelity needs none", async () => {
    const backend = makeBackend();
    // The digits' inputs alone, in an .npz: its spec cannot say it holds no labels.
    const spec = sample.data.spec as { path: string };
    const npz = path.join(tmp.dir, 'unlabelled.npz');
    fs.writeFileSync(npz, encodeNpz({ input: fs.readFileSync(path.resolve(sample.data.baseDir ?? '', spec.path)) }));
    const started = await startOne(backend, {
      make: { kind: 'quantize', modelPath: model, method: 'int8-dynamic', common: {}, options: {} },
      evaluate: { data: { spec: { kind: 'npz', path: npz } } },
    });
    if (!started.ok) throw new Error(started.error.message);
    await backend.pipelines.whenSettled(started.value.id);
    const record = (await workspace(backend)).pipelines!.find((p) => p.id === started.value.id)!;
    expect(record.steps.map((s) => [s.kind, s.status])).toEqual([
      ['make', 'done'],
      ['evaluate-original', 'skipped'],
      ['evaluate', 'done'],
    ]);
    expect(record.steps[1]!.note).toMatch(/no labels/);
    expect(record.status).toBe('done');
  });

  it('a dataset the user got wrong is refused as their input, not as a bug in the page', async () => {
    const backend = makeBackend();
    const refused = await startOne(backend, {
      make: { kind: 'quantize', modelPath: model, method: 'int8-dynamic' },
      evaluate: { data: { spec: { kind: 'images', path: '/imgs', preprocessing: { std: [0] } } } },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^The dataset is not valid: preprocessing\.std\.0: std values must not be 0\. Correct it/) } });
    expect(JSON.stringify(refused)).not.toMatch(/bug in the page/);
  });
});
