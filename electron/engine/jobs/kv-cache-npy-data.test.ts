/**
 * A decoder with a KV cache evaluated on token ids in a `.npy` through the real backend, as the app queues it: the
 * Model view saves values for every integer and bool input (its form is prefilled with a range of ids for
 * `input_ids` beside the mask, the positions and the cache switch), and the one array the file holds is the ids.
 * Before, such a spec filled every input, so the array fed none ("ids.npy holds one array, but the model has 9
 * inputs"), while the CLI took the same data with `--value attention_mask=1 --value position_ids=positions`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetCheckReport, JobSpec } from '../../../shared/ipc-contract.js';
import { guessInputSpec, specFromGuesses, type InputSpec } from '../../../shared/input-spec.js';
import type { Workspace } from '../../../shared/workspace.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { encodeNpz } from '../datasets/npz-writer.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { buildKvCacheLm } from '../testing/kv-cache-lm.js';
import { modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { testBackend } from '../testing/test-backend.js';
import { patternIds } from '../testing/tied-lm.js';
import type { StudioBackend } from './studio-backend.js';

const VOCAB = 32;
const TOKENS = 12;
const SAMPLES = 16;

let tmp: ReturnType<typeof makeTempDir>;
let backend: StudioBackend;
let past: string;
let merged: string;
const ids = () => ({ spec: { kind: 'npy' as const, path: path.join(tmp.dir, 'ids.npy') } });

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-kv-npy-');
  past = path.join(tmp.dir, 'decoder_with_past_model.onnx');
  merged = path.join(tmp.dir, 'decoder_model_merged.onnx');
  fs.writeFileSync(past, modelBytes(buildKvCacheLm({ vocab: VOCAB, positionIds: true })));
  fs.writeFileSync(merged, modelBytes(buildKvCacheLm({ vocab: VOCAB, positionIds: true, merged: true })));
  const tokens = patternIds(SAMPLES, TOKENS, VOCAB);
  fs.writeFileSync(path.join(tmp.dir, 'ids.npy'), encodeNpyArray(tokens, 'int64', [SAMPLES, TOKENS]));
  // The same ids with the mask and positions the spec sets, given as arrays: what the .npy must grade like.
  const positions = BigInt64Array.from({ length: SAMPLES * TOKENS }, (_, k) => BigInt(k % TOKENS));
  fs.writeFileSync(
    path.join(tmp.dir, 'explicit.npz'),
    encodeNpz({
      input_ids: encodeNpyArray(tokens, 'int64', [SAMPLES, TOKENS]),
      attention_mask: encodeNpyArray(new BigInt64Array(SAMPLES * TOKENS).fill(1n), 'int64', [
        SAMPLES,
        TOKENS,
      ]),
      position_ids: encodeNpyArray(positions, 'int64', [SAMPLES, TOKENS]),
    }),
  );
  backend = testBackend(tmp.dir);
});

afterAll(async () => {
  await backend.dispose();
  tmp.cleanup();
});

async function ok<T>(
  p: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>,
): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** The spec the Model view saves with its fields as prefilled (a past of 0), with the mask and positions it shows. */
async function modelViewSpec(model: string): Promise<InputSpec> {
  const summary = await inspectModel(model);
  const spec = specFromGuesses(guessInputSpec(summary.inputs));
  expect(spec.values).toMatchObject({
    input_ids: { kind: 'range', min: 0, max: VOCAB - 1 },
    attention_mask: { kind: 'constant', value: 1 },
    position_ids: { kind: 'positions', start: 0 },
  });
  expect(spec.shapes['past_key_values.0.key']).toEqual([1, 2, 0, 8]);
  return spec;
}

async function check(modelPath: string): Promise<DatasetCheckReport> {
  return ok(backend.dispatch('studio:dataset.check', { modelPath, role: 'evaluation', data: ids() }));
}

async function evaluate(spec: JobSpec) {
  const { done } = backend.jobs.start(spec);
  const end = await done;
  if (end.type !== 'result') throw new Error(end.type === 'failed' ? end.error.message : end.type);
  return end;
}

describe("a KV-cache decoder's .npy token ids with the Model view's input spec", () => {
  it('are checked, quantized to int4 and evaluated in a pipeline, graded as the same ids given with every array', async () => {
    await ok(
      backend.dispatch('studio:experiment.set', {
        modelPath: past,
        inputs: await modelViewSpec(past),
        confirmInputs: true,
      }),
    );
    const report = await check(past);
    expect(report.inputs.find((i) => i.name === 'input_ids')?.shape).toEqual([1, TOKENS]);
    expect(report.inputs.find((i) => i.name === 'past_key_values.0.key')?.shape).toEqual([1, 2, 0, 8]);
    expect(report.warnings.join('\n')).toContain("the data has no arrays for 'attention_mask' (= 1)");

    const started = await ok(
      backend.dispatch('studio:pipeline.start', {
        pipelines: [
          {
            make: { kind: 'quantize', modelPath: past, method: 'int4', common: {}, options: {} },
            evaluate: { data: ids() },
          },
        ],
      }),
    );
    expect(started.failed).toEqual([]);
    const pipeline = started.started[0]?.pipeline;
    await backend.pipelines.whenSettled(pipeline!.id);
    const ws: Workspace = await ok(backend.dispatch('studio:workspace.get', { modelPath: past }));
    const record = ws.pipelines!.find((p) => p.id === pipeline!.id)!;
    expect(record.steps.map((s) => `${s.kind} ${s.status}`)).toEqual([
      'make done',
      'evaluate-original done',
      'evaluate done',
    ]);
    const original = ws.evaluations.find((e) => e.target === 'original')!.report;
    const variant = ws.evaluations.find((e) => e.target === record.variant)!.report;
    expect(original.nextToken?.idsInput).toBe('input_ids');
    expect(original.nextToken?.positions).toBe(SAMPLES * (TOKENS - 1));
    expect(original.accuracy).toBeGreaterThan(0.7);
    expect(variant.nextToken?.positions).toBe(SAMPLES * (TOKENS - 1));
    expect(variant.fidelity).toBeDefined();

    // The arrays the spec filled, given in the data: the same grades, so the .npy was fed what the spec says.
    const explicit = await evaluate({
      kind: 'evaluate',
      modelPath: past,
      data: { spec: { kind: 'npz', path: path.join(tmp.dir, 'explicit.npz') } },
    });
    const whole = (explicit.result as { report: typeof original }).report;
    expect(whole.accuracy).toBe(original.accuracy);
    expect(whole.nextToken?.crossEntropy).toBe(original.nextToken?.crossEntropy);
  });

  it("fills a merged export's cache switch from the spec too", async () => {
    await ok(
      backend.dispatch('studio:experiment.set', {
        modelPath: merged,
        inputs: await modelViewSpec(merged),
        confirmInputs: true,
      }),
    );
    const report = await check(merged);
    expect(report.warnings.join('\n')).toContain("'use_cache_branch' (= 0)");
    const end = await evaluate({ kind: 'evaluate', modelPath: merged, data: ids() });
    const evaluated = (end.result as { report: { accuracy?: number } }).report;
    expect(evaluated.accuracy).toBeGreaterThan(0.7);
  });

  it("without a saved spec, is refused in the Model view's words, naming what to set there", async () => {
    const fresh = path.join(tmp.dir, 'unsaved_merged.onnx');
    fs.copyFileSync(merged, fresh);
    const refused = await backend.dispatch('studio:dataset.check', {
      modelPath: fresh,
      role: 'evaluation',
      data: ids(),
    });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.message).toContain(
      "or set the values of 'attention_mask', 'position_ids' and 'use_cache_branch' in the Model view's input spec " +
        "(attention_mask = 1, position_ids positions from 0, use_cache_branch all false), and it feeds 'input_ids'.",
    );
    expect(refused.error.message).not.toContain('--value');
  });
});
