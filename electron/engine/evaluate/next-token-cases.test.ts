import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { encodeNpz } from '../datasets/npz-writer.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { evaluateModel } from './evaluate-model.js';

/*
 * Next-token grading of the awkward language models a user test brought (report 2026-12-07): a model whose
 * logits are the table row of each id, so every figure can be counted by hand. Row i scores id `next(i)` highest
 * (or id i itself, for a model that echoes its input).
 */

const V = 8;
const next = (i: number) => (i + 1) % V;

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-next-token-cases-');
});
afterAll(() => tmp.cleanup());

interface LmShape {
  /** The ids' dims; the masks' too. */
  dims: (number | string)[];
  masks?: string[];
  /** Rows of the table the ids look up (default V); the output scores the first V columns. */
  rows?: number;
  /** Row i scores i itself highest: a masked LM. */
  echo?: boolean;
  /** Another integer input before the ids, looking up nothing. */
  extraInts?: string[];
  ids?: string;
  /** Another integer input that looks up the same table (two inputs then fit alike). */
  alsoLookup?: string;
}

function lm(name: string, shape: LmShape): string {
  const rows = shape.rows ?? V;
  const ids = shape.ids ?? 'input_ids';
  const table = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: V }, (_, c) => (c === (shape.echo ? r % V : next(r)) ? 4 : 0)),
  ).flat();
  const masks = shape.masks ?? [];
  const nodes = [makeNode('Gather', ['table', ids], ['rows'])];
  // Masks and extra inputs are read (summed into a zero) so that they stay inputs of the graph.
  let acc = 'rows';
  for (const [i, input] of [...masks, ...(shape.extraInts ?? [])].entries()) {
    nodes.push(
      makeNode('Cast', [input], [`${input}_f`], { attributes: { to: { int: DT.FLOAT } } }),
      makeNode('ReduceSum', [`${input}_f`], [`${input}_s`], { attributes: { keepdims: { int: 0 } } }),
      makeNode('Mul', [`${input}_s`, 'zero'], [`${input}_z`]),
      makeNode('Add', [acc, `${input}_z`], [`acc${i}`]),
    );
    acc = `acc${i}`;
  }
  if (shape.alsoLookup) {
    nodes.push(
      makeNode('Gather', ['table', shape.alsoLookup], ['also_rows']),
      makeNode('Mul', ['also_rows', 'zero'], ['also_zero']),
      makeNode('Add', [acc, 'also_zero'], ['acc_also']),
    );
    acc = 'acc_also';
  }
  nodes.push(makeNode('Identity', [acc], ['logits']));
  const model = makeModel(
    makeGraph(name, {
      nodes,
      inputs: [
        ...[...(shape.extraInts ?? []), ...(shape.alsoLookup ? [shape.alsoLookup] : [])].map((n) =>
          makeValueInfo(n, DT.INT64, shape.dims),
        ),
        makeValueInfo(ids, DT.INT64, shape.dims),
        ...masks.map((m) => makeValueInfo(m, DT.INT64, shape.dims)),
      ],
      outputs: [makeValueInfo('logits', DT.FLOAT, [...shape.dims, V])],
      initializers: [makeFloatTensor('table', [rows, V], table), makeFloatTensor('zero', [], [0])],
    }),
  );
  const file = path.join(tmp.dir, `${name}.onnx`);
  fs.writeFileSync(file, modelBytes(model));
  return file;
}

function npz(name: string, arrays: Record<string, { values: number[]; dims: number[] }>): string {
  const file = path.join(tmp.dir, `${name}.npz`);
  const entries = Object.fromEntries(
    Object.entries(arrays).map(([k, a]) => [
      k,
      encodeNpyArray(BigInt64Array.from(a.values.map(BigInt)), 'int64', a.dims),
    ]),
  );
  fs.writeFileSync(file, encodeNpz(entries));
  return file;
}

// Two samples of 4 ids: 0 1 2 3 follows the pattern (3 right), 5 6 0 0 is right once (5 -> 6), then padding.
const IDS = [0, 1, 2, 3, 5, 6, 0, 0];
const MASK = [1, 1, 1, 1, 1, 1, 0, 0];

describe('next-token grading of awkward language models', () => {
  it('leaves padding out for ids without a batch axis ([T] beside [T, V])', async () => {
    const model = lm('nobatch', { dims: [4], masks: ['attention_mask'] });
    const data = npz('nobatch', {
      input_ids: { values: IDS, dims: [2, 4] },
      attention_mask: { values: MASK, dims: [2, 4] },
    });
    const r = await evaluateModel({ model, data: { kind: 'npz', path: data } });
    // Graded: 3 + 1 (6 -> 0 leads into padding, 0 -> 0 is padding).
    expect(r.nextToken).toMatchObject({
      positions: 4,
      correct: 4,
      padded: { positions: 2, by: 'attention_mask' },
    });
    expect(r.notes.join('\n')).not.toMatch(/does not have|not shaped like/);
  });

  it("uses the mask of the ids' own name where an encoder's and a decoder's both fit", async () => {
    const model = lm('seq2seq', {
      dims: [1, 4],
      ids: 'decoder_input_ids',
      extraInts: ['input_ids'],
      masks: ['attention_mask', 'decoder_attention_mask'],
    });
    const full = [1, 1, 1, 1, 1, 1, 1, 1];
    const data = npz('seq2seq', {
      input_ids: { values: IDS, dims: [2, 1, 4] },
      decoder_input_ids: { values: IDS, dims: [2, 1, 4] },
      attention_mask: { values: full, dims: [2, 1, 4] },
      decoder_attention_mask: { values: MASK, dims: [2, 1, 4] },
    });
    const r = await evaluateModel({ model, data: { kind: 'npz', path: data }, task: 'next-token' });
    // input_ids looks up nothing: the decoder's ids (which look up the table) are graded, and its mask read.
    expect(r.nextToken).toMatchObject({
      idsInput: 'decoder_input_ids',
      positions: 4,
      padded: { by: 'decoder_attention_mask' },
    });
  });

  it('never grades a mask as the ids, and takes a padded vocabulary table when asked', async () => {
    // The ids look up 10 rows, the output scores 8: auto does not grade it; --task next-token does, and says so.
    const model = lm('padded-vocab', { dims: [1, 4], rows: 10, masks: ['attention_mask'] });
    const data = npz('padded-vocab', {
      input_ids: { values: IDS, dims: [2, 1, 4] },
      attention_mask: { values: MASK, dims: [2, 1, 4] },
    });
    await expect(evaluateModel({ model, data: { kind: 'npz', path: data } })).rejects.toThrow(
      /Nothing to measure/,
    );
    const r = await evaluateModel({ model, data: { kind: 'npz', path: data }, task: 'next-token' });
    expect(r.nextToken).toMatchObject({ idsInput: 'input_ids', positions: 4, correct: 4 });
    expect(r.taskReason).toContain("looks up 'table' (10 rows, of which the output scores the first 8)");
  });

  it('says a model that echoes its input reads as a masked LM', async () => {
    const model = lm('echo', { dims: [1, 4], echo: true });
    const data = npz('echo', { input_ids: { values: [0, 1, 2, 3, 4, 5, 6, 7], dims: [2, 1, 4] } });
    const r = await evaluateModel({ model, data: { kind: 'npz', path: data } });
    expect(r.nextToken).toMatchObject({ accuracy: 0, ownIdShare: 1 });
    expect(r.notes.join('\n')).toContain('the model reads as a masked LM or an autoencoder');
  });

  it('grades from the first sample that has a next id, and says why when none has', async () => {
    const model = lm('jsonl', { dims: [1, 'seq'] });
    const line = (ids: number[]) =>
      JSON.stringify({ inputs: { input_ids: { dims: [1, ids.length], data: ids } } });
    const mixed = path.join(tmp.dir, 'mixed.jsonl');
    fs.writeFileSync(mixed, [line([3]), line([0, 1, 2]), line([5, 6])].join('\n'));
    const r = await evaluateModel({ model, data: { kind: 'jsonl', path: mixed } });
    expect(r.nextToken).toMatchObject({ positions: 3, correct: 3 });
    const ones = path.join(tmp.dir, 'ones.jsonl');
    fs.writeFileSync(ones, [line([3]), line([4])].join('\n'));
    await expect(evaluateModel({ model, data: { kind: 'jsonl', path: ones } })).rejects.toThrow(
      /every sample holds one token \(sample 0: input 'input_ids' holds \[1, 1\]/,
    );
  });

  it("leaves another input's lone mask alone (encoder_attention_mask beside a decoder's input_ids), and says so", async () => {
    const model = lm('decoder', { dims: [1, 4], masks: ['encoder_attention_mask'] });
    const data = npz('decoder', {
      input_ids: { values: IDS, dims: [2, 1, 4] },
      encoder_attention_mask: { values: MASK, dims: [2, 1, 4] },
    });
    const r = await evaluateModel({ model, data: { kind: 'npz', path: data } });
    expect(r.nextToken).toMatchObject({ positions: 6 });
    expect(r.nextToken!.padded).toBeUndefined();
    expect(r.notes.join('\n')).toContain(
      "the attention mask 'encoder_attention_mask' is not named as the one of 'input_ids' (by its name or shape), so every position is graded",
    );
  });

  it('names the ids with --ids-input where two inputs fit alike, and refuses a name that is no integer input', async () => {
    const model = lm('twins', { dims: [1, 4], ids: 'a_ids', alsoLookup: 'b_ids' });
    const data = npz('twins', {
      a_ids: { values: IDS, dims: [2, 1, 4] },
      b_ids: { values: IDS, dims: [2, 1, 4] },
    });
    // Auto cannot tell: without a reference it says so, with the flag to name them.
    await expect(evaluateModel({ model, data: { kind: 'npz', path: data } })).rejects.toMatchObject({
      message: expect.stringMatching(
        /cannot tell which input holds the token ids: '[ab]_ids', '[ab]_ids' all fit/,
      ),
      cliHint: expect.stringMatching(/^Name it with --ids-input [ab]_ids\.$/),
    });
    const r = await evaluateModel({ model, data: { kind: 'npz', path: data }, idsInput: 'b_ids' });
    expect(r.nextToken).toMatchObject({ idsInput: 'b_ids', positions: 6 });
    await expect(
      evaluateModel({ model, data: { kind: 'npz', path: data }, idsInput: 'c_ids' }),
    ).rejects.toThrow(
      /--ids-input 'c_ids' is no integer input of the model \(its integer inputs: '[ab]_ids', '[ab]_ids'\)\./,
    );
    await expect(
      evaluateModel({ model, data: { kind: 'npz', path: data }, idsInput: 'a_ids', task: 'regression' }),
    ).rejects.toThrow(
      /--ids-input names the token ids that next-token grades, and this evaluation is regression/,
    );
  });

  it("never grades a decoder's position_ids as its ids, though they look up a table as ids do", async () => {
    // Optimum's Llama-style exports: position_ids look up a position table (here the same one), and fit every shape
    // the ids fit. Before, auto called the two ambiguous, and tune had no --ids-input to settle it.
    const model = lm('positions', { dims: [1, 4], alsoLookup: 'position_ids' });
    const data = npz('positions', {
      input_ids: { values: IDS, dims: [2, 1, 4] },
      position_ids: { values: [0, 1, 2, 3, 0, 1, 2, 3], dims: [2, 1, 4] },
    });
    const r = await evaluateModel({ model, data: { kind: 'npz', path: data } });
    expect(r.nextToken).toMatchObject({ idsInput: 'input_ids', positions: 6, correct: 4 });
  });
});
