import fs from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType } from 'onnx-buf';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TuneOutcome } from '../../../shared/tune.js';
import { encodeNpyArray, parseNpyHeader } from '../../engine/datasets/npy-format.js';
import { encodeNpz } from '../../engine/datasets/npz-writer.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../../engine/onnx/graph-build.js';
import { makeModel, modelBytes, randomFloats } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { tinyDigits } from '../../engine/testing/tiny-digits.js';
import { runCliInProcess } from '../testing/run-cli.js';

/*
 * `onnx-studio tune` and its data: labels wherever the data layer finds them (as eval reads them), and
 * benchmarks fed the --data samples rather than inputs of guessed sizes. On the tiny digits classifier (8x8
 * images, 10 classes) and on a decoder-like model built here whose position table has 8 rows.
 */

type TuneJson = TuneOutcome & { output: string | null; message: string | null };

let tmp: ReturnType<typeof makeTempDir>;
/** The digits model and the first 40 test samples: images [40, 1, 8, 8] in 0..1, labels 0-9. */
let digits: { model: string; x: Float32Array; y: BigInt64Array };
const SAMPLES = 40;

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-tune-data-');
  const sample = tinyDigits();
  const read = (file: string) => {
    const bytes = new Uint8Array(fs.readFileSync(file));
    return bytes.slice(parseNpyHeader(bytes, file).dataOffset).buffer;
  };
  digits = {
    model: sample.modelPath,
    x: new Float32Array(read(sample.inputsPath)).slice(0, SAMPLES * 64),
    y: new BigInt64Array(read(sample.labelsPath)).slice(0, SAMPLES),
  };
});
afterAll(() => tmp.cleanup());

/** tune on the digits with an accuracy budget: one trial for file size (no timing needed), as JSON. */
const tuneDigits = (name: string, ...flags: string[]) =>
  runCliInProcess([
    'tune',
    digits.model,
    '-o',
    path.join(tmp.dir, `${name}.onnx`),
    '--max-accuracy-drop',
    '50',
    '--objective',
    'size',
    '--max-trials',
    '1',
    '--iterations',
    '10',
    '--json',
    ...flags,
  ]);

/** The run measured accuracy: the original's, and the one trial's. */
function expectAccuracyMeasured(r: { code: number; stdout: string; stderr: string }): void {
  expect(r.stderr).not.toContain('needs labels');
  expect([0, 3], r.stderr).toContain(r.code);
  const outcome = JSON.parse(r.stdout) as TuneJson;
  expect(outcome.original.accuracy).toBeGreaterThan(0.5);
  expect(outcome.trials).toHaveLength(1);
  expect(outcome.trials[0]!.status, outcome.trials[0]!.error).toBe('done');
  expect(outcome.trials[0]!.accuracy).toBeGreaterThan(0);
}

describe('onnx-studio tune --max-accuracy-drop takes labels wherever the data holds them (as eval does)', () => {
  // A user test: every labelled source but `--labels FILE.npy` was refused ("pass --labels FILE"), and passing
  // --labels was then refused by the data readers, so an accuracy budget could not be used with them at all.
  it("an .npz with a 'labels' array", async () => {
    const npz = path.join(tmp.dir, 'labelled.npz');
    fs.writeFileSync(
      npz,
      encodeNpz({
        input: encodeNpyArray(digits.x, 'float32', [SAMPLES, 1, 8, 8]),
        labels: encodeNpyArray(digits.y, 'int64', [SAMPLES]),
      }),
    );
    expectAccuracyMeasured(await tuneDigits('npz', '--data', npz));
  }, 60_000);

  it('a .jsonl with a "label" on each line', async () => {
    const jsonl = path.join(tmp.dir, 'labelled.jsonl');
    const lines = Array.from({ length: SAMPLES }, (_, i) =>
      JSON.stringify({
        inputs: { input: { dims: [1, 1, 8, 8], data: Array.from(digits.x.subarray(i * 64, (i + 1) * 64)) } },
        label: Number(digits.y[i]),
      }),
    );
    fs.writeFileSync(jsonl, `${lines.join('\n')}\n`);
    expectAccuracyMeasured(await tuneDigits('jsonl', '--data', jsonl));
  }, 60_000);

  it('an image folder with class sub-folders', async () => {
    const folder = path.join(tmp.dir, 'images');
    for (let i = 0; i < SAMPLES; i++) {
      const label = Number(digits.y[i]);
      const pixels = Buffer.from(
        Array.from(digits.x.subarray(i * 64, (i + 1) * 64), (v) => Math.round(v * 255)),
      );
      fs.mkdirSync(path.join(folder, String(label)), { recursive: true });
      await sharp(pixels, { raw: { width: 8, height: 8, channels: 1 } })
        .png()
        .toFile(path.join(folder, String(label), `${i}.png`));
    }
    expectAccuracyMeasured(await tuneDigits('images', '--data', folder));
  }, 60_000);

  it('refuses data without labels once it is opened, before any trial, saying what gives labels (exit 2)', async () => {
    const npz = path.join(tmp.dir, 'inputs-only.npz');
    fs.writeFileSync(npz, encodeNpz({ input: encodeNpyArray(digits.x, 'float32', [SAMPLES, 1, 8, 8]) }));
    const r = await tuneDigits('unlabelled', '--data', npz);
    expect(r.code, r.stderr).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(`An accuracy budget needs labels, and --data ${npz} (input) has none.`);
    expect(error.message).toContain("a 'labels' array in an .npz, class sub-folders of images");
    // What to do in the CLI's words.
    expect(r.stderr).toContain(
      'pass --labels FILE with .npy or .npz data, or use --min-cosine C without labels.',
    );
    expect(r.stderr).not.toMatch(/trial #|#0 /);
  }, 60_000);

  it('writes a sweep whose trials measure accuracy, for an .npz that holds the labels', async () => {
    const npz = path.join(tmp.dir, 'labelled-sweep.npz');
    fs.writeFileSync(
      npz,
      encodeNpz({
        input: encodeNpyArray(digits.x, 'float32', [SAMPLES, 1, 8, 8]),
        labels: encodeNpyArray(digits.y, 'int64', [SAMPLES]),
      }),
    );
    const dir = path.join(tmp.dir, 'sweep');
    const r = await runCliInProcess([
      'tune',
      digits.model,
      '--emit',
      'slurm',
      dir,
      '--data',
      npz,
      '--max-accuracy-drop',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const sweep = JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as { labelled: boolean };
    expect(sweep.labelled).toBe(true);
  }, 60_000);
});

/**
 * A decoder's front: token ids `[1, seq]` -> token embedding + a position embedding of 8 rows gathered by
 * Range(seq) -> a MatMul to 24 token scores `logits [1, seq, 24]`. It runs at seq <= 8 only: at a guessed seq
 * of 128 its position Gather fails.
 */
function writeDecoder(file: string): void {
  const INT64 = TensorProto_DataType.INT64;
  const FLOAT = TensorProto_DataType.FLOAT;
  const graph = create(GraphProtoSchema, {
    name: 'tiny_decoder',
    input: [makeValueInfo('input_ids', INT64, [1, 'seq'])],
    output: [makeValueInfo('logits', FLOAT, [1, 'seq', 24])],
    initializer: [
      makeFloatTensor('tok_emb', [24, 32], randomFloats(24 * 32, 1, 1)),
      makeFloatTensor('pos_emb', [8, 32], randomFloats(8 * 32, 2, 1)),
      makeFloatTensor('head.weight', [32, 24], randomFloats(32 * 24, 3, 0.2)),
      makeInt64Tensor('zero', [], [0n]),
      makeInt64Tensor('one', [], [1n]),
    ],
    node: [
      makeNode('Gather', ['tok_emb', 'input_ids'], ['tok'], { name: 'tok' }),
      makeNode('Shape', ['input_ids'], ['ids_shape'], { name: 'ids_shape' }),
      makeNode('Gather', ['ids_shape', 'one'], ['seq_len'], { name: 'seq_len' }),
      makeNode('Range', ['zero', 'seq_len', 'one'], ['positions'], { name: 'positions' }),
      makeNode('Gather', ['pos_emb', 'positions'], ['pos'], { name: 'pe' }),
      makeNode('Add', ['tok', 'pos'], ['hidden'], { name: 'embed' }),
      makeNode('MatMul', ['hidden', 'head.weight'], ['logits'], { name: 'head' }),
    ],
  });
  fs.writeFileSync(file, modelBytes(makeModel(graph)));
}

describe('onnx-studio tune benchmarks on the --data samples', () => {
  // A user test: every trial of a decoder failed ("indices element out of data bounds, idx=64" on its 64-row
  // position table): the benchmark fed a guessed seq of 128, not the data's 32, and said nothing of it.
  it('tunes a decoder whose data fits, though a guessed sequence length would not; nothing is said guessed', async () => {
    const model = path.join(tmp.dir, 'decoder.onnx');
    writeDecoder(model);
    const data = path.join(tmp.dir, 'decoder-ids.npz');
    const ids = BigInt64Array.from({ length: 12 * 6 }, (_, i) => BigInt((i * 7) % 24));
    fs.writeFileSync(data, encodeNpz({ input_ids: encodeNpyArray(ids, 'int64', [12, 6]) }));
    const r = await runCliInProcess([
      'tune',
      model,
      '-o',
      path.join(tmp.dir, 'decoder.tuned.onnx'),
      '--data',
      data,
      '--min-cosine',
      '0.9',
      '--max-trials',
      '1',
      '--iterations',
      '10',
      '--json',
    ]);
    expect(r.stderr).not.toContain('out of data bounds');
    // Latency on a busy test machine decides between 0 and 3; every trial ran.
    expect([0, 3], r.stderr).toContain(r.code);
    const outcome = JSON.parse(r.stdout) as TuneJson;
    expect(outcome.trials).toHaveLength(1);
    expect(outcome.trials[0]!.status, outcome.trials[0]!.error).toBe('done');
    expect(outcome.trials[0]!.p50Ratio).toBeGreaterThan(0);
    // The data set every input: no guess behind the figures.
    expect(outcome.notes.join('\n')).not.toContain('because nothing set');
    expect(r.stderr).not.toContain('guessed');
  }, 60_000);

  it('says beside the table what the benchmark guessed, in text and in JSON', async () => {
    const model = path.join(tmp.dir, 'decoder-guess.onnx');
    writeDecoder(model);
    const common = [
      'tune',
      model,
      '--data',
      'synthetic',
      '--samples',
      '4',
      '--dim',
      'seq=6',
      '--min-cosine',
      '0.9',
      '--max-trials',
      '1',
      '--iterations',
      '10',
    ];
    const text = await runCliInProcess([...common, '-o', path.join(tmp.dir, 'guess-text.onnx')]);
    expect([0, 3], text.stderr).toContain(text.code);
    // The token ids were guessed (seq was set): said once, above the table, as every command says it.
    const guessed = text.stdout.split('\n').filter((line) => line.startsWith('Guessed: '));
    expect(guessed).toHaveLength(1);
    expect(guessed[0]).toContain("Synthetic data filled 'input_ids' (int64) with random whole numbers");
    expect(text.stdout.indexOf(guessed[0]!)).toBeLessThan(text.stdout.indexOf('p50 ratio'));
    const json = await runCliInProcess([...common, '-o', path.join(tmp.dir, 'guess-json.onnx'), '--json']);
    const outcome = JSON.parse(json.stdout) as TuneJson;
    expect(outcome.notes.filter((n) => n.includes("filled 'input_ids'"))).toHaveLength(1);
  }, 60_000);
});
