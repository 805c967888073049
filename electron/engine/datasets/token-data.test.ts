import fs from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, TensorProto_DataType as DataType } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import { evaluateModel } from '../evaluate/evaluate-model.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { isGuessNote, resolveInputSpecs, type ShapeOverrides } from '../runtime/input-specs.js';
import { seededRandom, syntheticFeed } from '../runtime/synthetic-feeds.js';
import { makeModel, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { buildTokenModel } from '../testing/token-models.js';
import { encodeNpyArray } from './npy-format.js';
import { encodeNpz } from './npz-writer.js';
import { openDataset } from './open-dataset.js';

/*
 * Transformer-style inputs against data and the input spec (user test 3b, findings 4, 5 and 12): a mask the data
 * leaves out, sizes the spec sets that the data contradicts, a sequence guess past a position table, ids past the
 * vocabulary.
 */

const tmp = makeTempDir('onnx-studio-token-data-');
afterAll(() => tmp.cleanup());

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** `rows` samples of `seq` token ids each, as a [rows, seq] int64 array (ids below 100, or `oov` at one place). */
function ids(rows: number, seq: number, oov?: { row: number; id: number }): Uint8Array {
  const data = BigInt64Array.from({ length: rows * seq }, (_, i) => BigInt((i * 7) % 100));
  if (oov) data[oov.row * seq + 1] = BigInt(oov.id);
  return encodeNpyArray(data, 'int64', [rows, seq]);
}

const labels = (rows: number) =>
  encodeNpyArray(
    BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % 3)),
    'int64',
    [rows],
  );

const model = buildTokenModel();
const modelFile = write('tokens.onnx', modelBytes(model));
const idsOnly = write('ids-only.npz', encodeNpz({ input_ids: ids(3, 16), labels: labels(3) }));
const maskValue: ShapeOverrides = { values: { attention_mask: { kind: 'constant', value: 1 } } };

async function fed(spec: DatasetSpec, overrides: ShapeOverrides) {
  const { inputs } = resolveInputSpecs(model, overrides);
  const source = await openDataset(spec, inputs);
  const shapes: Record<string, number[]>[] = [];
  for await (const sample of source.samples()) {
    shapes.push(Object.fromEntries(Object.entries(sample.inputs).map(([name, t]) => [name, [...t.dims]])));
  }
  return { shapes, notes: source.notes };
}

function refusal(run: () => unknown): Promise<StudioError> {
  return Promise.resolve()
    .then(run)
    .then(
      () => {
        throw new Error('not refused');
      },
      (error: unknown) => {
        if (error instanceof StudioError) return error;
        throw error;
      },
    );
}

describe('the sequence guess beside a position table', () => {
  it('finds the table the positions index, for Shape+Gather and for Shape with start and end', async () => {
    for (const seqRead of ['gather', 'shape-slice'] as const) {
      const file = write(`pos-${seqRead}.onnx`, modelBytes(buildTokenModel({ positions: 40, seqRead })));
      const summary = await inspectModel(file);
      expect(summary.inputs[0]?.positionTables).toEqual([{ table: 'pe', rows: 40, axis: 1, longest: 40 }]);
      // The mask's positions index nothing; its 'seq' is cut through the name it shares.
      expect(summary.inputs[1]?.positionTables).toBeUndefined();
    }
  });

  it('guesses a sequence within its rows, says why, and the guess runs', async () => {
    // The user test: 128 beside a 64-row table, and bench, synthetic calibration and tune failed at idx=64.
    const { inputs, notes } = resolveInputSpecs(model);
    expect(inputs.map((i) => i.dims)).toEqual([
      [1, 64],
      [1, 64],
    ]);
    expect(notes[0]).toContain(
      "dim 'seq' of inputs 'input_ids' and 'attention_mask' as 64 ('seq' reads as a sequence length, at most the 64 rows of position table 'pe')",
    );
    const session = await ort.InferenceSession.create(modelBytes(model));
    try {
      const out = await session.run(syntheticFeed(inputs, seededRandom(0)));
      expect(out.logits?.dims).toEqual([1, 3]);
    } finally {
      await session.release();
    }
  });
});

describe('data that leaves out an input whose values are set', () => {
  it("sizes it like each sample's other inputs, not at the spec's guess (.npz)", async () => {
    // The user test: the mask was built at the guessed seq (128) beside ids of 16: "16 by 128".
    const { shapes, notes } = await fed({ kind: 'npz', path: idsOnly }, maskValue);
    expect(shapes).toEqual(Array(3).fill({ input_ids: [1, 16], attention_mask: [1, 16] }));
    expect(notes).toContain(
      "the data has no array for 'attention_mask' (= 1): every sample feeds it the value the input spec sets, at " +
        "each sample's own 'batch' and 'seq' (as in 'input_ids').",
    );
    expect(notes.some(isGuessNote)).toBe(false);
    const report = await evaluateModel({
      model: modelFile,
      data: { kind: 'npz', path: idsOnly },
      shapes: maskValue,
    });
    expect(report.samples).toBe(3);
    expect(report.inputs).toEqual([
      { name: 'input_ids', dtype: 'int64', shape: [1, 16] },
      { name: 'attention_mask', dtype: 'int64', shape: [1, 16] },
    ]);
  });

  it('and from a .npy, and per line from a .jsonl of several lengths', async () => {
    const npy = write('ids.npy', ids(2, 16));
    expect((await fed({ kind: 'npy', path: npy }, maskValue)).shapes[1]).toEqual({
      input_ids: [1, 16],
      attention_mask: [1, 16],
    });
    const lines = [5, 9, 3].map((n) =>
      JSON.stringify({ inputs: { input_ids: [Array.from({ length: n }, (_, i) => i)] } }),
    );
    const jsonl = write('lengths.jsonl', new TextEncoder().encode(`${lines.join('\n')}\n`));
    const { shapes } = await fed({ kind: 'jsonl', path: jsonl }, maskValue);
    expect(shapes.map((s) => [s.input_ids, s.attention_mask])).toEqual([
      [
        [1, 5],
        [1, 5],
      ],
      [
        [1, 9],
        [1, 9],
      ],
      [
        [1, 3],
        [1, 3],
      ],
    ]);
  });

  it('still guesses a dim no input of the data has, and says so as a guess', async () => {
    const flagsModel = makeModel(
      create(GraphProtoSchema, {
        name: 'flags',
        input: [
          makeValueInfo('x', DataType.FLOAT, ['batch', 4]),
          makeValueInfo('flags', DataType.INT64, ['batch', 'k']),
        ],
        output: [
          makeValueInfo('y', DataType.FLOAT, ['batch', 4]),
          makeValueInfo('f', DataType.INT64, ['batch', 'k']),
        ],
        node: [makeNode('Identity', ['x'], ['y']), makeNode('Identity', ['flags'], ['f'])],
      }),
    );
    const npz = write('x-only.npz', encodeNpz({ x: encodeNpyArray(new Float32Array(8), 'float32', [2, 4]) }));
    const { inputs } = resolveInputSpecs(flagsModel, { values: { flags: { kind: 'constant', value: 1 } } });
    const source = await openDataset({ kind: 'npz', path: npz }, inputs);
    const guess = source.notes.find(isGuessNote);
    expect(guess).toBe(
      "dim 'k' of input 'flags' was guessed as 1 (nothing tells the size of 'k': 1 until you set it) because nothing " +
        'set it: the figures are for that size. Set it with --dim k=SIZE or --shape flags=AxB (the app asks in the Model view).',
    );
    for await (const sample of source.samples()) expect(sample.inputs.flags?.dims).toEqual([1, 1]);
  });
});

describe('sizes the input spec sets that the data contradicts', () => {
  const data = write(
    'ids-mask.npz',
    encodeNpz({ input_ids: ids(2, 16), attention_mask: ids(2, 16), labels: labels(2) }),
  );

  it('are refused where typed on the command line, naming both sizes and what to do', async () => {
    // The user test: eval --dim seq=32 on data of 16 exited 0 with inputs [1, 16] and no word.
    const dim = await refusal(() => fed({ kind: 'npz', path: data }, { dims: { seq: 32 }, origin: 'flags' }));
    expect(dim.code).toBe('BAD_INPUT');
    expect(dim.message).toBe(
      "Input 'input_ids': --dim seq=32 makes dim 'seq' 32, but ids-mask.npz: input_ids has int64 samples of shape [16] " +
        "(dim 'seq' 16): data brings its own sizes. Leave out --dim seq=32, or use data whose dim 'seq' is 32.",
    );
    const shape = await refusal(() =>
      fed({ kind: 'npz', path: data }, { shapes: { input_ids: [1, 32] }, origin: 'flags' }),
    );
    expect(shape.message).toContain("Input 'input_ids': --shape input_ids=1x32 makes dim 'seq' 32");
    const batch = await refusal(() =>
      fed({ kind: 'npz', path: data }, { dims: { batch: 8 }, origin: 'flags' }),
    );
    expect(batch.message).toContain(
      "(fed one per run, dim 'batch' 1): data brings its own sizes. Leave out --dim batch=8: data is fed one sample per run.",
    );
    // The same size as the data's is no contradiction.
    expect(
      (await fed({ kind: 'npz', path: data }, { dims: { seq: 16 }, origin: 'flags' })).shapes,
    ).toHaveLength(2);
  });

  it("give way to the data with a note where the app's input spec or a recipe's inputs set them", async () => {
    // The app sends its input spec with every job, data or not: the data decides, and the note says so.
    const { shapes, notes } = await fed(
      { kind: 'npz', path: data },
      { shapes: { input_ids: [1, 128], attention_mask: [1, 128] } },
    );
    expect(shapes[0]).toEqual({ input_ids: [1, 16], attention_mask: [1, 16] });
    expect(notes).toEqual([
      "dim 'seq' of input 'input_ids' is 16 in the data (ids-mask.npz: input_ids), not the 128 the input spec sets: the data's size was used.",
    ]);
    const recipe = await fed({ kind: 'npz', path: data }, { dims: { seq: 32 }, origin: 'recipe' });
    expect(recipe.notes).toEqual([
      "dim 'seq' of input 'input_ids' is 16 in the data (ids-mask.npz: input_ids), not the 32 the recipe's inputs.dims seq=32 sets: the data's size was used.",
    ]);
  });
});

describe('ids past the table they index', () => {
  it('refuses --value past the vocabulary before anything runs, with its rows', async () => {
    const error = await refusal(() =>
      resolveInputSpecs(model, { values: { input_ids: { kind: 'range', min: 0, max: 5000 } } }),
    );
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toBe(
      "Input 'input_ids' indexes the 1000 rows of 'tok_emb': its values go from 0 to 999, and 5000 is past them (every run would fail there).",
    );
  });

  it('names the sample and the input of data that holds one, and says to fix the data', async () => {
    // The user test: "could not run on the inputs it was given ... idx=1500", no sample, and a hint about --shape.
    const oov = write(
      'oov.npz',
      encodeNpz({
        input_ids: ids(3, 16, { row: 1, id: 1500 }),
        attention_mask: ids(3, 16),
        labels: labels(3),
      }),
    );
    const error = await refusal(() => evaluateModel({ model: modelFile, data: { kind: 'npz', path: oov } }));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toMatch(
      /^tokens\.onnx could not run on sample 1 \(input_ids int64 \[1, 16\], attention_mask int64 \[1, 16\]\)\. Node 'tok' \(Gather\) failed: .*idx=1500/,
    );
    expect(error.message).toMatch(
      /The data's 'input_ids' holds 1500, past the 1000 rows of the table that node looks up: its values must be 0 to 999\.$/,
    );
    expect(error.cliHint).toBe(
      "Fix the data: the values of 'input_ids' index a table of 1000 rows (ids of another tokenizer or vocabulary are past it).",
    );
  });
});
