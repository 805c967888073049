import { type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import { float32ArrayToFloat16 } from '../onnx/float16.js';
import {
  littleEndianBytes,
  makeFloatTensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../onnx/graph-build.js';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { makeGraph, makeModel, mulberry32, randomFloats, randomTensor } from './model-fixtures.js';

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
  /** The table [vocab, hidden] and the projection [hidden, hidden], where random ones will not do (buildPatternLm). */
  weights?: { table: Float32Array; proj: Float32Array };
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
  const stored = options.weights
    ? makeFloatTensor(TIED_LM.table, [vocab, hidden], options.weights.table)
    : randomTensor(TIED_LM.table, [vocab, hidden], seed);
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
        options.weights
          ? makeFloatTensor('proj.weight', [hidden, hidden], options.weights.proj)
          : randomTensor('proj.weight', [hidden, hidden], seed + 1, 0.3),
      ],
    }),
  );
}

/** The id a pattern LM ranks first after `id`: a permutation of the vocabulary (5 is prime to a power of 2). */
export function nextInPattern(id: number, vocab: number): number {
  return (5 * id + 3) % vocab;
}

/**
 * A tied-head LM that has learned a pattern, its weights set rather than trained: after id i it scores
 * nextInPattern(i) `margin` above every other id (0), so a quantizer's error shows as lost next-token accuracy.
 * The table's rows are orthogonal, of norm 2 (hidden >= vocab), so the head reads one-hot scores exactly, and the
 * projection maps each row to what Tanh turns into the next id's row, scaled.
 */
export function buildPatternLm(
  options: {
    vocab?: number;
    hidden?: number;
    tokens?: number;
    margin?: number;
    /** Rank each id itself first, as a masked LM or an autoencoder would (no next-token skill). */
    echo?: boolean;
  } = {},
): ModelProto {
  const { vocab = 64, hidden = 96, tokens = 8 } = options;
  return buildTiedLm({ vocab, hidden, tokens, weights: patternWeights(options) });
}

/**
 * The table and projection of a pattern LM (buildPatternLm): Tanh(table[i] . proj) . table^T scores
 * nextInPattern(i) `margin` above every other id (each id itself with `echo`).
 */
export function patternWeights(
  options: { vocab?: number; hidden?: number; margin?: number; echo?: boolean } = {},
): { table: Float32Array; proj: Float32Array } {
  const { vocab = 64, hidden = 96, margin = 5 } = options;
  if (hidden < vocab) throw new Error('A pattern LM needs hidden >= vocab (orthogonal rows).');
  const norm = 2;
  // Gram-Schmidt on seeded random rows, each scaled to `norm`.
  const table = randomFloats(vocab * hidden, 29);
  const row = (i: number) => table.subarray(i * hidden, (i + 1) * hidden);
  for (let i = 0; i < vocab; i++) {
    const r = row(i);
    for (let j = 0; j < i; j++) {
      const q = row(j);
      let dot = 0;
      for (let k = 0; k < hidden; k++) dot += r[k]! * q[k]!;
      for (let k = 0; k < hidden; k++) r[k] = r[k]! - (dot / (norm * norm)) * q[k]!;
    }
    let length = 0;
    for (let k = 0; k < hidden; k++) length += r[k]! * r[k]!;
    const scale = norm / Math.sqrt(length);
    for (let k = 0; k < hidden; k++) r[k] = r[k]! * scale;
  }
  // h(i) = (margin / norm^2) table[next(i)] makes h(i) . table^T = margin at next(i), 0 elsewhere. The projection
  // gives atanh(h(i)) from table[i]: proj = table^T A / norm^2, A[i] = atanh(h(i)).
  const proj = new Float64Array(hidden * hidden);
  for (let i = 0; i < vocab; i++) {
    const from = row(i);
    const to = row(options.echo ? i : nextInPattern(i, vocab));
    for (let k = 0; k < hidden; k++) {
      const a = Math.atanh((margin / (norm * norm)) * to[k]!) / (norm * norm);
      for (let m = 0; m < hidden; m++) proj[m * hidden + k] = proj[m * hidden + k]! + from[m]! * a;
    }
  }
  return { table, proj: Float32Array.from(proj) };
}

/**
 * `samples` sequences of `tokens` ids that follow the pattern (nextInPattern), each position jumping to a random id
 * instead with probability `jumps`: the pattern LM's next-token accuracy on them is about 1 - jumps.
 */
export function patternIds(
  samples: number,
  tokens: number,
  vocab: number,
  jumps = 0.2,
  seed = 5,
): BigInt64Array {
  const random = mulberry32(seed);
  const ids = new BigInt64Array(samples * tokens);
  for (let s = 0; s < samples; s++) {
    let id = Math.floor(random() * vocab);
    for (let t = 0; t < tokens; t++) {
      ids[s * tokens + t] = BigInt(id);
      id = random() < jumps ? Math.floor(random() * vocab) : nextInPattern(id, vocab);
    }
  }
  return ids;
}
