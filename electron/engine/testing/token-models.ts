import { type ModelProto, TensorProto_DataType as DataType } from 'onnx-buf';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, randomFloats } from './model-fixtures.js';

/*
 * A tiny transformer-like text model, for the input spec's guesses and the data layer: int64 `input_ids` [batch,
 * seq] looked up in a token table (`tok_emb`, `vocab` rows), plus a position embedding (`pe`, `positions` rows)
 * looked up by Range(0, Shape(input_ids)[1], 1), as GPT-style exports compute positions; with `mask`, an int64
 * `attention_mask` [batch, seq] multiplied in (a mask of another length fails in that Mul, as a real encoder's
 * additive mask does), then a mean over the sequence and a small head: `logits` [batch, classes].
 */

export interface TokenModelOptions {
  vocab?: number;
  /** Rows of the position table (default 64): the longest sequence the model runs. */
  positions?: number;
  /** An `attention_mask` input beside `input_ids` (default true). */
  mask?: boolean;
  /** How the sequence length reaches the Range: `gather` (Shape, then Gather of index 1) or `shape-slice` (Shape with start 1, end 2, then Squeeze). */
  seqRead?: 'gather' | 'shape-slice';
}

const HIDDEN = 8;
const CLASSES = 3;

export function buildTokenModel(options: TokenModelOptions = {}): ModelProto {
  const vocab = options.vocab ?? 1000;
  const positions = options.positions ?? 64;
  const mask = options.mask ?? true;
  const seqRead =
    options.seqRead === 'shape-slice'
      ? [
          makeNode('Shape', ['input_ids'], ['seq_1d'], {
            attributes: { start: { int: 1 }, end: { int: 2 } },
          }),
          makeNode('Squeeze', ['seq_1d'], ['seq_len']),
        ]
      : [
          makeNode('Shape', ['input_ids'], ['ids_shape']),
          makeNode('Gather', ['ids_shape', 'one'], ['seq_len'], { attributes: { axis: { int: 0 } } }),
        ];
  const nodes = [
    makeNode('Gather', ['tok_emb', 'input_ids'], ['tok'], { name: 'tok' }),
    ...seqRead,
    makeNode('Range', ['zero', 'seq_len', 'one'], ['pos_ids']),
    makeNode('Gather', ['pe', 'pos_ids'], ['pos'], { name: 'pos' }),
    makeNode('Add', ['tok', 'pos'], ['emb']),
    ...(mask
      ? [
          makeNode('Cast', ['attention_mask'], ['mask_f'], { attributes: { to: { int: DataType.FLOAT } } }),
          makeNode('Unsqueeze', ['mask_f', 'last_axis'], ['mask_3d']),
          makeNode('Mul', ['emb', 'mask_3d'], ['masked'], { name: 'masked' }),
        ]
      : [makeNode('Identity', ['emb'], ['masked'])]),
    makeNode('ReduceMean', ['masked'], ['pooled'], {
      attributes: { axes: { ints: [1] }, keepdims: { int: 0 } },
    }),
    makeNode('MatMul', ['pooled', 'head'], ['logits']),
  ];
  return makeModel(
    makeGraph('token-model', {
      nodes,
      inputs: [
        makeValueInfo('input_ids', DataType.INT64, ['batch', 'seq']),
        ...(mask ? [makeValueInfo('attention_mask', DataType.INT64, ['batch', 'seq'])] : []),
      ],
      outputs: [makeValueInfo('logits', DataType.FLOAT, ['batch', CLASSES])],
      initializers: [
        makeFloatTensor('tok_emb', [vocab, HIDDEN], randomFloats(vocab * HIDDEN, 1)),
        makeFloatTensor('pe', [positions, HIDDEN], randomFloats(positions * HIDDEN, 2, 0.1)),
        makeFloatTensor('head', [HIDDEN, CLASSES], randomFloats(HIDDEN * CLASSES, 3)),
        makeInt64Tensor('zero', [], [0]),
        makeInt64Tensor('one', [], [1]),
        makeInt64Tensor('last_axis', [1], [-1]),
      ],
    }),
  );
}
