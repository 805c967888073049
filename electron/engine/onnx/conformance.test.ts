import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelProtoSchema, type ModelProto, type ValueInfoProto } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTensors, identicalTensors, ortTypeOf, readOrtTensor } from '../testing/ort-tensors.js';
import { loadModel } from './load-model.js';
import { serializeToBytes } from './proto-stream-writer.js';
import { saveModel } from './save-model.js';
import { ONNX_TESTDATA } from '../testing/onnx-test-data.js';

/*
 * Conformance against ONNX's own backend test models (Debian's libonnx-testdata: ~1070 models of the
 * node, pytorch-converted, pytorch-operator and simple suites, each with inputs and expected outputs).
 *
 * (a) Every model loads, and writing it back (in memory and through saveModel) gives the original file
 *     byte for byte.
 * (b) Every model onnxruntime can run on plain tensors is run from the original bytes and from the
 *     round-tripped bytes: both must give the stored expected outputs and exactly the same results.
 */

const TESTDATA = ONNX_TESTDATA;
const SUITES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'];
/** libonnx-testdata 1.12 has 1072 models; newer releases have more. Fewer means a broken install. */
const MIN_MODELS = 1000;
/**
 * Part (b) runs a deterministic sample: every SAMPLE_EVERY-th model in sorted order (~360 of 1072;
 * 1 runs them all, in about three times as long).
 */
const SAMPLE_EVERY = 3;
/** Part (b) must really have compared at least this many models with their expected outputs. */
const MIN_COMPARED = 150;

/**
 * Models whose stored expected outputs onnxruntime does not reproduce, through no fault of ours. They are
 * still run from both byte sequences and must give identical results; only the comparison with the
 * stored outputs is skipped.
 */
const ORT_DIFFERS_FROM_EXPECTED: Record<string, string> = {
  'node/test_bernoulli': 'random sampling: the expected values come from numpy, not ORT, random generator',
  'node/test_bernoulli_double': 'random sampling (numpy generator)',
  'node/test_bernoulli_double_expanded': 'random sampling (numpy generator)',
  'node/test_bernoulli_expanded': 'random sampling (numpy generator)',
  'node/test_bernoulli_seed': 'random sampling: seeds are not portable between numpy and ORT',
  'node/test_bernoulli_seed_expanded': 'random sampling: seeds are not portable between numpy and ORT',
  'node/test_training_dropout': 'training-mode Dropout draws a random mask (numpy generator)',
  'node/test_training_dropout_default': 'training-mode Dropout draws a random mask (numpy generator)',
  'node/test_training_dropout_default_mask': 'training-mode Dropout draws a random mask (numpy generator)',
  'node/test_training_dropout_mask': 'training-mode Dropout draws a random mask (numpy generator)',
  'node/test_cast_FLOAT_to_STRING':
    'ORT prints floats with 8 significant digits, numpy with the shortest repr',
  'node/test_castlike_FLOAT_to_STRING':
    'ORT prints floats with 8 significant digits, numpy with the shortest repr',
  'node/test_castlike_FLOAT_to_STRING_expanded':
    'ORT prints floats with 8 significant digits, numpy with the shortest repr',
  'node/test_dft': 'float32 FFT rounding: elements that are exactly 0 come out ~1e-4, over atol 1e-5',
  'node/test_dft_axis': 'float32 FFT rounding: elements that are exactly 0 come out ~1e-5, over atol 1e-5',
  'node/test_dft_inverse': 'float32 FFT rounding: elements that are exactly 0 come out ~1e-5, over atol 1e-5',
  'node/test_stft': 'float32 FFT rounding: elements that are exactly 0 come out ~1e-5, over atol 1e-5',
  'node/test_stft_with_window':
    'float32 FFT rounding: elements that are exactly 0 come out ~1e-5, over atol 1e-5',
  'node/test_maxunpool_export_with_output_shape':
    'ORT places MaxUnpool values differently from the reference when output_shape pads the output',
  'node/test_resize_downsample_scales_cubic_align_corners':
    "ORT's align_corners downsampling differs from the ONNX reference implementation",
  'node/test_resize_downsample_scales_linear_align_corners':
    "ORT's align_corners downsampling differs from the ONNX reference implementation",
};

interface TestModel {
  /** `suite/test_name`, e.g. `node/test_abs`. */
  id: string;
  file: string;
  dataSet: string;
}

let cachedModels: TestModel[] | undefined;

/** Every test model, sorted; fails with install instructions when the test data is missing. */
function testModels(): TestModel[] {
  if (cachedModels) return cachedModels;
  if (!fs.existsSync(TESTDATA)) {
    throw new Error(
      `The ONNX backend test models are not installed (${TESTDATA} is missing). ` +
        `Install them with: sudo apt-get install libonnx-testdata   (CI installs it).`,
    );
  }
  const models: TestModel[] = [];
  for (const suite of SUITES) {
    const suiteDir = path.join(TESTDATA, suite);
    if (!fs.existsSync(suiteDir)) continue;
    for (const name of fs.readdirSync(suiteDir).sort()) {
      const file = path.join(suiteDir, name, 'model.onnx');
      if (fs.existsSync(file)) {
        models.push({ id: `${suite}/${name}`, file, dataSet: path.join(suiteDir, name, 'test_data_set_0') });
      }
    }
  }
  cachedModels = models;
  return models;
}

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
}

/** Where two byte sequences first differ, for a readable failure. */
function firstDifference(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `${a.length} vs ${b.length} bytes, first difference at byte ${i}`;
}

/** Fails listing the failures (vitest would abbreviate a long array to `[ …(n) ]`). */
function expectNoFailures(failures: string[]): void {
  const shown = failures.slice(0, 40).join('\n');
  const more = failures.length > 40 ? `\n... and ${failures.length - 40} more` : '';
  expect(failures, `${failures.length} failures:\n${shown}${more}`).toHaveLength(0);
}

let tempDir: string;
beforeAll(() => {
  // saveModel fsyncs every file it writes: ~5 ms a model on a disk, nothing in a RAM-backed folder.
  try {
    tempDir = fs.mkdtempSync('/dev/shm/onnx-conformance-');
  } catch {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-conformance-'));
  }
});
afterAll(() => {
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
});

/** Loads a model and saves it into the temp folder: the loaded proto and the bytes saveModel wrote. */
async function roundTrip(model: TestModel): Promise<{ proto: ModelProto; saved: Buffer }> {
  const loaded = await loadModel(model.file);
  const out = path.join(tempDir, `${model.id.replace('/', '__')}.onnx`);
  await saveModel(loaded.proto, out, { sourceDir: loaded.dir, force: true });
  const saved = fs.readFileSync(out);
  fs.rmSync(out);
  return { proto: loaded.proto, saved };
}

describe('ONNX backend test models: load and save', () => {
  it('finds the test models', () => {
    expect(testModels().length).toBeGreaterThanOrEqual(MIN_MODELS);
  });

  // Every model of libonnx-testdata 1.12 passes validation, so no model is exempted here.
  it('loads every model, and serializes and saves it byte-identical to the original', async () => {
    const failures: string[] = [];
    for (const model of testModels()) {
      const original = fs.readFileSync(model.file);
      let proto: ModelProto;
      let saved: Buffer;
      try {
        ({ proto, saved } = await roundTrip(model));
      } catch (error) {
        failures.push(`${model.id}: ${message(error)}`);
        continue;
      }
      const serialized = serializeToBytes(ModelProtoSchema, proto);
      if (!original.equals(serialized)) {
        failures.push(`${model.id}: serializeToBytes differs (${firstDifference(original, serialized)})`);
      }
      if (!original.equals(saved)) {
        failures.push(`${model.id}: saveModel output differs (${firstDifference(original, saved)})`);
      }
    }
    expectNoFailures(failures);
  }, 60_000);
});

/** Whether every graph input and output is a tensor whose element type onnxruntime-node can exchange. */
function hasPlainTensorIo(proto: ModelProto): boolean {
  const plain = (v: ValueInfoProto) =>
    v.type?.value.case === 'tensorType' && ortTypeOf(v.type.value.value.elemType) !== undefined;
  const graph = proto.graph;
  return graph !== undefined && graph.input.every(plain) && graph.output.every(plain);
}

/** `input_0.pb`, `input_1.pb`, ... (or `output_N.pb`) in index order. */
function numberedFiles(dir: string, prefix: 'input' | 'output'): string[] {
  const pattern = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return fs
    .readdirSync(dir)
    .flatMap((name) => {
      const match = pattern.exec(name);
      return match ? [{ name, index: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.index - b.index)
    .map(({ name }) => path.join(dir, name));
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 4, // unsupported-op errors are expected for some models; they surface as exceptions
};

type CreateResult = { session: ort.InferenceSession } | { error: string };

async function createSession(bytes: Uint8Array): Promise<CreateResult> {
  try {
    return { session: await ort.InferenceSession.create(bytes, SESSION_OPTIONS) };
  } catch (error) {
    return { error: message(error) };
  }
}

async function runSession(
  session: ort.InferenceSession,
  inputs: ort.Tensor[],
): Promise<ort.Tensor[] | { error: string }> {
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => (feeds[name] = inputs[i]!));
  try {
    const results = await session.run(feeds);
    return session.outputNames.map((name) => results[name]!);
  } catch (error) {
    return { error: message(error) };
  }
}

describe('ONNX backend test models: onnxruntime results before and after the round trip', () => {
  it('gives the expected outputs, and identical results, from the original and the round-tripped bytes', async () => {
    const failures: string[] = [];
    const excluded = { nonTensorIo: 0, ortCannotLoad: 0, ortCannotRun: 0 };
    let compared = 0;
    let ran = 0;
    const sample = testModels().filter((_, i) => i % SAMPLE_EVERY === 0);
    for (const model of sample) {
      const original = fs.readFileSync(model.file);
      let proto: ModelProto;
      let saved: Buffer;
      try {
        ({ proto, saved } = await roundTrip(model));
      } catch (error) {
        failures.push(`${model.id}: round trip failed: ${message(error)}`);
        continue;
      }
      // Sequence / optional / map / sparse values, or element types the JS binding lacks (bfloat16...).
      if (!hasPlainTensorIo(proto)) {
        excluded.nonTensorIo++;
        continue;
      }

      // Rule: a model ORT cannot load from the original bytes is excluded, but then it must not load
      // from the round-tripped bytes either (and the other way round).
      const before = await createSession(original);
      const after = await createSession(saved);
      try {
        if ('error' in before || 'error' in after) {
          if (!('error' in before && 'error' in after)) {
            failures.push(
              `${model.id}: ORT loads only the ${'error' in before ? 'round-tripped' : 'original'} bytes: ` +
                ('error' in before ? before.error : 'error' in after ? after.error : ''),
            );
          } else {
            excluded.ortCannotLoad++;
          }
          continue;
        }
        const inputFiles = numberedFiles(model.dataSet, 'input');
        const outputFiles = numberedFiles(model.dataSet, 'output');
        if (
          inputFiles.length !== before.session.inputNames.length ||
          outputFiles.length !== before.session.outputNames.length
        ) {
          failures.push(
            `${model.id}: test data has ${inputFiles.length} inputs / ${outputFiles.length} outputs, ` +
              `the session ${before.session.inputNames.length} / ${before.session.outputNames.length}`,
          );
          continue;
        }
        const inputs = inputFiles.map(readOrtTensor);
        const resultsBefore = await runSession(before.session, inputs);
        const resultsAfter = await runSession(after.session, inputs);
        if ('error' in resultsBefore || 'error' in resultsAfter) {
          if (!('error' in resultsBefore && 'error' in resultsAfter)) {
            failures.push(`${model.id}: ORT runs only one of the original and round-tripped models`);
          } else {
            excluded.ortCannotRun++;
          }
          continue;
        }
        ran++;
        const checkExpected = !(model.id in ORT_DIFFERS_FROM_EXPECTED);
        outputFiles.forEach((file, i) => {
          const name = before.session.outputNames[i]!;
          const got = resultsBefore[i]!;
          const gotAfter = resultsAfter[i]!;
          const same = identicalTensors(got, gotAfter);
          if (same) failures.push(`${model.id}: output '${name}' differs after the round trip: ${same}`);
          if (checkExpected) {
            const expected = readOrtTensor(file);
            const vsOriginal = compareTensors(expected, got);
            if (vsOriginal) failures.push(`${model.id}: output '${name}' (original model): ${vsOriginal}`);
            const vsRoundTrip = compareTensors(expected, gotAfter);
            if (vsRoundTrip)
              failures.push(`${model.id}: output '${name}' (round-tripped model): ${vsRoundTrip}`);
          }
        });
        if (checkExpected) compared++;
      } finally {
        if ('session' in before) await before.session.release();
        if ('session' in after) await after.session.release();
      }
    }
    expectNoFailures(failures);
    expect(
      compared,
      `only ${compared} models were compared with their expected outputs (${ran} ran; excluded: ${JSON.stringify(excluded)})`,
    ).toBeGreaterThanOrEqual(MIN_COMPARED);
  }, 60_000);
});
