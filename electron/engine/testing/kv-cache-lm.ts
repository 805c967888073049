import { type ModelProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, randomTensor } from './model-fixtures.js';
import { patternWeights } from './tied-lm.js';

/*
 * A one-layer decoder with a KV cache, named the way Hugging Face Optimum exports one
 * (`decoder_with_past_model.onnx`): input_ids [batch_size, sequence_length], attention_mask [batch_size,
 * "past_sequence_length + sequence_length"], past_key_values.0.key/value [batch_size, heads,
 * past_sequence_length, head_dim]; outputs logits and present.0.key/value. Its first step is a past of length
 * 0. The attention is real (Concat of past and new keys, causal mask over past + new positions, padding mask),
 * its output added with a small weight to a pattern LM's hidden state (tied-lm.ts), so that next-token accuracy
 * on patternIds is high and a quantizer's error shows. `merged` adds Optimum's merged-export switch: a bool
 * `use_cache_branch` [1] and an If that concatenates the past (then) or ignores it (else).
 */

export interface KvCacheLmOptions {
  vocab?: number;
  /** At least 3x vocab keeps the pattern's atanh targets inside (-1, 1) (patternWeights). */
  hidden?: number;
  heads?: number;
  headDim?: number;
  /** Optimum's merged decoder: `use_cache_branch` and an If around the cache. */
  merged?: boolean;
  /** A position_ids input [batch_size, sequence_length] (added to the hidden state through a table). */
  positionIds?: boolean;
}

export const KV_CACHE_LM = {
  ids: 'input_ids',
  mask: 'attention_mask',
  pastKey: 'past_key_values.0.key',
  pastValue: 'past_key_values.0.value',
  useCache: 'use_cache_branch',
  pastDim: 'past_sequence_length',
  totalDim: 'past_sequence_length + sequence_length',
} as const;

const I64 = (name: string, values: number[]) => makeInt64Tensor(name, [values.length], values.map(BigInt));

/** The decoder (see above). */
export function buildKvCacheLm(options: KvCacheLmOptions = {}): ModelProto {
  const { vocab = 32, hidden = 96, heads = 2, headDim = 8, merged = false, positionIds = false } = options;
  const width = heads * headDim;
  const { table, proj } = patternWeights({ vocab, hidden });
  const kv = ['batch_size', heads, KV_CACHE_LM.pastDim, headDim];
  const present = ['batch_size', heads, KV_CACHE_LM.totalDim, headDim];
  const n = (op: string, inputs: string[], outputs: string[], attributes?: Parameters<typeof makeNode>[3]) =>
    makeNode(op, inputs, outputs, { name: outputs[0]!, ...attributes });
  // [B, S, width] -> [B, heads, S, headDim]
  const split = (from: string, to: string) => [
    n('Reshape', [from, 'split_shape'], [`${to}_bshd`]),
    n('Transpose', [`${to}_bshd`], [to], { attributes: { perm: { ints: [0, 2, 1, 3] } } }),
  ];
  const concat = (past: string, fresh: string, out: string): NodeProto =>
    n('Concat', [past, fresh], [out], { attributes: { axis: { int: 2 } } });
  const cache: NodeProto[] = merged
    ? [
        makeNode('If', [KV_CACHE_LM.useCache], ['present.0.key', 'present.0.value'], {
          name: 'optimum::if',
          attributes: {
            then_branch: {
              graph: makeGraph('with_past', {
                inputs: [],
                outputs: [
                  makeValueInfo('then_key', DT.FLOAT, present),
                  makeValueInfo('then_value', DT.FLOAT, present),
                ],
                nodes: [
                  concat(KV_CACHE_LM.pastKey, 'k', 'then_key'),
                  concat(KV_CACHE_LM.pastValue, 'v', 'then_value'),
                ],
              }),
            },
            else_branch: {
              graph: makeGraph('no_past', {
                inputs: [],
                outputs: [
                  makeValueInfo('else_key', DT.FLOAT, present),
                  makeValueInfo('else_value', DT.FLOAT, present),
                ],
                nodes: [n('Identity', ['k'], ['else_key']), n('Identity', ['v'], ['else_value'])],
              }),
            },
          },
        }),
      ]
    : [
        concat(KV_CACHE_LM.pastKey, 'k', 'present.0.key'),
        concat(KV_CACHE_LM.pastValue, 'v', 'present.0.value'),
      ];
  const nodes: NodeProto[] = [
    n('Gather', ['embed_tokens.weight', KV_CACHE_LM.ids], ['x']),
    ...(positionIds
      ? [n('Gather', ['embed_positions.weight', 'position_ids'], ['pos']), n('Add', ['x', 'pos'], ['x_pos'])]
      : []),
    ...(['q', 'k', 'v'] as const).flatMap((t) => [
      n('MatMul', [positionIds ? 'x_pos' : 'x', `${t}_proj.weight`], [`${t}_flat`]),
      ...split(`${t}_flat`, t),
    ]),
    ...cache,
    n('Transpose', ['present.0.key'], ['keys_t'], { attributes: { perm: { ints: [0, 1, 3, 2] } } }),
    n('MatMul', ['q', 'keys_t'], ['scores_raw']),
    n('Mul', ['scores_raw', 'scale'], ['scores']),
    // Causal: new position s sees past + s + 1 keys. Trilu's k is the past length.
    n('Shape', ['scores'], ['scores_shape']),
    n('Slice', ['scores_shape', 'two', 'four'], ['square_shape']),
    n('ConstantOfShape', ['square_shape'], ['ones'], {
      attributes: { value: { tensor: makeFloatTensor('one', [1], new Float32Array([1])) } },
    }),
    n('Shape', [KV_CACHE_LM.pastKey], ['past_shape']),
    n('Gather', ['past_shape', 'two_scalar'], ['past_length']),
    n('Trilu', ['ones', 'past_length'], ['causal'], { attributes: { upper: { int: 0 } } }),
    n('Cast', [KV_CACHE_LM.mask], ['mask_f'], { attributes: { to: { int: DT.FLOAT } } }),
    n('Unsqueeze', ['mask_f', 'axes_1_2'], ['mask_b11t']),
    n('Mul', ['causal', 'mask_b11t'], ['allowed']),
    n('Sub', ['one_f', 'allowed'], ['blocked']),
    n('Mul', ['blocked', 'minus_big'], ['bias']),
    n('Add', ['scores', 'bias'], ['masked']),
    n('Softmax', ['masked'], ['probs'], { attributes: { axis: { int: -1 } } }),
    n('MatMul', ['probs', 'present.0.value'], ['context']),
    n('Transpose', ['context'], ['context_bshd'], { attributes: { perm: { ints: [0, 2, 1, 3] } } }),
    n('Reshape', ['context_bshd', 'merge_shape'], ['context_flat']),
    n('MatMul', ['context_flat', 'o_proj.weight'], ['attended']),
    n('MatMul', ['x', 'proj.weight'], ['h_pattern']),
    n('Add', ['h_pattern', 'attended'], ['h']),
    n('Tanh', ['h'], ['h_act']),
    n('Transpose', ['embed_tokens.weight'], ['lm_head_t'], { attributes: { perm: { ints: [1, 0] } } }),
    n('MatMul', ['h_act', 'lm_head_t'], ['logits']),
  ];
  const inputs = [
    makeValueInfo(KV_CACHE_LM.ids, DT.INT64, ['batch_size', 'sequence_length']),
    makeValueInfo(KV_CACHE_LM.mask, DT.INT64, ['batch_size', KV_CACHE_LM.totalDim]),
    ...(positionIds ? [makeValueInfo('position_ids', DT.INT64, ['batch_size', 'sequence_length'])] : []),
    makeValueInfo(KV_CACHE_LM.pastKey, DT.FLOAT, kv),
    makeValueInfo(KV_CACHE_LM.pastValue, DT.FLOAT, kv),
    ...(merged ? [makeValueInfo(KV_CACHE_LM.useCache, DT.BOOL, [1])] : []),
  ];
  return makeModel(
    makeGraph(merged ? 'decoder_model_merged' : 'decoder_with_past_model', {
      nodes,
      inputs,
      outputs: [
        makeValueInfo('logits', DT.FLOAT, ['batch_size', 'sequence_length', vocab]),
        makeValueInfo('present.0.key', DT.FLOAT, present),
        makeValueInfo('present.0.value', DT.FLOAT, present),
      ],
      initializers: [
        makeFloatTensor('embed_tokens.weight', [vocab, hidden], table),
        makeFloatTensor('proj.weight', [hidden, hidden], proj),
        ...(positionIds ? [randomTensor('embed_positions.weight', [256, hidden], 41, 0.01)] : []),
        randomTensor('q_proj.weight', [hidden, width], 43, 0.3),
        randomTensor('k_proj.weight', [hidden, width], 44, 0.3),
        randomTensor('v_proj.weight', [hidden, width], 45, 0.3),
        // Small: the attention nudges the pattern's scores without outvoting them.
        randomTensor('o_proj.weight', [width, hidden], 46, 0.02),
        I64('split_shape', [0, 0, heads, headDim]),
        I64('merge_shape', [0, 0, width]),
        I64('two', [2]),
        I64('four', [4]),
        makeInt64Tensor('two_scalar', [], [2n]),
        I64('axes_1_2', [1, 2]),
        makeFloatTensor('scale', [], new Float32Array([1 / Math.sqrt(headDim)])),
        makeFloatTensor('one_f', [], new Float32Array([1])),
        makeFloatTensor('minus_big', [], new Float32Array([-1e4])),
      ],
    }),
    // Trilu: opset 14.
  );
}
