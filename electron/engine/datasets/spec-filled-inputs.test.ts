import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { type ResolvedInput, resolveInputSpecs } from '../runtime/input-specs.js';
import { buildSpeechGateModel } from '../testing/awkward-models.js';
import { buildKvCacheLm } from '../testing/kv-cache-lm.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { encodeNpyArray } from './npy-format.js';
import { encodeNpz } from './npz-writer.js';
import { openDataset } from './open-dataset.js';
import { looksSettable } from './spec-filled-inputs.js';

/** Audio of 640 samples per row, `rows` rows, beside a model that also takes a sample rate `sr`. */
describe('data without an input whose values the input spec sets', () => {
  const tmp = makeTempDir('onnx-studio-spec-filled-');
  afterAll(() => tmp.cleanup());
  const rows = 3;
  const audio = encodeNpyArray(new Float32Array(rows * 640).fill(0.25), 'float32', [rows, 640]);
  const npy = path.join(tmp.dir, 'audio.npy');
  const npz = path.join(tmp.dir, 'audio.npz');
  fs.writeFileSync(npy, audio);
  fs.writeFileSync(npz, encodeNpz({ audio }));
  const model = buildSpeechGateModel();

  async function srOf(file: string, values?: number) {
    const { inputs } = resolveInputSpecs(model, {
      dims: { samples: 640 },
      ...(values !== undefined ? { values: { sr: { kind: 'constant', value: values } } } : {}),
    });
    const source = await openDataset(
      file.endsWith('.npz') ? { kind: 'npz', path: file } : { kind: 'npy', path: file },
      inputs,
    );
    const fed: bigint[] = [];
    for await (const sample of source.samples()) {
      expect(sample.inputs.audio?.dims).toEqual([1, 640]);
      fed.push(...(sample.inputs.sr?.data as BigInt64Array));
    }
    return { fed, notes: source.notes };
  }

  it('feeds every sample the value the user set, from a .npy or a .npz, and says so', async () => {
    for (const file of [npy, npz]) {
      const { fed, notes } = await srOf(file, 8000);
      expect(fed).toEqual([8000n, 8000n, 8000n]);
      expect(notes).toContain(
        "the data has no array for 'sr' (= 8000): every sample feeds it the value the input spec sets.",
      );
    }
  });

  it('never fills it with a guess: without a value the user set, the data is refused, naming what to set', async () => {
    await expect(srOf(npy)).rejects.toThrow(
      "audio.npy holds one array, but the model has 2 inputs ('audio', 'sr'). Give a .npz with one array per input, " +
        "named like the inputs, or a .jsonl; or set the value of 'sr' (--value sr=V, a recipe's inputs.values, " +
        "the app's Model view), and it feeds 'audio'.",
    );
    // The user test: "dyn.npz: no data for input 'sr'. The model's inputs are 'img', 'sr'; the data has 'img'.",
    // with no word of --value, which the image-folder form of the error offers.
    await expect(srOf(npz)).rejects.toThrow(
      "audio.npz: no data for input 'sr'. The model's inputs are 'audio', 'sr'; the data has 'audio'. " +
        "Set the value of 'sr' (--value sr=V, a recipe's inputs.values, the app's Model view): an input whose " +
        'values are set may be left out of the data.',
    );
  });
});

describe('which inputs data that lacks them is told to set', () => {
  const input = (
    name: string,
    declared: (number | string)[],
    extra: Partial<ResolvedInput> = {},
  ): ResolvedInput => ({
    name,
    elemType: DT.FLOAT,
    ortType: 'float32',
    declared,
    dims: declared.map((d) => (typeof d === 'number' ? d : 1)),
    ...extra,
  });
  const image = input('img', ['N', 3, 48, 'W']);
  const sr = input('sr', [1], {
    elemType: DT.INT64,
    ortType: 'int64',
    values: { kind: 'constant', value: 16000 },
    valuesGuess: 'a sample rate',
  });
  const tmp = makeTempDir('onnx-studio-settable-');
  afterAll(() => tmp.cleanup());

  it('offers --value for integer inputs synthetic data guesses and for a single fixed number, not for data', () => {
    expect(looksSettable(sr)).toBe(true);
    expect(looksSettable(input('threshold', [1]))).toBe(true);
    expect(looksSettable(image)).toBe(false);
    expect(looksSettable(input('scalar', []))).toBe(true);
    expect(looksSettable(input('features', [1, 64]))).toBe(false);
    expect(looksSettable(input('iris', [1, 4]))).toBe(false);
    expect(looksSettable({ ...input('anything', []), rankUnknown: true })).toBe(false);
  });

  it('names them where an image folder or a .npy lacks them, and only those that leave it one input to feed', async () => {
    await expect(
      openDataset({ kind: 'images', path: path.join(tmp.dir, 'imgs') }, [image, sr]),
    ).rejects.toThrow(
      "Image folders feed one image input, but the model has 2 inputs ('img', 'sr'). Use .npz or .jsonl data, or " +
        "set the value of 'sr' (--value sr=V, a recipe's inputs.values, the app's Model view), and it feeds 'img'.",
    );
    // Two inputs of data: which one the file holds cannot be told, so none is named.
    const two = path.join(tmp.dir, 'two.npy');
    fs.writeFileSync(two, encodeNpyArray(new Float32Array(64), 'float32', [1, 64]));
    await expect(
      openDataset({ kind: 'npy', path: two }, [input('a', [1, 64]), input('b', [1, 64])]),
    ).rejects.toThrow(
      /or set the values of the inputs it does not hold \(--value NAME=V, a recipe's inputs\.values, the app's Model view\)\.$/,
    );
  });

  it('does not offer --value for a data input a .npz lacks', async () => {
    const npz = path.join(tmp.dir, 'sr-only.npz');
    fs.writeFileSync(npz, encodeNpz({ sr: encodeNpyArray(BigInt64Array.of(16000n), 'int64', [1, 1]) }));
    const error = await openDataset({ kind: 'npz', path: npz }, [image, sr]).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(
      "sr-only.npz: no data for input 'img'. The model's inputs are 'img', 'sr'; the data has 'sr'.",
    );
  });
});

describe("a decoder's position_ids the data leaves out", () => {
  const tmp = makeTempDir('onnx-studio-spec-positions-');
  afterAll(() => tmp.cleanup());

  it('feeds each sample positions as long as its own ids, from where the spec says, and says so', async () => {
    // Lines of 3 and 5 tokens: a fill at the spec's sequence length (128) would not fit either.
    const file = path.join(tmp.dir, 'ids.jsonl');
    const line = (n: number) =>
      JSON.stringify({ inputs: { input_ids: [Array.from({ length: n }, (_, i) => i + 1)] } });
    fs.writeFileSync(file, `${line(3)}\n${line(5)}\n`);
    const { inputs } = resolveInputSpecs(buildKvCacheLm({ vocab: 32, positionIds: true }), {
      values: {
        attention_mask: { kind: 'constant', value: 1 },
        position_ids: { kind: 'positions', start: 0 },
      },
    });
    const source = await openDataset({ kind: 'jsonl', path: file }, inputs);
    const fed: bigint[][] = [];
    for await (const sample of source.samples()) {
      expect(sample.inputs.position_ids?.dims).toEqual(sample.inputs.input_ids?.dims);
      fed.push([...(sample.inputs.position_ids?.data as BigInt64Array)]);
    }
    expect(fed).toEqual([
      [0n, 1n, 2n],
      [0n, 1n, 2n, 3n, 4n],
    ]);
    expect(source.notes.join('\n')).toContain(
      "'position_ids' (positions from 0 along each sample's last axis)",
    );
  });
});

describe("a .npy of token ids beside a decoder's spec that sets every input's values", () => {
  const tmp = makeTempDir('onnx-studio-spec-npy-ids-');
  afterAll(() => tmp.cleanup());
  const file = path.join(tmp.dir, 'ids.npy');
  fs.writeFileSync(
    file,
    encodeNpyArray(
      BigInt64Array.from({ length: 2 * 6 }, (_, i) => BigInt(i % 30)),
      'int64',
      [2, 6],
    ),
  );
  const model = buildKvCacheLm({ vocab: 32, positionIds: true, merged: true });
  // What the app's Model view saves (and a recipe it made records): a value for every integer and bool input.
  const saved = {
    input_ids: { kind: 'range', min: 0, max: 31 },
    attention_mask: { kind: 'constant', value: 1 },
    position_ids: { kind: 'positions', start: 0 },
    use_cache_branch: { kind: 'constant', value: 0 },
  } as const;

  it('feeds the ids, the input whose values are drawn at random, and fills the rest from the spec', async () => {
    for (const origin of ['app', 'recipe', 'flags'] as const) {
      const { inputs } = resolveInputSpecs(model, { values: saved, origin });
      const source = await openDataset({ kind: 'npy', path: file }, inputs);
      const fed: number[][] = [];
      for await (const sample of source.samples()) {
        expect(sample.inputs['past_key_values.0.key']?.dims).toEqual([1, 2, 0, 8]);
        expect([...(sample.inputs.use_cache_branch?.data as Uint8Array)]).toEqual([0]);
        fed.push([...(sample.inputs.input_ids?.data as BigInt64Array)].map(Number));
      }
      expect(fed).toEqual([
        [0, 1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10, 11],
      ]);
    }
  });

  it('still refuses where two inputs are drawn at random, and tells a recipe what to set in its own words', async () => {
    const twoRanges = resolveInputSpecs(model, {
      values: { ...saved, attention_mask: { kind: 'range', min: 0, max: 1 } },
      origin: 'app',
    }).inputs;
    await expect(openDataset({ kind: 'npy', path: file }, twoRanges)).rejects.toThrow(
      /or set the values of the inputs it does not hold in the Model view's input spec\.$/,
    );
    const { inputs } = resolveInputSpecs(model, { origin: 'recipe' });
    await expect(openDataset({ kind: 'npy', path: file }, inputs)).rejects.toThrow(
      "or set the values of 'attention_mask', 'position_ids' and 'use_cache_branch' in the recipe's inputs.values " +
        "(attention_mask = 1, position_ids positions from 0, use_cache_branch all false), and it feeds 'input_ids'.",
    );
  });
});
