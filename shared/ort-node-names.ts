/**
 * How onnxruntime names the nodes its graph rewrites make, so that a kernel in a profile, a node of an optimized
 * graph or a sensitivity row can be traced back to the model's node. One place for the rules the diff, the
 * Graph view's overlays and explain all follow (observed on onnxruntime 1.2x's CPU provider):
 * - a fusion names the fused node after the first node it replaced: `X/MatMulAddFusion` is X, and an activation
 *   fusion (GemmActivationFusion's FusedGemm, the older ConvActivationFusion's FusedConv) `fused X`;
 * - a QDQ group run as one int8 kernel (QLinearConv, QLinearAdd) is named after its node: `X_token_12` is X;
 * - the NCHWc layout pass names the node it makes after the tensor it writes: `<output>_nchwc`, and where it
 *   fused ops into the node (a Conv's BatchNormalization and Relu), that tensor is the last fused op's output
 *   (`fusedChain` follows it back);
 * - a node the model left unnamed, kept as it is, is profiled as `<op type>_<its index>`, counted among the
 *   graph's nodes without its Constant nodes, which onnxruntime turns into initializers first (`ReduceMean_9`);
 *   the kernels onnxruntime makes from unnamed nodes (`_token_3`, `QLinearMatMul_24`) name no node, and cannot
 *   be traced.
 * Plain functions of strings, no imports: the page loads this module too.
 */

/**
 * The node a fusion started from (`X` of `X/...Fusion`, or of `fused X`), or undefined for a name that is not a
 * fusion's.
 */
export function fusedFrom(name: string): string | undefined {
  const cut = name.lastIndexOf('/');
  if (cut > 0 && /Fusion$/.test(name.slice(cut + 1))) return name.slice(0, cut);
  return activationFusedInto(name);
}

const ACTIVATION_FUSION_PREFIX = 'fused ';

/**
 * The node an activation was fused into (`X` of `fused X`), or undefined. onnxruntime's GemmActivationFusion (and
 * the ConvActivationFusion of older versions) replace a node X and the one activation reading its output with one
 * node `Fused<op>` named `fused X` (graph.GenerateNodeName("fused " + X)).
 */
export function activationFusedInto(name: string): string | undefined {
  return name.length > ACTIVATION_FUSION_PREFIX.length && name.startsWith(ACTIVATION_FUSION_PREFIX)
    ? name.slice(ACTIVATION_FUSION_PREFIX.length)
    : undefined;
}

/**
 * The name a node had before onnxruntime's optimizations renamed it: `X` of a fusion `X/MatMulAddFusion`, also
 * when a QDQ kernel was then made of it (`X/MatMulAddFusion_token_3`); any other name as it is.
 */
export function originalNodeName(name: string): string {
  const kernelOf = qdqKernelFrom(name);
  return (kernelOf !== undefined ? fusedFrom(kernelOf) : undefined) ?? fusedFrom(name) ?? name;
}

/** The node a QDQ group's int8 kernel was made from (`X` of `X_token_N`), or undefined. */
export function qdqKernelFrom(name: string): string | undefined {
  const match = /^(.+)_token_\d+$/.exec(name);
  return match ? match[1] : undefined;
}

/**
 * The graph index of the unnamed node a profiled kernel of this op type ran (`9` of `ReduceMean_9`), or undefined.
 * Only a guess until the caller checks that node `index` is unnamed and of this op type.
 */
export function unnamedNodeIndex(name: string, opType: string): number | undefined {
  if (!name.startsWith(`${opType}_`)) return undefined;
  const digits = name.slice(opType.length + 1);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

const NCHWC_SUFFIX = '_nchwc';

/** The tensor an NCHWc node writes (`T` of `T_nchwc`), or undefined. */
export function nchwcOutputOf(name: string): string | undefined {
  return name.length > NCHWC_SUFFIX.length && name.endsWith(NCHWC_SUFFIX)
    ? name.slice(0, -NCHWC_SUFFIX.length)
    : undefined;
}

/**
 * Ops onnxruntime fuses into the node before them, into one kernel that writes the last one's output: a Conv's
 * BatchNormalization (folded into its weights), its activation, a residual Add (the NCHWc Conv's `Sum` input).
 */
const FUSED_INTO_PRODUCER: ReadonlySet<string> = new Set([
  'BatchNormalization',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'Tanh',
  'Add',
  'Sum',
  'Mul',
]);

/** The ops of FUSED_INTO_PRODUCER that may follow either of their inputs (a residual Add): the others their first. */
const FUSED_BINARY: ReadonlySet<string> = new Set(['Add', 'Sum', 'Mul']);

/** Longest run of fused ops followed back from a kernel's last node. */
const MAX_FUSED_STEPS = 8;

/** How fusedChain sees a graph: a node's op type and inputs, a tensor's writer and how many inputs read it. */
export interface FusionView<N> {
  opType(node: N): string;
  inputs(node: N): readonly string[];
  /** A node's first output, the tensor a fused follower reads. */
  output(node: N): string | undefined;
  producer(tensor: string): N | undefined;
  readers(tensor: string): number;
}

/**
 * The nodes onnxruntime may have run as one kernel that ends at `last`, first to last: `last`, and while the
 * node in hand is an op it fuses into the node before it (a Relu, a BatchNormalization, a residual Add), the
 * node writing its input where nothing else reads that (a tensor read twice stays a tensor of its own). A Conv
 * with its BatchNormalization and Relu is `[conv, bn, relu]` from the Relu; a node that fuses nothing is
 * `[last]`.
 */
export function fusedChain<N>(last: N, graph: FusionView<N>): N[] {
  const chain = [last];
  let node = last;
  for (let steps = 0; steps < MAX_FUSED_STEPS && FUSED_INTO_PRODUCER.has(graph.opType(node)); steps++) {
    const inputs = graph.inputs(node);
    const before = (FUSED_BINARY.has(graph.opType(node)) ? inputs : inputs.slice(0, 1))
      .map((input) => graph.producer(input))
      .find((p) => p !== undefined && graph.readers(graph.output(p) ?? '') === 1);
    if (before === undefined || chain.includes(before)) break;
    chain.unshift(before);
    node = before;
  }
  return chain;
}

/**
 * Adds to `byName` each rewritten node under the name of the node it started from (a fusion's), where no node
 * keeps that name itself, so a lookup by the model's node name finds what took its place.
 */
export function indexByOriginalName<T>(
  nodes: Iterable<T>,
  nameOf: (node: T) => string,
  byName: Map<string, T>,
): void {
  for (const node of nodes) {
    const base = fusedFrom(nameOf(node));
    if (base !== undefined && !byName.has(base)) byName.set(base, node);
  }
}

/**
 * The op types a fused node of this op type may stand for in the model: MatMulAddFusion makes a Gemm of a MatMul
 * and the Add after it, the activation fusions a FusedGemm of a Gemm and a FusedConv of a Conv (each with the
 * activation after it). Other fusions keep the op type of the node they start from (Conv + Relu is a Conv).
 */
const FUSED_OP_SOURCES: Readonly<Record<string, readonly string[]>> = {
  Gemm: ['MatMul'],
  FusedGemm: ['Gemm'],
  FusedConv: ['Conv'],
};

/** Whether a node of `modelOp` in the model may have become a fused node of `fusedOp`. */
export function mayBecome(modelOp: string, fusedOp: string): boolean {
  return modelOp === fusedOp || (FUSED_OP_SOURCES[fusedOp]?.includes(modelOp) ?? false);
}

/**
 * A Reshape onnxruntime's MatMulAddFusion put around the Gemm it made of a MatMul whose input has more than two
 * dims: it flattens the input to 2D (`gemm_input_reshape`) and gives the output its shape back
 * (`gemm_output_reshape`, `_token_N` appended where the name was taken).
 */
export function isFusionReshape(name: string, opType: string): boolean {
  return opType === 'Reshape' && /^gemm_(input|output)_reshape(_token_\d+)?$/.test(name);
}

/**
 * Whether a node is the Gemm onnxruntime's MatMulAddFusion made of a MatMul and the Add after it: named after the
 * MatMul (`X/MatMulAddFusion`, `/MatMulAddFusion` for an unnamed one, `_token_N` appended where taken).
 */
export function isMatMulAddFusion(name: string): boolean {
  return /\/MatMulAddFusion(_token_\d+)?$/.test(name);
}

/**
 * Initializer prefixes of onnxruntime's Conv fusions (basic level, which int8-static runs before quantizing), and
 * the op each folds into the Conv. ConvBnFusion folds a BatchNormalization: the Conv's weight W becomes
 * `ConvBnFusion_W_<W>`, its bias `ConvBnFusion_BN_B_<B>` after the BatchNormalization's B (holding the Conv's own
 * bias folded in too, where it had one); ConvMulFusion and ConvAddFusion fold a Mul or an Add by a constant
 * (`ConvMulFusion_W_<W>`, `ConvMulFusion_Mul_B_<the Mul's B>`, `ConvAddFusion_B_<the Conv's B>`,
 * `ConvAddFusion_Add_B_<the Add's B>`; these two from onnxruntime's sources).
 */
const CONV_FOLDS: readonly (readonly [prefix: string, folded: string])[] = [
  ['ConvBnFusion_W_', 'BatchNormalization'],
  ['ConvBnFusion_BN_B_', 'BatchNormalization'],
  ['ConvMulFusion_W_', 'Mul'],
  ['ConvMulFusion_Mul_B_', 'Mul'],
  ['ConvAddFusion_B_', 'Add'],
  ['ConvAddFusion_Add_B_', 'Add'],
];

/**
 * Where a node that computes in float16 has no float16 kernel (onnxruntime's CPU provider has few), onnxruntime
 * runs it in float32 and names what it reads and writes there `InsertedPrecisionFreeCast_<X>`: X cast to float32
 * (a float16 weight's cast is folded into a float32 initializer of that name).
 */
const PRECISION_FREE_CAST = 'InsertedPrecisionFreeCast_';

/** Whether a node or value is one of those onnxruntime made to run a float16 node in float32. */
export const isPrecisionFreeCast = (name: string): boolean =>
  name.startsWith(PRECISION_FREE_CAST) && name.length > PRECISION_FREE_CAST.length;

/**
 * The model's tensor (weight or value) that a tensor onnxruntime's graph optimizations named stands for, and the
 * op folded into it if any: `w` of `ConvBnFusion_W_w` (BatchNormalization folded) and of
 * `InsertedPrecisionFreeCast_ConvBnFusion_W_w`, `x` of `InsertedPrecisionFreeCast_x`; each step appends
 * `_token_<N>` where its name was taken. `isModelName` says which names the model has (a model's own name may end
 * in `_token_<N>`); undefined for a name that is none of these.
 */
export function ortTensorSource(
  name: string,
  isModelName: (name: string) => boolean,
): { name: string; folded?: string } | undefined {
  let rest = name;
  let folded: string | undefined;
  let steps = 0;
  for (;;) {
    const fold = CONV_FOLDS.find(([prefix]) => rest.startsWith(prefix));
    const prefix = rest.startsWith(PRECISION_FREE_CAST) ? PRECISION_FREE_CAST : fold?.[0];
    if (prefix === undefined || rest.length === prefix.length) break;
    if (fold && prefix === fold[0]) folded ??= fold[1];
    rest = rest.slice(prefix.length);
    steps++;
  }
  for (let i = 0; steps > 0 && i <= steps; i++) {
    if (isModelName(rest)) return { name: rest, ...(folded !== undefined ? { folded } : {}) };
    const token = /^(.+)_token_\d+$/.exec(rest);
    if (!token) break;
    rest = token[1]!;
  }
  return undefined;
}
