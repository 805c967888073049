/**
 * "Why is it not faster?": where a variant's time goes, from an interleaved, profiled benchmark of the original
 * and the variant (`onnx-studio explain`; a panel of Compare). The profile's kernels (after onnxruntime's fusions)
 * fall into four kinds: quantized kernels, float ops left between them, conversions (Q/DQ, and the Casts the
 * variant added) and layout reorders. The advice follows from the shares, from whether the CPU has int8
 * dot-product instructions, and from what the variant is where the caller knows it (its recorded method and its
 * measured size): a structured prune is not a magnitude one (shared/explain-prune.ts), a weight-only int4 variant
 * has no float islands between int8 ops, and an fp16 variant of a float16 model halved nothing.
 */
import type { NodeTime, OpTypeTime, UnalignedConv } from './bench.js';
import { addedCastShare } from './explain-casts.js';
import { pruneAdvice, zeroedWeightsAdvice } from './explain-prune.js';
import type { SkippedNodeInfo } from './job-reports.js';
import type { SpeedVerdict } from './latency-noise.js';
import { INT8_OPS } from './node-precision.js';
import { originalNodeName } from './ort-node-names.js';

export type KernelKind = 'quantized' | 'float' | 'conversion' | 'layout';

/** Op types that hold 4-bit weights: int4's MatMulNBits and its table lookups (node-precision.ts calls both int4). */
const INT4_OPS = new Set(['MatMulNBits', 'GatherBlockQuantized']);
/** Kernels that compute in int8 or int4. */
const QUANTIZED = new Set([...INT8_OPS, ...INT4_OPS]);
/**
 * Kernels that convert between float and 8-bit. Cast is not one by its op type: a model's own Casts (an int64
 * input to float) run in the original too; only the Casts the variant added count (explain-casts.ts).
 */
const CONVERSIONS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);
/** onnxruntime's NCHWc layout transformer inserts ReorderInput/ReorderOutput around blocked kernels. */
const LAYOUT = new Set(['ReorderInput', 'ReorderOutput', 'Transpose']);

/** An op type's kind; one that only moved 8-bit data (`int8Data`: Expand, Reshape, MaxPool...) is quantized. */
export function kernelKind(opType: string, int8Data = false): KernelKind {
  if (QUANTIZED.has(opType)) return 'quantized';
  if (CONVERSIONS.has(opType)) return 'conversion';
  if (LAYOUT.has(opType)) return 'layout';
  return int8Data ? 'quantized' : 'float';
}

/** The int8 dot-product instructions the CPU has (read from its flags), and what they mean for int8 kernels. */
export interface Int8Support {
  /** e.g. `AVX-512 VNNI`, `AVX-VNNI`, `ARM dotprod`, `ARM i8mm`. */
  instructions: string[];
  /** Whether onnxruntime's int8 kernels have a fast path here. */
  fast: boolean;
  /** Where the flags came from (`/proc/cpuinfo`) or why they are unknown. */
  source: string;
}

export interface KindShare {
  kind: KernelKind;
  ms: number;
  /** Share of the model's kernel time, 0 to 100. */
  pct: number;
}

/** An op type's time in one kind; the variant's Cast has two when it runs Casts of its own and added ones. */
export type KindedOpTime = OpTypeTime & { kind: KernelKind };

/** An op type of the variant: its time, its share of the variant's kernel time and its time in the original. */
export interface OpRow {
  opType: string;
  ms: number;
  pct: number;
  originalMs?: number;
}

/**
 * What the variant computes in, as far as the advice is concerned: `int8` when it has int8/int4 kernels or Q/DQ,
 * or a quantizer meant it to (then the CPU's int8 dot-product instructions and the ops left in float matter);
 * `fp16` for the fp16 method's variants (float16 throughout, its ops are not "left in float"); `float` for one
 * that computes in float like the original (pruned, or not quantized).
 */
export type VariantPrecision = 'int8' | 'fp16' | 'float';

/**
 * An int8/int4 kernel of the variant that takes more time than the float kernels it replaced took in the original
 * (onnxruntime's int8 MaxPool on small tensors, an int8 convolution of few channels): it makes the variant slower.
 */
export interface SlowerKernel {
  /** The variant's kernel (`MaxPool` on 8-bit data, `QLinearConv`). */
  opType: string;
  /**
   * Its time in the variant (ms) and share of the variant's kernel time (0 to 100). With `matchedBy: 'node'` the
   * time is `variantMs`, its nodes' times (each node's median run, summed), the figure compared with the
   * original's; with `opType`, the op type's time in the median run (its row of `byOpType`).
   */
  ms: number;
  pct: number;
  /** The original's op type it stands for (`MaxPool`, `Conv`). */
  counterpart: string;
  /**
   * `node`: the kernel's nodes were traced to the original's by name, and `variantMs`/`originalMs` are those
   * nodes' times; `opType`: they could not be, and the times are of every kernel of the counterpart's op type,
   * in whatever precision (the variant's float ones of that type included).
   */
  matchedBy: 'node' | 'opType';
  /** The variant's time on that work (ms): the kernel's own with `node`, its op type's family with `opType`. */
  variantMs: number;
  /** The original's time on the same work (ms). */
  originalMs: number;
  /** The model's names of the nodes that ran it, where they were traced (what `--exclude-nodes` takes). */
  nodes: string[];
}

/** A benchmark's verdict on a ratio against its run's noise (see `explainProfiles`' `speed`). */
export interface RunSpeed {
  verdict: SpeedVerdict;
  /** The run's spread was too large to tell speeds apart. */
  unreliable?: boolean;
}

export interface Explanation {
  original: { p50Ms: number; byKind: KindShare[] };
  variant: { p50Ms: number; byKind: KindShare[]; byOpType: KindedOpTime[] };
  p50Ratio: number;
  /** The run's verdict on `p50Ratio`, where the caller gave it: to be said beside the ratio. */
  speed?: RunSpeed;
  variantPrecision: VariantPrecision;
  /** The variant's float op types, slowest first, with their share of its kernel time. */
  floatOps: OpRow[];
  /** All of the variant's op types, slowest first (what to show for a variant that is not `int8`). */
  slowestOps: OpRow[];
  /**
   * The variant's int8/int4 kernels with a large share of its time that are slower than the original's float
   * counterpart, most time lost first (empty for a variant without them, or not made from the original).
   */
  slowerKernels: SlowerKernel[];
  int8: Int8Support;
  /** Concrete next steps, most important first. */
  advice: string[];
}

/**
 * How the variant was made, as far as the advice is concerned. The profile alone cannot tell a pruned model
 * from one a quantizer left in float (both run float kernels only), so a caller that knows says.
 */
export type VariantOperation = 'quantize' | 'prune';

/** Op types only a quantized model has: its int8/int4 kernels and the Q/DQ around them. */
const QUANTIZED_MODEL_OPS = new Set([
  ...QUANTIZED,
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
]);

/** Share thresholds (percent of the variant's kernel time) above which a kind earns advice. */
const FLOAT_ADVICE_PCT = 10;
const CONVERSION_ADVICE_PCT = 10;
const LAYOUT_ADVICE_PCT = 8;

/** Each op type with its kind; the Cast time is split by `addedCasts` (0 to 1) into conversion and float. */
function kinded(ops: readonly OpTypeTime[], addedCasts = 0): KindedOpTime[] {
  return ops.flatMap((o) => {
    const kind = kernelKind(o.opType, o.int8Data);
    if (o.opType !== 'Cast' || kind !== 'float' || addedCasts <= 0) return [{ ...o, kind }];
    const part = (kind: KernelKind, f: number) => ({ ...o, ms: o.ms * f, pct: o.pct * f, kind });
    return addedCasts >= 1
      ? [part('conversion', 1)]
      : [part('conversion', addedCasts), part('float', 1 - addedCasts)];
  });
}

function byKind(ops: readonly KindedOpTime[]): KindShare[] {
  const total = ops.reduce((s, o) => s + o.ms, 0);
  const kinds: KernelKind[] = ['quantized', 'float', 'conversion', 'layout'];
  return kinds.map((kind) => {
    const ms = ops.filter((o) => o.kind === kind).reduce((s, o) => s + o.ms, 0);
    return { kind, ms, pct: total > 0 ? (ms / total) * 100 : 0 };
  });
}

const list = (names: string[]) =>
  names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/**
 * An fp16 variant computes in float16 throughout, so "stays in float" and int8 advice would be beside the point.
 * onnxruntime's CPU provider has float16 kernels for few ops and runs the rest in float32 behind Casts it
 * inserts; float16 pays off on GPUs, where the model's half-size weights and float16 math are fast.
 */
function fp16Advice(ratio: string, ratioSaid: boolean, sizeRatio: number | undefined): string {
  // The ratio is said once: the advice before this one says it where the variant is not faster.
  const speed = `its speed depends on the device${ratioSaid ? '' : ` (this run is at ${ratio})`}. `;
  // What it did to the size, where the caller measured it: an original whose weights were float16 already keeps it.
  const size =
    sizeRatio === undefined
      ? "fp16 halves the weights' size; "
      : sizeRatio > FP16_SAME_SIZE
        ? `fp16 left the size as it was (x${sizeRatio.toFixed(2)} of the original's): the original's weights were already float16 ` +
          '(or it holds little float data), so there was nothing to halve, and '
        : `fp16 stored the float weights in half the bytes (the variant is x${sizeRatio.toFixed(2)} of the original's size); `;
  return (
    size +
    speed +
    "onnxruntime's CPU provider runs most ops in float32 behind Casts, so on a CPU fp16 is rarely faster: " +
    'measure it on a GPU (CUDA, DirectML, WebGPU), and for speed on this CPU use int8-dynamic or int8-static.'
  );
}

/** Above this size ratio an fp16 variant did not halve anything: its original was float16 already. */
const FP16_SAME_SIZE = 0.9;

/**
 * Weight-only quantizers: they store weights in fewer bits and leave activations, and so every op but the one
 * reading the weights, in float. There are no float islands between int8 ops to speak of (no QuantizeLinear of
 * activations); what they buy is size, and speed only where reading the weights sets the time.
 */
const WEIGHT_ONLY: Record<string, string> = {
  int4: 'int4 stores the MatMul weights and embedding tables in 4 bits, unpacked as MatMulNBits multiplies and GatherBlockQuantized looks rows up',
  'int8-weight':
    'int8-weight stores the weights in int8 and rebuilds them in float with a DequantizeLinear on every run',
};

/**
 * What a weight-only variant computes in. onnxruntime (1.30, CPU) fuses an 8-bit DequantizeLinear and the MatMul
 * or Gemm reading it into MatMulNBits, whose default accuracy level (4) quantizes the activations to int8 per
 * block: those layers do not compute in float, although nothing in the file quantizes an activation.
 */
function weightOnlyCompute(method: string, ops: readonly OpTypeTime[]): string {
  const fused = method === 'int8-weight' && ops.some((o) => o.opType === 'MatMulNBits');
  if (!fused)
    return `${WEIGHT_ONLY[method]}; activations and every other op compute in float, as in the original`;
  return (
    'int8-weight stores the weights in int8. onnxruntime fused DequantizeLinear and MatMul into MatMulNBits ' +
    '(8-bit weights), which by default quantizes the activations to int8 per block as it multiplies (accuracy ' +
    'level 4; the session option session.qdq_matmulnbits_accuracy_level=0 keeps them float). ' +
    'The other weights are rebuilt in float by a DequantizeLinear on every run, and every other op computes in ' +
    'float, as in the original'
  );
}

/** Whether a profile's kernel ran the op of a graph node: onnxruntime's fusions prefix it (FusedConv, NhwcConv). */
const ranAs = (kernel: string, opType: string) => kernel.replace(/^(Fused|Nhwc)(?=[A-Z])/, '') === opType;

function nodeNames(nodes: readonly SkippedNodeInfo[]): string {
  const shown = nodes.slice(0, 3).map((n) => `${n.opType} '${n.name}'`);
  return nodes.length > 3 ? `${shown.join(', ')} and ${nodes.length - 3} more` : list(shown);
}

/**
 * The quantizer's reason for a node, as a clause after "stays float: ". Its own colons become semicolons, so that
 * the sentence has one ("stays float: it reads the model's float input with 3 channels; onnxruntime's int8
 * convolution is slower..."). The option's flag in it becomes the form's label where the caller has the labels
 * (the app: `the "Quantize input conv" option`); without them the flag stays, as the command line takes it.
 */
function reasonClause(node: SkippedNodeInfo, optionLabels: ReadonlyMap<string, string> | undefined): string {
  let reason = node.reason.replace(/: (?=\S)/g, '; ');
  const label = node.option ? optionLabels?.get(node.option) : undefined;
  if (node.option && label) reason = reason.split(node.option).join(`the "${label}" option`);
  return reason;
}

/**
 * What ends the float islands between int8 ops. Where the quantizer's own record of the nodes it left in float
 * is known (`skipped`: the quantize report's skippedNodes, or what `onnx-studio explain` reads from the variant's
 * recipe), the nodes of the slowest float ops that an option kept float are named with the quantizer's reason,
 * which names the option's flag (int8-static keeps the input's first Conv float unless --quantize-input-conv;
 * --exclude-nodes), or its label in the app's form (`optionLabels`). Without that record, the two usual ways out
 * are named, the option by what it is ("Exclude nodes" in the app's form, --exclude-nodes on the command line):
 * the text is shown by both hosts.
 */
function islandAdvice(
  top: readonly { opType: string }[],
  skipped: readonly SkippedNodeInfo[] | undefined,
  optionLabels: ReadonlyMap<string, string> | undefined,
): string {
  const cost =
    'Each float island between int8 ops also costs a DequantizeLinear and a QuantizeLinear; keeping fewer ops in float';
  if (!skipped)
    return `${cost} (fewer nodes in the quantizer's "exclude nodes" option, or a quantizer that covers these ops) removes both.`;
  const byOption = skipped.filter((s) => s.option && top.some((o) => ranAs(o.opType, s.opType)));
  if (byOption.length === 0) return `${cost} (a quantizer that covers these ops) removes both.`;
  const byReason = new Map<string, SkippedNodeInfo[]>();
  for (const s of byOption) {
    const reason = reasonClause(s, optionLabels);
    byReason.set(reason, [...(byReason.get(reason) ?? []), s]);
  }
  const why = [...byReason]
    .slice(0, 3)
    .map(([reason, nodes]) => `${nodeNames(nodes)} stay${nodes.length === 1 ? 's' : ''} float: ${reason}.`);
  return `${cost} removes both. ${why.join(' ')}`;
}

/** One model's side of the benchmark: its p50 and profile (`nodes`, where there, tell the Casts it added). */
interface ProfiledModel {
  p50Ms: number;
  byOpType: readonly OpTypeTime[];
  nodes?: readonly NodeTime[] | undefined;
}

export function explainProfiles(input: {
  original: ProfiledModel;
  variant: ProfiledModel;
  int8: Int8Support;
  /** The variant's op types before fusion (its graph), to tell a dynamic variant's float Conv. */
  variantGraphOps?: Record<string, number>;
  /**
   * How the variant was made, when the caller knows (a workspace variant's recipe). Without it, a variant
   * whose profile has an int8/int4 kernel or a Q/DQ is taken as quantized; one with neither computes in
   * float like the original, and the advice covers both ways that happens (pruned, or not quantized).
   */
  variantOperation?: VariantOperation;
  /**
   * The method that made the variant, when known (its recipe's last step): a quantize method, or with
   * `variantOperation: 'prune'` a prune method (`structured`, `magnitude`), whose advice differs.
   */
  variantMethod?: string;
  /**
   * For a structured-pruned variant: the convolutions pruning left with a channel count that is not a multiple of
   * 8 (the prune report's layers, `unalignedConvsOf`; the CLI reads them from the two models).
   */
  unalignedConvs?: readonly UnalignedConv[];
  /**
   * The variant's size over the original's (file and external data), when measured: the fp16 and weight-only
   * advice say what the variant did to it.
   */
  sizeRatio?: number;
  /**
   * The nodes the quantizer left in float and why, when known: the quantize report's skippedNodes (the app), or
   * those the variant's recorded options kept float (electron/engine/quantize/kept-float.ts, the CLI).
   */
  skippedNodes?: readonly SkippedNodeInfo[];
  /**
   * The two models look unrelated (`onnx-studio diff`'s check): the variant was not made from the original, so
   * no advice on its compression is given, only the times.
   */
  unrelated?: boolean;
  /**
   * The label of each option in the app's forms by its flag as `skippedNodes` name it (`--quantize-input-conv`
   * → `Quantize input conv`, read from the method catalog): the app's advice names the option the user sees.
   * Without it (the CLI) the advice names the flag.
   */
  optionLabels?: ReadonlyMap<string, string>;
  /**
   * The benchmark's verdict on the variant's ratio against the run's noise (shared/latency-noise.ts `ratioNoise`,
   * the rule of shared/bench-comparisons.ts and Compare's table), and whether the run was too noisy to tell.
   * With it, "faster" is that verdict and the ratio is said with it; without it (a caller with no samples), a
   * ratio under 0.97. A bare "0.90x the original's p50" read as fp16 being faster on a CPU where the table said
   * "within noise".
   */
  speed?: RunSpeed;
}): Explanation {
  const { original, variant, int8 } = input;
  // A variant not made from the original added no Casts to it: its own are float ops, as the original's are.
  const variantOps = kinded(variant.byOpType, input.unrelated ? 0 : addedCastShare(original, variant));
  const variantKinds = byKind(variantOps);
  const total = variant.byOpType.reduce((s, o) => s + o.ms, 0);
  // One row of the tables: the op type's time, its share of the variant's kernel time, its time in the original.
  const row = (o: { opType: string; ms: number }) => {
    const before = original.byOpType.find((x) => x.opType === o.opType)?.ms;
    return {
      opType: o.opType,
      ms: o.ms,
      pct: total > 0 ? (o.ms / total) * 100 : 0,
      ...(before !== undefined ? { originalMs: before } : {}),
    };
  };
  const floatOps = variantOps
    .filter((o) => o.kind === 'float')
    .sort((a, b) => b.ms - a.ms)
    .map(row);
  const slowestOps = [...variant.byOpType].sort((a, b) => b.ms - a.ms).map(row);
  const p50Ratio = variant.p50Ms / original.p50Ms;
  const slowerKernels = input.unrelated ? [] : slowerKernelsOf(original, variant, variantOps);
  return {
    original: { p50Ms: original.p50Ms, byKind: byKind(kinded(original.byOpType)) },
    variant: { p50Ms: variant.p50Ms, byKind: variantKinds, byOpType: variantOps },
    p50Ratio,
    ...(input.speed ? { speed: input.speed } : {}),
    variantPrecision: precisionOf(input),
    floatOps,
    slowestOps,
    slowerKernels,
    int8,
    // Advice on a compression would be made up for a variant that was not made from the original.
    advice: input.unrelated
      ? [UNRELATED_ADVICE]
      : compressionAdvice(input, variantOps, floatOps, p50Ratio, slowerKernels),
  };
}

/** The variant's op types before fusion where known, and its profile's kernels (the app has the profile only). */
function graphOpsOf(input: Parameters<typeof explainProfiles>[0]): Set<string> {
  // Op counts may be keyed `domain::OpType` (inspect's form for contrib ops).
  return new Set([
    ...Object.keys(input.variantGraphOps ?? {}).map((k) => k.split('::').at(-1)!),
    ...input.variant.byOpType.map((o) => o.opType),
  ]);
}

/** How the variant was made: as the caller says, else quantized where it has an int8/int4 kernel or a Q/DQ. */
function operationOf(input: Parameters<typeof explainProfiles>[0]): VariantOperation | undefined {
  return (
    input.variantOperation ??
    ([...graphOpsOf(input)].some((op) => QUANTIZED_MODEL_OPS.has(op)) ? 'quantize' : undefined)
  );
}

/**
 * The weight-only quantizer that made the variant (int4, int8-weight): as the caller says, else int4 where its
 * MatMuls became MatMulNBits or its tables GatherBlockQuantized (a model with tables alone, or with its MatMuls kept
 * float) and nothing quantizes activations.
 */
function weightOnlyMethod(input: Parameters<typeof explainProfiles>[0]): string | undefined {
  if (input.variantOperation === 'prune') return undefined;
  if (input.variantMethod !== undefined)
    return input.variantMethod in WEIGHT_ONLY ? input.variantMethod : undefined;
  const ops = [...graphOpsOf(input)];
  return ops.some((op) => INT4_OPS.has(op)) &&
    !ops.some((op) => op === 'QuantizeLinear' || op === 'DynamicQuantizeLinear' || INT8_OPS.has(op))
    ? 'int4'
    : undefined;
}

function precisionOf(input: Parameters<typeof explainProfiles>[0]): VariantPrecision {
  if (input.variantMethod === 'fp16' && input.variantOperation !== 'prune') return 'fp16';
  return operationOf(input) === 'quantize' ? 'int8' : 'float';
}

/** A kernel earns "slower than in the original" advice from this share of the variant's kernel time... */
const SLOWER_KERNEL_PCT = 10;
/** ...when it takes this much more than the original's counterpart... */
const SLOWER_KERNEL_RATIO = 1.2;
/** ...and the time it loses is at least this share of the variant's kernel time. */
const SLOWER_KERNEL_LOSS_PCT = 5;
/** At most this many such kernels are named. */
const SLOWER_KERNEL_MAX = 3;

/** The float op type an int8/int4 kernel replaced: QLinearConv's Conv, QGemm's Gemm, MatMulInteger's MatMul. */
const COUNTERPART: Record<string, string> = {
  QGemm: 'Gemm',
  ConvInteger: 'Conv',
  MatMulInteger: 'MatMul',
  DynamicQuantizeMatMul: 'MatMul',
  MatMulIntegerToFloat: 'MatMul',
  QOrderedMatMul: 'MatMul',
  MatMulNBits: 'MatMul',
  GatherBlockQuantized: 'Gather',
  QAttention: 'Attention',
  QEmbedLayerNormalization: 'EmbedLayerNormalization',
  DynamicQuantizeLSTM: 'LSTM',
};

/** The original's op type a variant kernel stands for; a data-movement op on 8-bit data (MaxPool) is its own. */
function counterpartOf(opType: string): string {
  return COUNTERPART[opType] ?? opType.replace(/^QLinear(?=[A-Z])/, '');
}

/**
 * Other float kernels that compute a counterpart's work: onnxruntime fuses a MatMul and its bias Add into a Gemm
 * (`X/MatMulAddFusion`), so an int4 or int8 MatMul of an MLP with biases replaced a Gemm kernel.
 */
const ALSO_COMPUTED_BY: Record<string, readonly string[]> = { MatMul: ['Gemm'] };

/** Whether a kernel computes the counterpart op (a fused or NHWC form of it, FusedMatMul, a fused Gemm). */
const runsOp = (kernel: string, opType: string) =>
  ranAs(kernel, opType) || (ALSO_COMPUTED_BY[opType] ?? []).some((other) => ranAs(kernel, other));

/**
 * The variant's int8/int4 kernels with at least SLOWER_KERNEL_PCT of its kernel time that take more time than the
 * original's float counterpart. Compared node by node where every node of the kernel is traced by name to an
 * original node of the counterpart op (shared/ort-node-names.ts: `conv2_token_3` is conv2; a MaxPool keeps its
 * name); else by op type: all of the variant's kernels of that family (its int8 ones and any float ones left)
 * against all of the original's.
 */
function slowerKernelsOf(
  original: ProfiledModel,
  variant: ProfiledModel,
  variantOps: readonly KindedOpTime[],
): SlowerKernel[] {
  const total = variantOps.reduce((s, o) => s + o.ms, 0);
  if (total <= 0) return [];
  const originalNodes = new Map<string, NodeTime>();
  for (const n of original.nodes ?? []) {
    // A kernel of the blocked layout is named after its output; the benchmark resolved its node (`node`).
    const name = n.node ?? originalNodeName(n.name);
    const known = originalNodes.get(name);
    originalNodes.set(name, known ? { ...known, ms: known.ms + n.ms } : n);
  }
  const found: (SlowerKernel & { lossMs: number })[] = [];
  for (const k of variantOps) {
    if (k.kind !== 'quantized' || (k.ms / total) * 100 < SLOWER_KERNEL_PCT) continue;
    const counterpart = counterpartOf(k.opType);
    const kernelNodes = (variant.nodes ?? []).filter((n) => n.opType === k.opType && n.ms > 0);
    const matched = kernelNodes.map((n) => {
      const name = originalNodeName(n.name);
      const before = originalNodes.get(name);
      return before && runsOp(before.opType, counterpart)
        ? { name, ms: n.ms, originalMs: before.ms }
        : undefined;
    });
    let compared: Pick<SlowerKernel, 'matchedBy' | 'variantMs' | 'originalMs' | 'nodes'>;
    if (kernelNodes.length > 0 && matched.every((m) => m !== undefined)) {
      compared = {
        matchedBy: 'node',
        variantMs: matched.reduce((s, m) => s + m!.ms, 0),
        originalMs: matched.reduce((s, m) => s + m!.originalMs, 0),
        nodes: [...new Set(matched.map((m) => m!.name))],
      };
    } else {
      const family = (ops: readonly OpTypeTime[]) =>
        ops
          .filter((o) => o.opType === k.opType || runsOp(o.opType, counterpart))
          .reduce((s, o) => s + o.ms, 0);
      compared = {
        matchedBy: 'opType',
        variantMs: family(variant.byOpType),
        originalMs: family(original.byOpType),
        nodes: [],
      };
    }
    const lossMs = compared.variantMs - compared.originalMs;
    // No counterpart time found is no comparison (a kernel whose float form the profile names otherwise).
    if (
      compared.originalMs <= 0 ||
      compared.variantMs < compared.originalMs * SLOWER_KERNEL_RATIO ||
      (lossMs / total) * 100 < SLOWER_KERNEL_LOSS_PCT
    )
      continue;
    // The kernel's own time, from the figures it is compared by: traced nodes are timed node by node (the sum of
    // each node's median run), which differs a little from the op type's median run (the median of the runs' sums)
    // on the same nodes; the advice's "takes X ms" and its ratio to the original must be one figure.
    const ms = compared.matchedBy === 'node' ? compared.variantMs : k.ms;
    found.push({ opType: k.opType, ms, pct: (ms / total) * 100, counterpart, ...compared, lossMs });
  }
  return found
    .sort((a, b) => b.lossMs - a.lossMs)
    .slice(0, SLOWER_KERNEL_MAX)
    .map(({ lossMs: _, ...k }) => k);
}

/** An option by the form's label where the caller gives the labels (the app), by its flag without (the CLI). */
function optionName(flag: string, optionLabels: ReadonlyMap<string, string> | undefined): string {
  const label = optionLabels?.get(flag);
  return label ? `the "${label}" option` : flag;
}

const fixed = (ms: number) => `${ms.toFixed(3)} ms`;

/**
 * What a kernel slower than the original's costs, with the figures, and how to keep its nodes in float: by name
 * where they were traced (--exclude-nodes), by op type otherwise (--op-types without it); then measure again.
 * onnxruntime moves a QuantizeLinear up through a MaxPool, Reshape or Transpose (its QDQ propagation), so a node
 * the quantizer left in float still runs in int8 where a quantized node reads its output: said where it happened
 * (`skipped`: the nodes the variant's options kept float) and as a caveat before.
 */
function slowerKernelAdvice(
  k: SlowerKernel,
  method: string | undefined,
  skipped: readonly SkippedNodeInfo[] | undefined,
  optionLabels: ReadonlyMap<string, string> | undefined,
  undoes: { method: string | undefined } | undefined,
): string {
  const shown = k.nodes.slice(0, 5);
  const quoted = shown.map((n) => `'${n}'`);
  const named =
    k.nodes.length === 0
      ? ''
      : ` (${k.nodes.length > shown.length ? `${quoted.join(', ')} and ${k.nodes.length - shown.length} more` : list(quoted)})`;
  // MatMulNBits and GatherBlockQuantized hold 4-bit weights, except where onnxruntime fused an int8-weight
  // DequantizeLinear into a MatMulNBits.
  const int8Kind = INT4_OPS.has(k.opType) && method !== 'int8-weight' ? 'int4' : 'int8';
  const against =
    k.matchedBy === 'node'
      ? `, against ${fixed(k.originalMs)} for ${k.nodes.length === 1 ? 'that node' : 'those nodes'} in float in the original`
      : `; the variant's ${k.counterpart === k.opType ? k.opType : `${k.opType} and ${k.counterpart}`} kernels take ${fixed(k.variantMs)} against ${fixed(k.originalMs)} for ${k.counterpart} in the original`;
  const ratio = k.originalMs > 0 ? ` (${(k.variantMs / k.originalMs).toFixed(1)}x)` : '';
  const head =
    `${k.opType} runs in ${int8Kind}${named} and takes ${fixed(k.ms)}, ${k.pct.toFixed(0)}% of the variant's kernel time` +
    `${against}${ratio}: onnxruntime's ${int8Kind} ${k.counterpart} is slower than its float one here.`;
  const exclude = optionName('--exclude-nodes', optionLabels);
  const opTypes = optionName('--op-types', optionLabels);
  const keptFloat = k.nodes.filter((n) => skipped?.some((s) => s.name === n));
  if (k.nodes.length > 0 && keptFloat.length === k.nodes.length)
    return (
      `${head} The quantizer left ${keptFloat.length === 1 ? 'it' : 'them'} in float already, yet onnxruntime runs ${keptFloat.length === 1 ? 'it' : 'them'} in int8: ` +
      `it moves the QuantizeLinear of a quantized node that reads ${keptFloat.length === 1 ? 'its' : 'their'} output above ${keptFloat.length === 1 ? 'it' : 'them'}. ` +
      `Keeping ${keptFloat.length === 1 ? 'that reader' : 'those readers'} in float too (${exclude}) avoids it, at the cost of ${keptFloat.length === 1 ? 'its' : 'their'} int8 speed: run explain on that variant and compare.`
    );
  if (undoes) return `${head} ${methodDoesNotPayOff(k, undoes.method, int8Kind)}`;
  const how =
    k.nodes.length > 0
      ? `quantize again with ${exclude}${optionLabels?.has('--exclude-nodes') ? ` set to ${k.nodes.join(',')}` : ` ${k.nodes.join(',')}`}, or with ${opTypes} listing the op types to quantize without ${k.counterpart}`
      : `quantize again with ${opTypes} listing the op types to quantize without ${k.counterpart}, or with ${exclude} naming its nodes`;
  const propagated = QDQ_PROPAGATED.has(k.counterpart)
    ? ` (where a quantized node reads its output, onnxruntime may move that QuantizeLinear above it and run it in int8 anyway: explain shows whether it did)`
    : '';
  return `${head} Keep it in float: ${how}, then run explain on the new variant and compare${propagated}.`;
}

/**
 * Whether keeping a slower kernel's work in float would keep everything the method quantized in float, so that
 * "keep it in float" would make a variant with nothing quantized, the original again: its traced nodes are every
 * node the variant runs in an int8/int4 kernel, or (compared by op type) every such kernel stands for the same
 * float op (int8-dynamic's DynamicQuantizeMatMul in a model whose MatMuls are all it quantizes).
 */
function undoesTheMethod(kernels: readonly SlowerKernel[], variant: ProfiledModel): boolean {
  // Every kernel flagged is advised at once: it is their nodes together (or their float ops together) that
  // following every piece of advice would keep in float.
  if (kernels.length === 0) return false;
  if (kernels.every((k) => k.matchedBy === 'node')) {
    const flagged = new Set(kernels.flatMap((k) => k.nodes));
    const quantized = (variant.nodes ?? []).filter((n) => QUANTIZED.has(n.opType));
    return quantized.length > 0 && quantized.every((n) => flagged.has(originalNodeName(n.name)));
  }
  const counterparts = new Set(kernels.map((k) => k.counterpart));
  const quantized = variant.byOpType.filter((o) => QUANTIZED.has(o.opType));
  return quantized.length > 0 && quantized.every((o) => counterparts.has(counterpartOf(o.opType)));
}

/** What else to try, by the method that made a variant whose every quantized node is slower than in float. */
const INSTEAD: Record<string, string> = {
  'int8-dynamic':
    'try int8-static, whose activation scales are calibrated ahead of time instead of computed on every run (the DynamicQuantizeLinear before each MatMul)',
  'int8-static': 'try int8-dynamic, or fp16 measured on a GPU',
  int4: 'int4 pays off in size (its weights take 4 bits), and in speed where reading the weights sets the time, not here',
  'int8-weight':
    'int8-weight pays off in size, not in speed on a CPU (it rebuilds the float weights on every run)',
};

/**
 * Said instead of "keep it in float" where that would keep every quantized node in float (undoesTheMethod): the
 * method does not pay off here, so another method, or the size objective, is the way on.
 */
function methodDoesNotPayOff(k: SlowerKernel, method: string | undefined, int8Kind: string): string {
  const them = k.nodes.length > 0 ? 'those are all the nodes' : `its ${k.opType} kernels are all that`;
  const what = method ?? 'the quantizer';
  return (
    `${them.charAt(0).toUpperCase()}${them.slice(1)} ${what} runs in ${int8Kind} here: keeping them in float would leave nothing quantized, the original again. ` +
    `${method ?? 'This quantization'} does not pay off on this model on this machine: ` +
    `${(method && INSTEAD[method]) ?? 'try another method (tune compares them on this machine)'}; ` +
    "for speed here keep the original, and where a smaller file is the goal, weigh size instead of speed (tune's size objective)."
  );
}

/** Ops onnxruntime moves a QuantizeLinear up through (its QDQ propagation): they then run on 8-bit data. */
const QDQ_PROPAGATED = new Set(['MaxPool', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten']);

/**
 * A ratio to the original's p50 with the run's verdict on it, as Compare's table says it: `0.90x of the
 * original's p50, within the run's noise`; bare where the caller has no verdict.
 */
export function ratioInWords(p50Ratio: number, speed: RunSpeed | undefined): string {
  const figure = `${p50Ratio.toFixed(2)}x of the original's p50`;
  return speed ? `${figure}, ${speedWords(speed)}` : figure;
}

/** The run's verdict in words: `within the run's noise`, `faster beyond the run's noise`. */
export function speedWords(speed: RunSpeed): string {
  if (speed.verdict === 'same')
    return speed.unreliable ? 'from a run too noisy to tell speeds apart' : "within the run's noise";
  return `${speed.verdict} beyond the run's noise`;
}

const UNRELATED_ADVICE =
  "The two models look unrelated: the variant was most likely not made from the original, so there is no advice on a compression; the times are each model's own.";

/**
 * Where a quantized (not weight-only) variant's Q/DQ conversions are, and whether anything removes them. Around the
 * float ops the advice above named (`floatSaid`), they are the price of those float islands. Without a float op
 * (an int8-static MLP: a QuantizeLinear of its input, then QGemm throughout) there is no island: they are at the
 * model's boundary, quantizing its float inputs and dequantizing its outputs, which every int8 model does and no
 * option removes; their share is large only where the model computes little between them. Float ops too few to be
 * named above (`floatOps`, under FLOAT_ADVICE_PCT) are named here. int8-dynamic's DynamicQuantizeLinear
 * quantizes the input of a quantized op on every run, wherever it is.
 */
function conversionAdvice(
  pct: number,
  floatOps: Explanation['floatOps'],
  floatSaid: boolean,
  dynamic: boolean,
): string {
  const head = `Q/DQ conversions take ${pct.toFixed(0)}% of run time: `;
  if (floatSaid)
    return `${head}activations go back and forth between float and int8 around float ops. Fewer float islands (see above) means fewer conversions.`;
  if (dynamic)
    return (
      `${head}int8-dynamic computes the scale of each quantized op's input and quantizes it on every run (DynamicQuantizeLinear). ` +
      'int8-static calibrates the scales ahead of time instead.'
    );
  const boundary =
    "at the model's boundary (quantizing its float inputs, dequantizing its outputs), which every int8 model does and no option removes";
  if (floatOps.length === 0)
    return (
      `${head}no op of this variant runs in float, so they are not around float islands but ${boundary}. ` +
      'Their share is large where the model computes little between its inputs and outputs.'
    );
  const top = floatOps.slice(0, 3);
  return (
    `${head}they are ${boundary}, and around the few ops left in float (${list(top.map((o) => o.opType))}: ` +
    `${floatOps.reduce((s, o) => s + o.pct, 0).toFixed(0)}% of run time), which keeping fewer ops in float removes.`
  );
}

function compressionAdvice(
  input: Parameters<typeof explainProfiles>[0],
  variantOps: readonly KindedOpTime[],
  floatOps: Explanation['floatOps'],
  p50Ratio: number,
  slowerKernels: readonly SlowerKernel[],
): string[] {
  const { variant, int8 } = input;
  const variantKinds = byKind(variantOps);
  const share = (kind: KernelKind) => variantKinds.find((k) => k.kind === kind)!.pct;
  const advice: string[] = [];
  const quantizedShare = share('quantized');
  const speed = input.speed;
  const faster = speed ? speed.verdict === 'faster' : p50Ratio < 0.97;
  const notFaster = !faster;
  if (notFaster)
    advice.push(
      `The variant runs at ${ratioInWords(p50Ratio, speed)}: it is not ${speed?.verdict === 'same' ? 'measurably ' : ''}faster on this machine.`,
    );
  // Where an int8 kernel is itself slower than the float one it replaced, that is the first thing to undo.
  // The method that made it, as recorded, or int8-dynamic where its kernels say so (the advice on a method that
  // does not pay off names what else to try).
  const graphOps = graphOpsOf(input);
  const dynamic =
    ['DynamicQuantizeMatMul', 'MatMulInteger', 'DynamicQuantizeLinear'].some((op) => graphOps.has(op)) &&
    !graphOps.has('QLinearConv');
  const method =
    input.variantOperation === 'prune'
      ? undefined
      : (input.variantMethod ?? (dynamic ? 'int8-dynamic' : undefined));
  const undoes = undoesTheMethod(slowerKernels, variant);
  advice.push(
    ...slowerKernels.map((k) =>
      slowerKernelAdvice(k, method, input.skippedNodes, input.optionLabels, undoes ? { method } : undefined),
    ),
  );
  if (!int8.fast && quantizedShare > 0)
    advice.push(
      `This CPU has no int8 dot-product instructions (${int8.source}): onnxruntime's int8 kernels fall back to slower paths here. Measure on the target machine, or use fp16 on a GPU.`,
    );
  const floatConv = floatOps.filter((o) => /Conv/.test(o.opType));
  if (dynamic && floatConv.length > 0) {
    const pct = floatConv.reduce((s, o) => s + o.pct, 0);
    advice.push(
      `int8-dynamic leaves Conv in float (${pct.toFixed(0)}% of run time here): use int8-static, which runs the convolutions in int8.`,
    );
  }
  const operation = operationOf(input);
  const weightOnly = weightOnlyMethod(input);
  const floatShare = share('float');
  const layoutShare = share('layout');
  // Said by the structured-pruning advice with its cause, where it has one: not again as a bare share.
  let layoutSaid = false;
  // The ops that stay float were named (with their share): the Q/DQ advice can point at them.
  let floatSaid = false;
  if (operation === 'prune') {
    // Float kernels are all a pruned model has: "stays in float" and int8 advice would be beside the point.
    const pruned = pruneAdvice({
      method: input.variantMethod,
      p50Ratio,
      faster,
      p50Ms: variant.p50Ms,
      unalignedConvs: input.unalignedConvs,
      layoutPct: {
        original: byKind(kinded(input.original.byOpType)).find((k) => k.kind === 'layout')!.pct,
        variant: layoutShare,
      },
      optionLabels: input.optionLabels,
    });
    layoutSaid = input.variantMethod === 'structured' && (input.unalignedConvs?.length ?? 0) > 0;
    advice.push(...pruned);
  } else if (input.variantMethod === 'fp16') {
    advice.push(fp16Advice(ratioInWords(p50Ratio, speed), notFaster, input.sizeRatio));
  } else if (floatShare >= FLOAT_ADVICE_PCT && floatOps.length > 0) {
    const top = floatOps.slice(0, 3);
    const names = `${list(top.map((o) => o.opType))} ${top.length === 1 ? 'takes' : 'take'} ${top.reduce((s, o) => s + o.pct, 0).toFixed(0)}% of run time`;
    if (weightOnly)
      // No QuantizeLinear of activations: the float ops are the original's, not islands between int8 ops.
      advice.push(
        `${weightOnlyCompute(weightOnly, variant.byOpType)}: ${names}. ` +
          `Weight-only quantization makes the file smaller${input.sizeRatio !== undefined ? ` (x${input.sizeRatio.toFixed(2)} here)` : ''}; ` +
          'it pays off in speed where reading the weights sets the time (large MatMuls, language models), not in ops that stay as they were. ' +
          'For speed here, int8-dynamic (MatMul, Gemm) or int8-static (Conv too) compute in int8.',
      );
    else if (operation === undefined)
      advice.push(
        `Every kernel of this variant runs in float, as in the original (no int8/int4 kernel, no Q/DQ): ${names}. ${zeroedWeightsAdvice(p50Ratio, variant.p50Ms, false, faster)}` +
          (faster
            ? ''
            : " If it was meant to be quantized, check that the method quantizes this model's ops."),
      );
    else {
      floatSaid = true;
      advice.push(
        `${list(top.map((o) => o.opType))} stay${top.length === 1 ? 's' : ''} in float: ${top.reduce((s, o) => s + o.pct, 0).toFixed(0)}% of run time ` +
          `(all float ops: ${floatShare.toFixed(0)}%). ${dynamic ? '' : quantizedShare > 0 ? islandAdvice(top, input.skippedNodes, input.optionLabels) : "Nothing runs in int8 or int4: check that the method quantizes this model's ops."}`.trim(),
      );
    }
  }
  const conversions = variantOps.filter((o) => o.kind === 'conversion');
  const total = variantOps.reduce((s, o) => s + o.ms, 0);
  const shareOf = (ops: KindedOpTime[]) =>
    total > 0 ? (100 * ops.reduce((s, o) => s + o.ms, 0)) / total : 0;
  const qdqShare = shareOf(conversions.filter((o) => o.opType !== 'Cast'));
  const castShare = shareOf(conversions.filter((o) => o.opType === 'Cast'));
  if (qdqShare >= CONVERSION_ADVICE_PCT)
    advice.push(
      weightOnly
        ? `Q/DQ conversions take ${qdqShare.toFixed(0)}% of run time: ${weightOnly} rebuilds the float weights on every run, the price of weight-only quantization on a CPU.`
        : conversionAdvice(qdqShare, floatOps, floatSaid, dynamic),
    );
  if (castShare >= CONVERSION_ADVICE_PCT)
    advice.push(
      `Casts the original does not have take ${castShare.toFixed(0)}% of run time: the variant converts tensors between types (float32 and float16, int32 and float) at the edges of what it changed. Fewer such edges (fewer ops kept in the original's type) means fewer Casts.`,
    );
  if (layoutShare >= LAYOUT_ADVICE_PCT && !layoutSaid)
    advice.push(
      `Layout reorders (ReorderInput/ReorderOutput, Transpose) take ${layoutShare.toFixed(0)}% of run time: onnxruntime changes memory layout between kernels that want different ones.`,
    );
  if (advice.length === 0)
    advice.push(
      quantizedShare >= 50
        ? `The ${weightOnly === 'int4' ? 'int4' : 'int8'} kernels do most of the work (${quantizedShare.toFixed(0)}% of run time): there is little left to win by quantizing more.`
        : 'No single cause stands out; compare the per-op times below.',
    );
  return advice;
}
