import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { encodeNpz } from '../datasets/npz-writer.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { evaluateModel } from './evaluate-model.js';

/*
 * A decoder-like LM in miniature: logits [1, seq, vocab] = the table's row for each token, and `attention_mask`
 * [1, seq] beside `input_ids`. The variant differs from the reference only in the row of the pad token (7), so
 * every disagreement is at a padded position: with them left out, the figures are exact.
 */

const VOCAB = 8;
const SEQ = 4;
const PAD = 7;

let tmp: ReturnType<typeof makeTempDir>;
let reference: string;
let variant: string;
let data: string;

/** The LM: `logits` per position, and `flat`, the same values as one vector per sample (no position axis). */
function lm(file: string, padRow: number[]): string {
  const table = Array.from({ length: VOCAB }, (_, token) =>
    token === PAD ? padRow : Array.from({ length: VOCAB }, (_, c) => (c === token ? 2 : 0.1 * c)),
  ).flat();
  const model = makeModel(
    makeGraph('tiny_lm', {
      nodes: [
        makeNode('Gather', ['table', 'input_ids'], ['rows']),
        // The mask only gates a constant: the logits of a padded position are the pad row's, as in a real LM.
        makeNode('Cast', ['attention_mask'], ['mask_f'], { attributes: { to: { int: DT.FLOAT } } }),
        makeNode('ReduceSum', ['mask_f'], ['mask_sum'], { attributes: { keepdims: { int: 1 } } }),
        makeNode('Mul', ['mask_sum', 'zero'], ['mask_zero']),
        makeNode('Add', ['rows', 'mask_zero'], ['logits']),
        makeNode('Reshape', ['logits', 'flat_shape'], ['flat']),
      ],
      inputs: [
        makeValueInfo('input_ids', DT.INT64, [1, SEQ]),
        makeValueInfo('attention_mask', DT.INT64, [1, SEQ]),
      ],
      outputs: [
        makeValueInfo('logits', DT.FLOAT, [1, SEQ, VOCAB]),
        makeValueInfo('flat', DT.FLOAT, [1, SEQ * VOCAB]),
      ],
      initializers: [
        makeFloatTensor('table', [VOCAB, VOCAB], table),
        makeFloatTensor('zero', [], [0]),
        makeInt64Tensor('flat_shape', [2], [1, SEQ * VOCAB]),
      ],
    }),
  );
  const at = path.join(tmp.dir, file);
  fs.writeFileSync(at, toBinary(ModelProtoSchema, model));
  return at;
}

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-padding-');
  const padRow = Array.from({ length: VOCAB }, (_, c) => (c === 0 ? 3 : 0));
  reference = lm('reference.onnx', padRow);
  // The variant's pad row points elsewhere: another top class, and another direction.
  variant = lm(
    'variant.onnx',
    Array.from({ length: VOCAB }, (_, c) => (c === 5 ? 3 : 0)),
  );
  // Three samples; the last ends in 2 pad tokens, which its mask marks 0 (3 tokens of 12 are padding in all).
  const ids = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, PAD, PAD];
  const mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
  data = path.join(tmp.dir, 'tok.npz');
  fs.writeFileSync(
    data,
    encodeNpz({
      input_ids: encodeNpyArray(BigInt64Array.from(ids.map(BigInt)), 'int64', [3, SEQ]),
      attention_mask: encodeNpyArray(BigInt64Array.from(mask.map(BigInt)), 'int64', [3, SEQ]),
    }),
  );
});
afterAll(() => tmp.cleanup());

describe('per-position fidelity and padding', () => {
  it('leaves the positions attention_mask marks 0 out of every figure, and says so', async () => {
    // A user test: "192 positions in 12 samples" counted 4 padded ones in top-1 agreement and cosine.
    const report = await evaluateModel({ model: variant, reference, data: { kind: 'npz', path: data } });
    const logits = report.fidelity!.outputs!.find((o) => o.output === 'logits')!;
    expect(logits).toMatchObject({
      top1Agreement: 1,
      top1Positions: 10,
      cosine: 1,
      maxAbsErr: 0,
      exact: true,
      padded: { positions: 2, by: 'attention_mask' },
    });
    expect(report.notes).toContain(
      "2 padded positions left out, by attention_mask: the fidelity figures of output 'logits' (cosine, SQNR, errors, top-1 agreement) cover the other positions",
    );
  });

  it('grades a position on the next id only where it and the next one are tokens', async () => {
    // No labels: the LM is graded on its own ids. The last sample [2, 3, PAD, PAD] has one such position (2 -> 3).
    const report = await evaluateModel({ model: variant, reference, data: { kind: 'npz', path: data } });
    expect(report.task).toBe('next-token');
    expect(report.nextToken).toMatchObject({
      idsInput: 'input_ids',
      positions: 3 + 3 + 1,
      padded: { positions: 2, by: 'attention_mask' },
    });
    // Each row scores its own token highest: a model that repeats its input never predicts a different next id.
    expect(report.accuracy).toBe(0);
    expect(report.notes).toContain(
      '2 padded positions left out, by attention_mask: the next-token figures grade a position only where it and the one after it are tokens',
    );
  });

  it('keeps counting where the mask cannot say which values are padding, and says that', async () => {
    const report = await evaluateModel({ model: variant, reference, data: { kind: 'npz', path: data } });
    const flat = report.fidelity!.outputs!.find((o) => o.output === 'flat')!;
    // One vector per sample: the padded values stay in, so the figures are not exact.
    expect(flat.padded).toBeUndefined();
    expect(flat.exact).toBe(false);
    expect(report.notes).toContain(
      "output 'flat' [1, 32] does not have attention_mask's shape [1, 4] as its axes before the last, so its figures count the positions attention_mask marks as padding: which of its values are padding cannot be told",
    );
  });

  it('leaves nothing out where no position is padding', async () => {
    const report = await evaluateModel({
      model: variant,
      reference,
      data: { kind: 'npz', path: data },
      limit: 2,
    });
    const logits = report.fidelity!.outputs!.find((o) => o.output === 'logits')!;
    expect(logits.padded).toBeUndefined();
    expect(logits.top1Positions).toBe(8);
    expect(report.notes.join('\n')).not.toMatch(/padd/);
  });
});
