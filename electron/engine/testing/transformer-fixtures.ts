import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
} from 'onnx-buf';
import { float32ArrayToBfloat16, float32ArrayToFloat16 } from '../onnx/float16.js';
import {
  type AttributeValue,
  makeFloatTensor,
  makeInt64Tensor,
  makeNode,
  makeValueInfo,
} from '../onnx/graph-build.js';
import { encodeTensor } from '../onnx/tensor-codec.js';
import { makeModel, randomFloats } from './model-fixtures.js';

/*
 * Transformer-like models built in code, for the quantizers' tests and benchmarks: post-LN encoder
 * layers (Q/K/V projections, scaled QK^T, Softmax, attention x V, output projection, residual Add,
 * LayerNormalization or its decomposition, a GELU MLP with two MatMuls) and a classifier head.
 * Input `input` [batch, seq, hidden] (symbolic batch/seq by default) -> `logits` [batch, seq, classes].
 * Weights are seeded (deterministic) and stored as asked: initializers or Constant nodes, float32 or
 * float16/bfloat16 followed by a Cast to float (how half-precision checkpoints are often exported).
 */

const FLOAT = TensorProto_DataType.FLOAT;

export interface TransformerOptions {
  /** Model width (default 64). Must be a multiple of `heads`. */
  hidden?: number;
  /** Attention heads (default 4). */
  heads?: number;
  /** MLP inner width (default 4 x hidden). */
  ffn?: number;
  /** Encoder layers (default 1). */
  layers?: number;
  /** Classifier outputs (default 16). */
  classes?: number;
  /** Batch dimension: a size or a symbolic name (default 'batch'). */
  batch?: number | string;
  /** Sequence dimension: a size or a symbolic name (default 'seq'). */
  seq?: number | string;
  seed?: number;
  /** Default-domain opset (default 17). */
  opset?: number;
  /** LayerNormalization op (opset >= 17 only) or its ReduceMean/Sub/Sqrt/Div decomposition. */
  layerNorm?: 'op' | 'decomposed';
  /** Where float parameters live (default initializers). */
  weightStorage?: 'initializer' | 'constant-node';
  /** Stored element type of float parameters; non-float32 ones are Cast to float before use. */
  weightDtype?: 'float32' | 'float16' | 'bfloat16';
  /** The K projection reuses the Q projection's weight: one tensor feeding two MatMuls per layer. */
  sharedWeight?: boolean;
}

/** Resolved options (every field set). */
type Resolved = Required<TransformerOptions>;

function resolve(options: TransformerOptions, defaults: Partial<TransformerOptions> = {}): Resolved {
  const merged = { ...defaults, ...options };
  const hidden = merged.hidden ?? 64;
  const heads = merged.heads ?? 4;
  if (hidden % heads !== 0) throw new Error(`hidden (${hidden}) must be a multiple of heads (${heads}).`);
  const opset = merged.opset ?? 17;
  const layerNorm = merged.layerNorm ?? (opset >= 17 ? 'op' : 'decomposed');
  if (layerNorm === 'op' && opset < 17) throw new Error('LayerNormalization needs opset 17.');
  return {
    hidden,
    heads,
    ffn: merged.ffn ?? 4 * hidden,
    layers: merged.layers ?? 1,
    classes: merged.classes ?? 16,
    batch: merged.batch ?? 'batch',
    seq: merged.seq ?? 'seq',
    seed: merged.seed ?? 101,
    opset,
    layerNorm,
    weightStorage: merged.weightStorage ?? 'initializer',
    weightDtype: merged.weightDtype ?? 'float32',
    sharedWeight: merged.sharedWeight ?? false,
  };
}

/** Collects nodes and initializers while a model is built. */
class Builder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  #seed: number;

  constructor(readonly o: Resolved) {
    this.#seed = o.seed;
  }

  node(
    opType: string,
    inputs: string[],
    output: string,
    name: string,
    attributes?: Record<string, AttributeValue>,
  ): string {
    this.nodes.push(makeNode(opType, inputs, [output], { name, ...(attributes ? { attributes } : {}) }));
    return output;
  }

  /** A float32 scalar constant (always a float32 initializer: not a weight). */
  scalar(name: string, value: number): string {
    this.initializers.push(makeFloatTensor(name, [], [value]));
    return name;
  }

  ints(name: string, values: number[]): string {
    this.initializers.push(makeInt64Tensor(name, [values.length], values));
    return name;
  }

  /**
   * A float parameter stored as the options say; returns the name of the float32 value to use.
   * Uniform values in [-scale, scale), or `fill` + small noise when `fill` is given (LayerNorm gain).
   */
  param(name: string, dims: number[], scale: number, fill?: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const values = randomFloats(count, this.#seed++, scale);
    if (fill !== undefined) for (let i = 0; i < count; i++) values[i] = fill + (values[i] as number);
    const { weightDtype, weightStorage } = this.o;
    const stored = weightDtype === 'float32' ? name : `${name}_${weightDtype}`;
    const tensor =
      weightDtype === 'float32'
        ? makeFloatTensor(stored, dims, values)
        : weightDtype === 'float16'
          ? encodeTensor(stored, TensorProto_DataType.FLOAT16, dims, float32ArrayToFloat16(values))
          : encodeTensor(stored, TensorProto_DataType.BFLOAT16, dims, float32ArrayToBfloat16(values));
    if (weightStorage === 'initializer') {
      this.initializers.push(tensor);
    } else {
      this.nodes.push(
        makeNode('Constant', [], [stored], { name: `${stored}_const`, attributes: { value: { tensor } } }),
      );
    }
    if (weightDtype !== 'float32') this.node('Cast', [stored], name, `${name}_cast`, { to: { int: FLOAT } });
    return name;
  }

  /** x @ W (+ b): a MatMul named `name` and, with a bias, an Add named `name_bias`. */
  linear(x: string, name: string, inSize: number, outSize: number, bias = true, weight?: string): string {
    const w = weight ?? this.param(`${name}.weight`, [inSize, outSize], 1 / Math.sqrt(inSize));
    const y = this.node('MatMul', [x, w], `${name}.matmul`, name);
    if (!bias) return y;
    const b = this.param(`${name}.bias`, [outSize], 0.05);
    return this.node('Add', [y, b], `${name}.out`, `${name}_bias`);
  }

  layerNorm(x: string, name: string): string {
    const { hidden, layerNorm, opset } = this.o;
    const gamma = this.param(`${name}.weight`, [hidden], 0.1, 1);
    const beta = this.param(`${name}.bias`, [hidden], 0.05);
    if (layerNorm === 'op') {
      return this.node('LayerNormalization', [x, gamma, beta], `${name}.out`, name, {
        axis: { int: -1 },
        epsilon: { float: 1e-5 },
      });
    }
    const reduce = (input: string, out: string, node: string): string =>
      opset >= 18
        ? this.node('ReduceMean', [input, this.ints(`${node}.axes`, [-1])], out, node, {
            keepdims: { int: 1 },
          })
        : this.node('ReduceMean', [input], out, node, { axes: { ints: [-1] }, keepdims: { int: 1 } });
    const mean = reduce(x, `${name}.mean`, `${name}_mean`);
    const centered = this.node('Sub', [x, mean], `${name}.centered`, `${name}_sub`);
    const squared = this.node('Mul', [centered, centered], `${name}.squared`, `${name}_square`);
    const variance = reduce(squared, `${name}.var`, `${name}_var`);
    const eps = this.node(
      'Add',
      [variance, this.scalar(`${name}.eps`, 1e-5)],
      `${name}.var_eps`,
      `${name}_eps`,
    );
    const std = this.node('Sqrt', [eps], `${name}.std`, `${name}_sqrt`);
    const normed = this.node('Div', [centered, std], `${name}.normed`, `${name}_div`);
    const scaled = this.node('Mul', [normed, gamma], `${name}.scaled`, `${name}_gamma`);
    return this.node('Add', [scaled, beta], `${name}.out`, `${name}_beta`);
  }

  /** GELU, erf form: x * 0.5 * (1 + erf(x / sqrt(2))). */
  gelu(x: string, name: string): string {
    const div = this.node('Div', [x, this.scalar(`${name}.sqrt2`, Math.SQRT2)], `${name}.div`, `${name}_div`);
    const erf = this.node('Erf', [div], `${name}.erf`, `${name}_erf`);
    const plus = this.node('Add', [erf, this.scalar(`${name}.one`, 1)], `${name}.plus1`, `${name}_add`);
    const mul = this.node('Mul', [x, plus], `${name}.mul`, `${name}_mul`);
    return this.node('Mul', [mul, this.scalar(`${name}.half`, 0.5)], `${name}.out`, `${name}_half`);
  }

  encoderLayer(x: string, l: number): string {
    const { hidden, heads, ffn, sharedWeight } = this.o;
    const p = `layer${l}`;
    const headDim = hidden / heads;
    const q = this.linear(x, `${p}.q_proj`, hidden, hidden);
    const k = this.linear(
      x,
      `${p}.k_proj`,
      hidden,
      hidden,
      true,
      sharedWeight ? `${p}.q_proj.weight` : undefined,
    );
    const v = this.linear(x, `${p}.v_proj`, hidden, hidden);
    const split = this.ints(`${p}.split_shape`, [0, 0, heads, headDim]);
    const heads4 = (t: string, n: string): string =>
      this.node('Reshape', [t, split], `${p}.${n}_heads`, `${p}_${n}_reshape`);
    const qh = this.node('Transpose', [heads4(q, 'q')], `${p}.q_t`, `${p}_q_transpose`, {
      perm: { ints: [0, 2, 1, 3] },
    });
    const kh = this.node('Transpose', [heads4(k, 'k')], `${p}.k_t`, `${p}_k_transpose`, {
      perm: { ints: [0, 2, 3, 1] },
    });
    const vh = this.node('Transpose', [heads4(v, 'v')], `${p}.v_t`, `${p}_v_transpose`, {
      perm: { ints: [0, 2, 1, 3] },
    });
    const scores = this.node('MatMul', [qh, kh], `${p}.scores`, `${p}_qk`);
    const scaled = this.node(
      'Mul',
      [scores, this.scalar(`${p}.scale`, 1 / Math.sqrt(headDim))],
      `${p}.scaled`,
      `${p}_scale`,
    );
    const probs = this.node('Softmax', [scaled], `${p}.probs`, `${p}_softmax`, { axis: { int: -1 } });
    const ctx = this.node('MatMul', [probs, vh], `${p}.ctx`, `${p}_attn_v`);
    const ctxT = this.node('Transpose', [ctx], `${p}.ctx_t`, `${p}_ctx_transpose`, {
      perm: { ints: [0, 2, 1, 3] },
    });
    const merged = this.node(
      'Reshape',
      [ctxT, this.ints(`${p}.merge_shape`, [0, 0, hidden])],
      `${p}.ctx_merged`,
      `${p}_ctx_reshape`,
    );
    const attnOut = this.linear(merged, `${p}.o_proj`, hidden, hidden);
    const res1 = this.node('Add', [attnOut, x], `${p}.res1`, `${p}_residual1`);
    const ln1 = this.layerNorm(res1, `${p}.ln1`);
    const up = this.linear(ln1, `${p}.fc1`, hidden, ffn);
    const act = this.gelu(up, `${p}.gelu`);
    const down = this.linear(act, `${p}.fc2`, ffn, hidden);
    const res2 = this.node('Add', [down, ln1], `${p}.res2`, `${p}_residual2`);
    return this.layerNorm(res2, `${p}.ln2`);
  }
}

function buildEncoder(o: Resolved, graphName: string): ModelProto {
  const b = new Builder(o);
  let x = 'input';
  for (let l = 0; l < o.layers; l++) x = b.encoderLayer(x, l);
  const logitsPre = b.linear(x, 'head', o.hidden, o.classes);
  b.node('Identity', [logitsPre], 'logits', 'head_out');
  const graph = create(GraphProtoSchema, {
    name: graphName,
    node: b.nodes,
    initializer: b.initializers,
    input: [makeValueInfo('input', FLOAT, [o.batch, o.seq, o.hidden])],
    output: [makeValueInfo('logits', FLOAT, [o.batch, o.seq, o.classes])],
  });
  return makeModel(graph, o.opset);
}

/**
 * One attention block (encoder layer) with a classifier head: hidden 64, 4 heads, MLP 256, 16 classes.
 * MatMul node names: `layer0.q_proj`, `layer0.k_proj`, `layer0.v_proj`, `layer0.o_proj`, `layer0.fc1`,
 * `layer0.fc2`, `head` (weights `<node>.weight` [in, out], biases `<node>.bias`), and the activation x
 * activation MatMuls `layer0_qk` and `layer0_attn_v`.
 */
export function buildAttentionBlock(options: TransformerOptions = {}): ModelProto {
  return buildEncoder(resolve(options), 'attention_block');
}

/** The attention block whose K projection reuses the Q projection's weight (`layer0.q_proj.weight`). */
export function buildSharedWeightAttention(options: TransformerOptions = {}): ModelProto {
  return buildEncoder(resolve({ ...options, sharedWeight: true }), 'shared_weight_attention');
}

/**
 * A MatMul-heavy encoder for benchmarks: 4 layers, hidden 384, 6 heads, MLP 1536, 384 outputs (about
 * 7.2 M MatMul weights, 29 MB in float32). Feed e.g. [1, 128, 384].
 */
export function buildTransformerEncoder(options: TransformerOptions = {}): ModelProto {
  return buildEncoder(
    resolve(options, { hidden: 384, heads: 6, ffn: 1536, layers: 4, classes: 384, seed: 202 }),
    'transformer_encoder',
  );
}

/** Names of the weight-bearing MatMul nodes of an encoder built with `layers` layers (in graph order). */
export function projectionNodeNames(layers = 1): string[] {
  const names: string[] = [];
  for (let l = 0; l < layers; l++) {
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'fc1', 'fc2']) names.push(`layer${l}.${n}`);
  }
  names.push('head');
  return names;
}
