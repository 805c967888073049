import { type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import { float32ArrayToFloat16 } from '../onnx/float16.js';
import { littleEndianBytes, makeNode, makeRawTensor, makeValueInfo } from '../onnx/graph-build.js';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { makeGraph, makeModel, randomTensor } from './model-fixtures.js';

/*
 * A tiny decoder-style LM whose head is tied to its embedding the way PyTorch exports it: the table is
 * read by a Gather at the start and, at the end, by MatMul(hidden, Transpose(table, perm [1, 0])). The
 * table is the model's largest weight, so a quantizer that cannot see through the Transpose leaves most
 * of the file in float.
 */

export interface TiedLmOptions {
  vocab?: number;
  hidden?: number;
  /** Token count of the `ids` input. */
  tokens?: number;
  /** The Transpose's perm (default [1, 0]; omitted when null, which reverses the axes too). */
  perm?: number[] | null;
  /** Store the table as float16 behind a Cast to float (a half-precision checkpoint of a float32 model). */
  float16Table?: boolean;
  seed?: number;
}

/** Names of the fixture's parts, for assertions. */
export const TIED_LM = {
  table: 'embed_tokens.weight',
  lookup: 'embed_gather',
  projection: 'proj',
  transpose: 'lm_head/transpose',
  head: 'lm_head/matmul',
} as const;

/** ids [tokens] -> Gather(table) -> MatMul(proj) -> Tanh -> MatMul(Transpose(table)) -> logits [tokens, vocab]. */
export function buildTiedLm(options: TiedLmOptions = {}): ModelProto {
  const { vocab = 64, hidden = 32, tokens = 8, seed = 11 } = options;
  const perm = options.perm === undefined ? [1, 0] : options.perm;
  const stored = randomTensor(TIED_LM.table, [vocab, hidden], seed);
  // The table as the Gather and the Transpose read it.
  const table = options.float16Table ? `${TIED_LM.table}_f32` : TIED_LM.table;
  const cast = options.float16Table
    ? [
        makeNode('Cast', [TIED_LM.table], [table], {
          name: 'table_cast',
          attributes: { to: { int: DT.FLOAT } },
        }),
      ]
    : [];
  return makeModel(
    makeGraph('tied_lm', {
      nodes: [
        ...cast,
        makeNode('Gather', [table, 'ids'], ['h0'], { name: TIED_LM.lookup }),
        makeNode('MatMul', ['h0', 'proj.weight'], ['h1'], { name: TIED_LM.projection }),
        makeNode('Tanh', ['h1'], ['h2'], { name: 'act' }),
        makeNode('Transpose', [table], ['lm_head_wT'], {
          name: TIED_LM.transpose,
          ...(perm ? { attributes: { perm: { ints: perm } } } : {}),
        }),
        makeNode('MatMul', ['h2', 'lm_head_wT'], ['logits'], { name: TIED_LM.head }),
      ],
      inputs: [makeValueInfo('ids', DT.INT64, [tokens])],
      outputs: [makeValueInfo('logits', DT.FLOAT, [tokens, vocab])],
      initializers: [
        options.float16Table
          ? makeRawTensor(
              TIED_LM.table,
              DT.FLOAT16,
              [vocab, hidden],
              littleEndianBytes(float32ArrayToFloat16(decodeToFloat32(stored))),
            )
          : stored,
        randomTensor('proj.weight', [hidden, hidden], seed + 1, 0.3),
      ],
    }),
  );
}
