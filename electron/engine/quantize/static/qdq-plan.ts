import { type GraphProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { floatAttribute, intAttribute } from '../../onnx/attributes.js';
import {
  GraphIndex,
  findConstant,
  normalizeDomain,
  subgraphsOf,
  topologicalOrder,
} from '../../onnx/graph.js';
import { type ResolvedConstant, resolveFloatConstant } from '../../onnx/resolve-constant.js';
import { isMatMulAddFusion, originalNodeName, ortTensorSource } from '../../../../shared/ort-node-names.js';
import { EXCLUDED_SKIP, QUANTIZE_INPUT_CONV_FLAG, type SkippedNode } from '../quantize-method.js';

/*
 * Which tensors of a float graph get QuantizeLinear/DequantizeLinear, so that onnxruntime's CPU provider
 * can fuse every group into an integer kernel (see docs/quantize-static.md). Node roles:
 *
 *   compute  Conv -> QLinearConv, MatMul -> QLinearMatMul / MatMulIntegerToFloat, Gemm -> QGemm,
 *            Add/Mul -> QLinearAdd/QLinearMul, Concat -> QLinearConcat: every activation input is
 *            quantized; the output is quantized for Conv/Add/Mul/Concat (their fused kernels produce 8-bit
 *            output), and for MatMul/Gemm only when a consumer wants it quantized (otherwise the fused
 *            kernel outputs float directly, which is both faster and more accurate). Add/Mul/Concat are
 *            quantized only when all their activation inputs already are (a residual Add between convs),
 *            unless --op-types names them.
 *   unary    AveragePool / GlobalAveragePool / LeakyRelu / Sigmoid -> QLinear* kernels with their own
 *            output parameters, quantized only when their input already is.
 *   share    MaxPool / Reshape / Transpose / Flatten / Squeeze / Unsqueeze / Expand / Resize / Slice: the output
 *            shares the input's parameters, so onnxruntime drops the DQ -> op -> Q pair and runs the op
 *            on 8-bit data; quantized only when their input already is.
 *   fold     A Relu (or a Clip whose lower bound is <= 0) right after a quantized producer is removed:
 *            the producer's output quantizer, calibrated on the Relu's output, has its zero point at the
 *            bottom of the integer range and so clamps exactly like the Relu did. A MatMul/Gemm followed
 *            by a foldable Relu always gets an output quantizer: onnxruntime takes a group whose output
 *            passes through a Relu only when a Q follows (else it fuses Gemm+Relu in float, dequantizing
 *            the weights at every run).
 *   rescale  A Mul or Div by a positive scalar constant whose input is quantized is removed: its output is
 *            the input's 8-bit data with the scale multiplied (divided) by the constant, which is exact, so
 *            no kernel runs at all (the Div / Mul by 1/6 of hard-swish and hard-sigmoid).
 */

/** Why int8-static leaves a node in float inside an If, Loop or Scan body (quantize-model.ts words a run of only these). */
export const IN_SUBGRAPH = 'it is inside a subgraph (If/Loop/Scan body), which int8-static leaves in float';

export type Role = 'conv' | 'matmul' | 'gemm' | 'binary' | 'concat' | 'unary' | 'share' | 'rescale';

export const COMPUTE_OPS: Record<string, Role> = {
  Conv: 'conv',
  MatMul: 'matmul',
  Gemm: 'gemm',
  Add: 'binary',
  Mul: 'binary',
  Concat: 'concat',
};
export const UNARY_OPS = new Set(['AveragePool', 'GlobalAveragePool', 'LeakyRelu', 'Sigmoid']);
export const SHARE_OPS = new Set([
  'MaxPool',
  'Reshape',
  'Transpose',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Expand',
  'Resize',
  'Slice',
]);
export const FOLD_OPS = new Set(['Relu', 'Clip']);
/** Mul / Div by a positive scalar: a change of scale (Mul is listed with the compute ops). */
export const RESCALE_OPS = new Set(['Mul', 'Div']);
/** Rewritten before planning into ops that run in 8 bits (static/decompose-hard-activations.ts). */
export const DECOMPOSED_OPS = new Set(['HardSigmoid', 'HardSwish']);
/** Every op type the method knows (the default for --op-types). */
export const DEFAULT_OP_TYPES = [
  ...new Set([
    ...Object.keys(COMPUTE_OPS),
    ...UNARY_OPS,
    ...SHARE_OPS,
    ...FOLD_OPS,
    ...RESCALE_OPS,
    ...DECOMPOSED_OPS,
  ]),
];

/**
 * Whether --op-types selects a node of the pre-optimized graph, by the op type it has in the user's model: a Gemm
 * onnxruntime made of a MatMul + Add is that MatMul (`inspect` lists a MatMul, so `--op-types MatMul` means it and
 * `Gemm` alone does not). A Gemm the model had itself stays a Gemm, whatever its name.
 */
export function selectsOpType(
  options: Pick<PlanOptions, 'opTypes' | 'modelGemms'>,
  node: NodeProto,
): boolean {
  const fromMatMul = node.opType === 'Gemm' && isMatMulAddFusion(node.name) && !options.modelGemms?.has(node.name);
  return options.opTypes.has(fromMatMul ? 'MatMul' : node.opType);
}

export interface PlannedNode {
  node: NodeProto;
  role: Role;
  /** Input slots holding activations to quantize (dedicated DQ each). */
  activationSlots: number[];
  /** Input slots holding constants quantized with the activation type, per tensor (Add/Mul/Concat). */
  constantSlots: { slot: number; constant: ResolvedConstant }[];
  /** The weight (Conv W, MatMul/Gemm B) and its per-channel axis (undefined: per-tensor). */
  weight?: { slot: number; constant: ResolvedConstant; axis: number | undefined; multiplier: number };
  /** The bias (Conv B, Gemm C), quantized to int32. */
  bias?: { slot: number; constant: ResolvedConstant; multiplier: number };
  /** Whether the (effective) output gets a quantizer. */
  outputQuantized: boolean;
  /** The Relu/Clip folded into this node's output quantizer. */
  fold?: NodeProto;
}

/** A removed Mul/Div by a positive scalar: `output` is `input`'s 8-bit data at scale x `factor`. */
export interface Rescale {
  node: NodeProto;
  input: string;
  output: string;
  factor: number;
}

export interface QdqPlan {
  nodes: PlannedNode[];
  /** Tensors to quantize (after folds: a folded node's output is the Relu's output name). */
  tensors: Set<string>;
  /** Tensor -> the tensor whose calibrated range gives its parameters (share ops chain to their input). */
  root: Map<string, string>;
  /** Tensor -> its scale relative to its root's (rescaled tensors; absent: 1). */
  scaleFactor: Map<string, number>;
  /** Removed Mul/Div nodes, in graph order (their outputs are in `tensors`, with no QuantizeLinear). */
  rescales: Rescale[];
  skipped: SkippedNode[];
}

export interface PlanOptions {
  opTypes: ReadonlySet<string>;
  /** The names of the Gemm nodes the model had before pre-optimization (selectsOpType); absent: none known. */
  modelGemms?: ReadonlySet<string>;
  excludeNodes: ReadonlySet<string>;
  perTensor: boolean;
  /** Whether MaxPool may run on 8-bit tensors (opset >= 12). */
  maxPool8Bit: boolean;
  /** Whether QLinearConv / QLinearMatMul exist at the model's opset (10+); if not, Conv and MatMul stay float. */
  qlinearOps: boolean;
  /** Element types of the graph's values. */
  types: ReadonlyMap<string, number>;
  /**
   * Quantize every selected Add/Mul/Concat (when the user named the op types), not only those whose
   * activation inputs are quantized anyway.
   */
  quantizeAllSelected?: boolean;
  /** Keep a Conv over the model's raw input with <= 4 channels float (see RAW_INPUT_MAX_CHANNELS). */
  floatInputConv?: boolean;
  /** Tensors that must not be quantized (e.g. calibration produced no statistics for them). */
  banned?: ReadonlySet<string>;
}

/**
 * A float constant feeding `name` (directly, or through a Cast to float32) that float32 compute can
 * read, in this graph only (QDQ nodes are emitted next to their consumer).
 */
export function resolveConstant(index: GraphIndex, name: string): ResolvedConstant | undefined {
  const found = resolveFloatConstant(index, name, false, { searchOuterScopes: false });
  return found.ok && found.constant.computeType === DT.FLOAT ? found.constant : undefined;
}

/**
 * A node that reads only its input's dimensions (Shape): it can read an 8-bit tensor as well as the float one,
 * and a tensor it reads may be rescaled or share another's scale without changing what it computes.
 */
export function readsDimsOnly(node: NodeProto): boolean {
  return node.opType === 'Shape' && normalizeDomain(node.domain) === '';
}

/**
 * A float32 initializer (or Constant) feeding `name` directly, no Cast: what the graph rewrites before planning
 * (fold, upsampling, equalization) read and replace with a new initializer of the same type.
 */
export function resolveStoredFloat32(
  index: GraphIndex,
  name: string | undefined,
): ResolvedConstant | undefined {
  const c = name ? resolveConstant(index, name) : undefined;
  return c && !c.cast && c.storedType === DT.FLOAT ? c : undefined;
}

interface Candidate {
  node: NodeProto;
  role: Role;
  activationSlots: number[];
  constantSlots: { slot: number; constant: ResolvedConstant }[];
  weight?: PlannedNode['weight'];
  bias?: PlannedNode['bias'];
}

/**
 * A first convolution over few channels (an image's 3) stays float: its int8 kernel has a tiny reduction
 * (3 x 3 x 3 = 27) that onnxruntime runs slower than the float one, and quantizing the full-resolution
 * input costs a QuantizeLinear and a channels-last Transpose on top (bench:islands: the detector's stem took
 * 4.2 ms in int8 against 2.2 ms float + 1.4 ms NCHWc reorder, and the whole int8 model ran 0.69x of float32
 * with it quantized, 0.60x without). It is also the layer most sensitive to 8-bit input.
 */
const RAW_INPUT_MAX_CHANNELS = 4;
/** Ops with learned weights: what comes out of them is a feature map, not the model's input. */
const WEIGHTED_OPS = new Set([
  'Conv',
  'ConvTranspose',
  'MatMul',
  'Gemm',
  'ConvInteger',
  'MatMulInteger',
  'LSTM',
  'GRU',
  'RNN',
  'Einsum',
]);

/**
 * Whether `name` is the model's input, or computed from it by preprocessing only (Sub/Div normalization,
 * Cast, Transpose, Resize...): followed back through every non-constant input, no op with weights (and no
 * op of another domain, whose meaning is not known here). `seen` memoizes the walk.
 */
function readsRawInput(
  index: GraphIndex,
  name: string,
  seen = new Map<string, boolean>(),
  depth = 0,
): boolean {
  if (index.isGraphInput(name)) return true;
  const known = seen.get(name);
  if (known !== undefined) return known;
  const producer = index.producer(name)?.node;
  let raw = false;
  if (
    producer &&
    depth <= 16 &&
    normalizeDomain(producer.domain) === '' &&
    !WEIGHTED_OPS.has(producer.opType)
  ) {
    const variable = producer.input.filter((i) => i && !findConstant(index, i, { searchOuterScopes: false }));
    raw = variable.length > 0 && variable.every((i) => readsRawInput(index, i, seen, depth + 1));
  }
  seen.set(name, raw);
  return raw;
}

const INTEGER_TYPES = new Set<number>([
  DT.INT8,
  DT.UINT8,
  DT.INT16,
  DT.UINT16,
  DT.INT32,
  DT.UINT32,
  DT.INT64,
  DT.UINT64,
  DT.BOOL,
]);

/** Whether every input of `node` has a known integer (or bool) element type. */
function computesOnIntegers(node: NodeProto, types: ReadonlyMap<string, number>): boolean {
  const inputs = node.input.filter((i) => i);
  return inputs.length > 0 && inputs.every((i) => INTEGER_TYPES.has(types.get(i) ?? DT.UNDEFINED));
}

/** Whether `node` is a Conv over the model's raw input with few channels (kept float by default). */
export function inputConvStaysFloat(node: NodeProto, index: GraphIndex): boolean {
  if (node.opType !== 'Conv' || normalizeDomain(node.domain) !== '') return false;
  const channels = inputChannels(node, index);
  return (
    channels !== undefined && channels <= RAW_INPUT_MAX_CHANNELS && readsRawInput(index, node.input[0] ?? '')
  );
}

/**
 * How the report names a node left float: its name in the model; an unnamed node by its output, under the model's
 * name of it, not the one onnxruntime's pre-optimization gave it (an fp16 model's Conv read
 * `InsertedPrecisionFreeCast_b1` where the model says `b1`).
 */
function skippedNodeName(node: NodeProto): string {
  const output = node.output[0] ?? '';
  return originalNodeName(node.name) || (ortTensorSource(output, () => true)?.name ?? output);
}

/**
 * Why the input-conv rule keeps `node` float, as the quantize report says it (and `onnx-studio explain`, which
 * finds the same node in a variant); undefined when the rule does not hold.
 */
export function inputConvReason(node: NodeProto, index: GraphIndex): SkippedNode | undefined {
  if (!inputConvStaysFloat(node, index)) return undefined;
  const channels = inputChannels(node, index)!;
  return {
    name: skippedNodeName(node),
    opType: node.opType,
    reason:
      `it reads the model's float input with ${channels} channel${channels === 1 ? '' : 's'}; onnxruntime's ` +
      'int8 convolution is slower than float there, and the input would need a full-size QuantizeLinear ' +
      `(${QUANTIZE_INPUT_CONV_FLAG} quantizes it anyway)`,
    option: QUANTIZE_INPUT_CONV_FLAG,
  };
}

/** A Conv's input channels (weight [C_out, C_in / group, ...] x group), when its weight is a constant. */
function inputChannels(node: NodeProto, index: GraphIndex): number | undefined {
  const w = resolveConstant(index, node.input[1] ?? '');
  return w && w.dims.length >= 3 ? (w.dims[1] ?? 0) * intAttribute(node, 'group', 1) : undefined;
}

/** Checks a compute node; returns the candidate, or why it stays float. */
function examineCompute(
  node: NodeProto,
  role: Role,
  index: GraphIndex,
  options: PlanOptions,
): Candidate | string | SkippedNode {
  const isFloat = (name: string): boolean => options.types.get(name) === DT.FLOAT;
  const inputs = node.input;
  const activationSlots: number[] = [];
  const constantSlots: Candidate['constantSlots'] = [];
  switch (role) {
    case 'conv': {
      const w = resolveConstant(index, inputs[1] ?? '');
      if (!w) return 'the weight is not a float32 constant';
      if (w.dims.length < 3) return `the weight has rank ${w.dims.length}`;
      if (findConstant(index, inputs[0] ?? '', { searchOuterScopes: false }))
        return 'the input is a constant';
      const inputConv = options.floatInputConv ? inputConvReason(node, index) : undefined;
      if (inputConv) return inputConv;
      const out = w.dims[0] ?? 0;
      let bias: PlannedNode['bias'];
      if (inputs[2]) {
        const b = resolveConstant(index, inputs[2]);
        if (!b) return 'the bias is not a float32 constant';
        if (b.values.length !== out)
          return `the bias has ${b.values.length} values for ${out} output channels`;
        bias = { slot: 2, constant: b, multiplier: 1 };
      }
      activationSlots.push(0);
      return {
        node,
        role,
        activationSlots,
        constantSlots,
        weight: { slot: 1, constant: w, axis: options.perTensor ? undefined : 0, multiplier: 1 },
        ...(bias ? { bias } : {}),
      };
    }
    case 'matmul': {
      const a = inputs[0] ?? '';
      const b = inputs[1] ?? '';
      if (findConstant(index, a, { searchOuterScopes: false })) return 'the first input is a constant';
      const w = resolveConstant(index, b);
      if (w) {
        if (w.dims.length < 1) return 'the weight is a scalar';
        if (!isFloat(a) && options.types.has(a)) return 'the input is not float32';
        const axis = options.perTensor || w.dims.length !== 2 ? undefined : 1;
        return {
          node,
          role,
          activationSlots: [0],
          constantSlots,
          weight: { slot: 1, constant: w, axis, multiplier: 1 },
        };
      }
      if (!isFloat(a) || !isFloat(b)) return 'the inputs are not float32 (or of unknown type)';
      return { node, role, activationSlots: [0, 1], constantSlots };
    }
    case 'gemm': {
      const a = inputs[0] ?? '';
      if (findConstant(index, a, { searchOuterScopes: false })) return 'the first input is a constant';
      const w = resolveConstant(index, inputs[1] ?? '');
      if (!w) return 'the weight (B) is not a float32 constant';
      if (w.dims.length !== 2) return `the weight has rank ${w.dims.length}`;
      const transB = intAttribute(node, 'transB', 0) !== 0;
      const n = (transB ? w.dims[0] : w.dims[1]) ?? 0;
      const alpha = floatAttribute(node, 'alpha', 1);
      const beta = floatAttribute(node, 'beta', 1);
      let bias: PlannedNode['bias'];
      if (inputs[2]) {
        const c = resolveConstant(index, inputs[2]);
        if (!c) return 'the bias (C) is not a float32 constant';
        const shapeOk =
          c.values.length === n && (c.dims.length === 1 || (c.dims.length === 2 && c.dims[0] === 1));
        const scalar = c.values.length === 1;
        if (!shapeOk && !scalar) return `the bias (C) has shape [${c.dims.join(', ')}], not [N] or [1, N]`;
        bias = { slot: 2, constant: c, multiplier: beta };
      }
      const axis = options.perTensor ? undefined : transB ? 0 : 1;
      return {
        node,
        role,
        activationSlots: [0],
        constantSlots,
        weight: { slot: 1, constant: w, axis, multiplier: alpha },
        ...(bias ? { bias } : {}),
      };
    }
    case 'binary':
    case 'concat': {
      let anyFloat = false;
      let anyActivation = false;
      const present = inputs.map((name, slot) => ({ name, slot })).filter((x) => x.name !== '');
      if (role === 'binary' && present.length !== 2) return 'it does not have two inputs';
      for (const { name, slot } of present) {
        const c = resolveConstant(index, name);
        if (c) {
          anyFloat = true;
          constantSlots.push({ slot, constant: c });
          continue;
        }
        if (findConstant(index, name, { searchOuterScopes: false }))
          return `input '${name}' is a non-float32 constant`;
        const t = options.types.get(name);
        if (t !== undefined && t !== DT.FLOAT) return `input '${name}' is not float32`;
        if (t === DT.FLOAT) anyFloat = true;
        anyActivation = true;
        activationSlots.push(slot);
      }
      if (!anyActivation) return 'all its inputs are constants';
      if (!anyFloat) return 'the input types are unknown';
      return { node, role, activationSlots, constantSlots };
    }
    default:
      return 'unsupported';
  }
}

/**
 * Plans the QDQ rewrite of the main graph (subgraph nodes stay float and are reported). The graph is
 * not modified.
 */
export function planQdq(graph: GraphProto, options: PlanOptions): QdqPlan {
  const index = new GraphIndex(graph);
  const banned = options.banned ?? new Set<string>();
  const skipped: QdqPlan['skipped'] = [];
  const order = topologicalOrder(index);
  const isFloat = (name: string): boolean => options.types.get(name) === DT.FLOAT;
  const skip = (node: NodeProto, reason: string, option?: string): void => {
    skipped.push({
      name: skippedNodeName(node),
      opType: node.opType,
      reason,
      ...(option ? { option } : {}),
    });
  };
  const excluded = (node: NodeProto): boolean =>
    options.excludeNodes.has(node.name) || options.excludeNodes.has(originalNodeName(node.name));
  const selected = (node: NodeProto): boolean =>
    normalizeDomain(node.domain) === '' && selectsOpType(options, node);

  // Compute candidates.
  const candidates = new Map<NodeProto, Candidate>();
  for (const node of order) {
    if (!selected(node)) continue;
    const role = COMPUTE_OPS[node.opType];
    if (!role) continue;
    if (excluded(node)) {
      skip(node, EXCLUDED_SKIP.reason, EXCLUDED_SKIP.option);
      continue;
    }
    if (!options.qlinearOps && (role === 'conv' || role === 'matmul')) {
      skip(
        node,
        "onnxruntime would fuse it into QLinearConv/QLinearMatMul, which need opset 10, and the model's opset could not be raised",
      );
      continue;
    }
    const result = examineCompute(node, role, index, options);
    if (typeof result === 'string') {
      // Integer arithmetic (shape computations: Shape -> Mul -> Reshape) was never a candidate: not reported.
      if (!computesOnIntegers(node, options.types)) skip(node, result);
      continue;
    }
    if (!('role' in result)) {
      skipped.push(result);
      continue;
    }
    candidates.set(node, result);
  }
  for (const node of graph.node) {
    for (const sub of subgraphsOf(node)) reportSubgraph(sub, options, skip);
  }

  // Drop candidates touching banned tensors, until stable (folds can make a banned Relu output a node's output).
  const foldOf = new Map<NodeProto, NodeProto>();
  const effectiveOutput = (node: NodeProto): string => {
    const fold = foldOf.get(node);
    return fold ? (fold.output[0] ?? '') : (node.output[0] ?? '');
  };
  const foldTarget = (node: NodeProto): NodeProto | undefined => {
    const out = node.output[0] ?? '';
    if (node.output.length !== 1 || out === '' || index.isGraphOutput(out)) return undefined;
    if (index.implicitConsumersOf(out).length > 0) return undefined;
    const consumers = index.consumersOf(out);
    if (consumers.length !== 1) return undefined;
    const next = consumers[0]!.node;
    if (normalizeDomain(next.domain) !== '' || !FOLD_OPS.has(next.opType) || consumers[0]!.inputIndex !== 0)
      return undefined;
    if (excluded(next) || next.output.length !== 1 || !next.output[0]) return undefined;
    if (next.opType === 'Clip') {
      // Lower bound from the attribute (opset < 11) or input 1; folding is exact only when it is <= 0.
      let lower = floatAttribute(next, 'min', -Infinity);
      if (next.input[1]) {
        const c = resolveConstant(index, next.input[1]);
        if (!c || c.values.length !== 1) return undefined;
        lower = c.values[0] as number;
      }
      if (next.input[2] && !resolveConstant(index, next.input[2])) return undefined;
      if (lower > 0) return undefined;
    }
    return next;
  };

  const feedsLoneReluOrClip = (node: NodeProto): boolean => {
    const out = node.output[0] ?? '';
    const consumers = index.consumersOf(out);
    return consumers.length === 1 && FOLD_OPS.has(consumers[0]!.node.opType) && !index.isGraphOutput(out);
  };
  // Mul / Div by a positive scalar constant: the activation input and the factor its scale is multiplied by.
  const rescaleOf = (node: NodeProto): { input: string; factor: number } | undefined => {
    if (!selected(node) || !RESCALE_OPS.has(node.opType) || excluded(node)) return undefined;
    if (node.input.length !== 2 || node.output.length !== 1 || !node.output[0]) return undefined;
    const slots = node.opType === 'Div' ? [1] : [1, 0];
    for (const slot of slots) {
      const c = resolveConstant(index, node.input[slot] ?? '');
      const v = c?.values.length === 1 ? (c.values[0] as number) : NaN;
      if (!(v > 0) || !Number.isFinite(v)) continue;
      const factor = node.opType === 'Div' ? 1 / v : v;
      if (!(factor > 0) || !Number.isFinite(factor)) continue;
      const input = node.input[1 - slot] ?? '';
      if (!input || findConstant(index, input, { searchOuterScopes: false })) return undefined;
      if (!isFloat(input) && options.types.has(input)) return undefined;
      return { input, factor };
    }
    return undefined;
  };
  const tensors = new Set<string>();
  const root = new Map<string, string>();
  const scaleFactor = new Map<string, number>();
  const rescales: Rescale[] = [];
  const active = new Map<NodeProto, PlannedNode>();
  for (;;) {
    tensors.clear();
    root.clear();
    scaleFactor.clear();
    rescales.length = 0;
    active.clear();
    foldOf.clear();
    // Conv/MatMul/Gemm always run quantized; Add/Mul/Concat only when all their activation inputs are
    // quantized anyway (or when --op-types names them): quantizing a residual Add between two quantized
    // convs saves two DQs, but quantizing a bias Add after a float-output MatMul or the Adds and Muls of a
    // GELU or a LayerNorm would only add Q/DQ pairs and error.
    const elementwise = (c: Candidate): boolean => c.role === 'binary' || c.role === 'concat';
    // A bias Add right after a MatMul is quantized too: left float, onnxruntime's MatMul+Add -> Gemm
    // fusion (which pre-optimization normally does first) would pull the MatMul out of its QDQ group.
    const isBiasAdd = (c: Candidate): boolean => {
      if (c.node.opType !== 'Add' || c.constantSlots.length !== 1 || c.activationSlots.length !== 1)
        return false;
      const input = c.node.input[c.activationSlots[0]!]!;
      const producer = index.producer(input)?.node;
      return (
        !!producer && candidates.get(producer)?.role === 'matmul' && index.consumersOf(input).length === 1
      );
    };
    const always = [...candidates.values()].filter(
      (c) => !elementwise(c) || options.quantizeAllSelected || isBiasAdd(c),
    );
    const enabled = new Set<Candidate>(always);
    // 1. Activation inputs of the candidates that always run quantized.
    for (const c of always) for (const slot of c.activationSlots) tensors.add(c.node.input[slot]!);
    // 2. Their folds and outputs.
    for (const c of always) {
      const fold = foldTarget(c.node);
      // MatMul/Gemm followed by a Relu/Clip get an output quantizer too: onnxruntime only takes a group
      // whose output goes through a Relu when a Q follows it (otherwise it fuses Gemm+Relu in float and
      // the weights are dequantized at every run).
      const wantsOutput =
        c.role === 'conv' || elementwise(c) || fold !== undefined || feedsLoneReluOrClip(c.node);
      if (fold) foldOf.set(c.node, fold);
      if (wantsOutput) tensors.add(effectiveOutput(c.node));
    }
    // 3. In graph order: Add/Mul/Concat whose activation inputs are quantized, and unary and share ops
    //    whose input is.
    for (const t of tensors) root.set(t, t);
    const passThrough = new Map<NodeProto, PlannedNode>();
    for (const node of order) {
      const c = candidates.get(node);
      const rescale = c && enabled.has(c) ? undefined : rescaleOf(node);
      if (rescale && tensors.has(rescale.input) && !banned.has(root.get(rescale.input) ?? rescale.input)) {
        const out = node.output[0]!;
        tensors.add(out);
        root.set(out, root.get(rescale.input) ?? rescale.input);
        scaleFactor.set(out, (scaleFactor.get(rescale.input) ?? 1) * rescale.factor);
        rescales.push({ node, input: rescale.input, output: out, factor: rescale.factor });
        continue;
      }
      if (c && elementwise(c) && !enabled.has(c)) {
        if (!c.activationSlots.every((slot) => tensors.has(node.input[slot]!))) continue;
        const fold = foldTarget(node);
        if (fold) foldOf.set(node, fold);
        const out = effectiveOutput(node);
        tensors.add(out);
        root.set(out, out);
        enabled.add(c);
        continue;
      }
      if (!selected(node) || excluded(node)) continue;
      const isUnary = UNARY_OPS.has(node.opType);
      const isShare = SHARE_OPS.has(node.opType);
      if (!isUnary && !isShare) continue;
      const input = node.input[0] ?? '';
      if (!tensors.has(input) || (!isFloat(input) && options.types.has(input))) continue;
      if (banned.has(root.get(input) ?? input)) continue;
      if (
        node.opType === 'MaxPool' &&
        (!options.maxPool8Bit || node.output.filter((o) => o !== '').length > 1)
      )
        continue;
      if (node.output.length < 1 || !node.output[0]) continue;
      if (isUnary) {
        const fold = foldTarget(node);
        if (fold) foldOf.set(node, fold);
      }
      const out = effectiveOutput(node);
      if (banned.has(out) && isUnary) continue;
      tensors.add(out);
      root.set(out, isShare ? (root.get(input) ?? input) : out);
      if (isShare && scaleFactor.has(input)) scaleFactor.set(out, scaleFactor.get(input)!);
      passThrough.set(node, {
        node,
        role: isUnary ? 'unary' : 'share',
        activationSlots: [0],
        constantSlots: [],
        outputQuantized: true,
        ...(foldOf.get(node) ? { fold: foldOf.get(node)! } : {}),
      });
    }
    // 4. Roots that lack statistics: drop the candidates that need them and plan again.
    const needsBanned = [...enabled].filter((c) => {
      const ins = c.activationSlots.some((s) => banned.has(root.get(c.node.input[s]!) ?? c.node.input[s]!));
      const out = tensors.has(effectiveOutput(c.node)) && banned.has(root.get(effectiveOutput(c.node)) ?? '');
      return ins || out;
    });
    if (needsBanned.length > 0) {
      for (const c of needsBanned) {
        candidates.delete(c.node);
        skip(c.node, 'calibration gave no statistics for one of its tensors');
      }
      continue;
    }
    for (const c of enabled) {
      const out = effectiveOutput(c.node);
      active.set(c.node, {
        node: c.node,
        role: c.role,
        activationSlots: c.activationSlots,
        constantSlots: c.constantSlots,
        ...(c.weight ? { weight: c.weight } : {}),
        ...(c.bias ? { bias: c.bias } : {}),
        outputQuantized: tensors.has(out),
        ...(foldOf.get(c.node) ? { fold: foldOf.get(c.node)! } : {}),
      });
    }
    for (const [node, p] of passThrough) active.set(node, p);
    break;
  }
  const nodes = order.filter((n) => active.has(n)).map((n) => active.get(n)!);
  shareConcatScales(index, nodes, root, scaleFactor, banned);
  return { nodes, tensors, root, scaleFactor, rescales, skipped };
}

/**
 * A quantized Concat whose every input is a chain only it reads (an op's output, maybe through share ops
 * such as the FPN's upsampling) gives those chains its own quantization parameters: QLinearConcat then
 * copies bytes instead of requantizing each input (0.6 ms of the detector's 11 ms int8 run). Nothing else
 * reads the chains, and a value beyond the Concat's range was clipped at its output anyway; what changes is
 * that a chain of small values is stored at the Concat's coarser step. */
function shareConcatScales(
  index: GraphIndex,
  nodes: readonly PlannedNode[],
  root: Map<string, string>,
  scaleFactor: ReadonlyMap<string, number>,
  banned: ReadonlySet<string>,
): void {
  const planned = new Map(nodes.map((p) => [p.node, p]));
  const membersOf = new Map<string, string[]>();
  for (const [t, r] of root) membersOf.set(r, [...(membersOf.get(r) ?? []), t]);
  for (const p of nodes) {
    if (p.role !== 'concat' || !p.outputQuantized) continue;
    const out = p.fold?.output[0] ?? p.node.output[0] ?? '';
    if (root.get(out) !== out || banned.has(out)) continue;
    const inputRoots = p.activationSlots.map((s) => root.get(p.node.input[s] ?? '') ?? '');
    if (new Set(inputRoots).size !== inputRoots.length) continue;
    const exclusive = inputRoots.every((r) => {
      const members = membersOf.get(r) ?? [];
      if (!r || members.some((m) => scaleFactor.has(m) || index.isGraphOutput(m))) return false;
      // Every reader of the chain is this Concat, a Shape, or part of the chain: a share op of the plan, or a
      // Concat already merged into it (nested Concats).
      const inChain = (node: NodeProto): boolean => {
        const role = planned.get(node)?.role;
        return role === 'share' || (role === 'concat' && root.get(node.output[0] ?? '') === r);
      };
      return members.every((m) =>
        index.consumersOf(m).every(({ node }) => node === p.node || readsDimsOnly(node) || inChain(node)),
      );
    });
    if (!exclusive) continue;
    for (const r of inputRoots) {
      const moved = membersOf.get(r) ?? [];
      for (const m of moved) root.set(m, out);
      // A Concat of this one (nested Concats) then moves these members too.
      membersOf.set(out, [...(membersOf.get(out) ?? []), ...moved]);
      membersOf.delete(r);
    }
  }
}

function reportSubgraph(
  graph: GraphProto,
  options: PlanOptions,
  skip: (node: NodeProto, reason: string) => void,
): void {
  for (const node of graph.node) {
    if (
      normalizeDomain(node.domain) === '' &&
      COMPUTE_OPS[node.opType] &&
      selectsOpType(options, node)
    ) {
      skip(node, IN_SUBGRAPH);
    }
    for (const sub of subgraphsOf(node)) reportSubgraph(sub, options, skip);
  }
}

/** The calibration roots of a plan (tensors whose ranges are needed). */
export function calibrationTensors(plan: QdqPlan): string[] {
  return [...new Set([...plan.tensors].map((t) => plan.root.get(t) ?? t))];
}
