import { type GraphProto, type NodeProto, type TensorProto, TensorProto_DataType as DT } from 'onnx-buf';
import { counted } from '../../../../shared/counted.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { float32ArrayToFloat16 } from '../../onnx/float16.js';
import { type UniqueNameGenerator, localDefinitions, subgraphsOf } from '../../onnx/graph.js';
import { littleEndianBytes, makeAttribute, makeRawTensor, makeValueInfo } from '../../onnx/graph-build.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { quantizeBlockwise4Bit } from './int4-kernel.js';
import { gatherAxis } from './tied-gather.js';
import { type GraphScope, type ResolvedWeight, graphId, resolveWeight, storedBytes } from './weights.js';

/*
 * int4's rewrite for a float table that Gathers look rows up in and no quantized head shares (an embedding not
 * tied to the LM head, a position table). The table [N, K] is quantized row by row in blocks along K with
 * quantizeBlockwise4Bit's [N, K] layout: its bytes [N, k_blocks, block / 2] are, row-major, the [N, K / 2] data
 * com.microsoft GatherBlockQuantized reads (gather_axis 0, quantize_axis 1, bits 4, low nibble first, default zero
 * point 8 when there are none), as long as K is a whole number of blocks (the kernel has no padding). Scales
 * [N, k_blocks] in the type the Gather gave (float32, or float16 for a float16 table); --asymmetric adds zero
 * points [N, ceil(k_blocks / 2)]. onnxruntime 1.30's CPU kernel reads those per row, ceil(k_blocks / 2) bytes a
 * row, as MatMulNBits does (measured with K 96, block 32: three blocks a row, so a flat array of
 * ceil(N * k_blocks / 2) bytes shifts every odd row by a nibble and reads wrong zero points): the kernel's layout is the
 * right one for odd k_blocks too.
 *
 * onnxruntime's WebGPU GatherBlockQuantized (the C++ WebGPU EP, onnxruntime-web 1.30's ort.webgpu bundle) reads uint8
 * zero points as 4-bit values with the last dim doubled and requires that to equal the scales' shape, then indexes
 * them flat: [N, ceil(k_blocks / 2)] passes, and reads the same nibbles as the CPU, only for even k_blocks. Measured in
 * headless Chromium through SwiftShader (N 40, --asymmetric): k_blocks 1, 3 and 5 fail at run time with "scales and
 * zero_points must have the same shape" (that bundle's WASM has no GatherBlockQuantized to fall back to); k_blocks 4
 * and 6, and symmetric tables, give onnxruntime-node's values exactly. (The JSEP bundle the app loads leaves a uint8
 * GatherBlockQuantized to its CPU kernel: right for all.) So with --asymmetric a table whose rows are an odd number of
 * blocks stays float, and the reason names a block size that makes the count even.
 *
 * The 4-bit copy only pays when the float table leaves the file, so a table is quantized only when every node
 * that reads it in float is one of the Gathers rewritten here (through a Cast or Transpose that the rewrite
 * removes). One copy per table, in the graph that stores it, serves Gathers in every If branch or Loop body that
 * reads it.
 */

/** A Gather int4 may rewrite: default domain, selected by --op-types / --exclude-nodes. */
export interface GatherCandidate {
  scope: GraphScope;
  node: NodeProto;
}

/** One table's 4-bit copy and the Gathers that read it. */
export interface TablePlan {
  /** The table as each Gather resolved it (a Cast may differ per branch): removed after the rewrite. */
  weights: ResolvedWeight[];
  gathers: NodeProto[];
  graph: GraphProto;
  tensors: TensorProto[];
  data: string;
  scales: string;
  zeroPoints: string | undefined;
  floatBytes: number;
  quantizedBytes: number;
}

export interface TableGatherPlanning {
  plans: TablePlan[];
  /** Gathers of a float table that stays float, with the reason in words. */
  skipped: { node: NodeProto; reason: string }[];
}

export interface TableGatherOptions {
  blockSize: number;
  symmetric: boolean;
  /** The block sizes int4 takes, to name one that fits when `blockSize` does not divide a row. */
  blockSizes: readonly number[];
  /** Stored tables (`storedKey`) a tied head's GatherBlockQuantized already reads in 4 bits. */
  tiedTables: ReadonlySet<string>;
  /**
   * Casts and Transposes between a stored weight and a node this run rewrites (removeUnusedOriginals drops them
   * when nothing else reads them): a table read through one is read by what reads the view.
   */
  views: ReadonlySet<NodeProto>;
  /** Whether a table a graph input may replace is quantized (IR < 4 models): see resolveWeight. */
  allowOverridable: boolean;
}

/** Identifies a stored constant across the model (its graph and name). */
export function storedKey(weight: ResolvedWeight): string {
  return `${graphId(weight.ref.graph)}:${weight.ref.name}`;
}

/**
 * Decides, for each candidate Gather reading a constant float table, whether its table gets a 4-bit copy (and
 * makes it) or stays float (and why). Gathers of anything else (a shape, an activation) are left out unsaid:
 * exported transformers gather from shapes everywhere, and a record each would bury the tables. Call it after the
 * MatMul rewrites are applied to the graphs: whether a table has other float readers is read from them.
 */
export function planTableGathers(
  candidates: readonly GatherCandidate[],
  options: TableGatherOptions,
  names: UniqueNameGenerator,
): TableGatherPlanning {
  const { blockSize, symmetric } = options;
  const skipped: TableGatherPlanning['skipped'] = [];
  const groups = new Map<string, { weights: ResolvedWeight[]; gathers: NodeProto[] }>();
  for (const { scope, node } of candidates) {
    const weight = resolveWeight(scope.index, node.input[0] ?? '', options.allowOverridable);
    if ('reason' in weight) {
      if (weight.overridable) skipped.push({ node, reason: weight.reason });
      continue;
    }
    const reason = staticReason(node, weight, options);
    if (reason) {
      skipped.push({ node, reason });
      continue;
    }
    // A table read as float32 by some Gathers and float16 by others (a Cast in one branch) makes two groups; each
    // then finds the other's Gathers among the table's float readers and stays float.
    const key = `${storedKey(weight)}|${weight.computeType}`;
    const group = groups.get(key) ?? { weights: [], gathers: [] };
    group.weights.push(weight);
    group.gathers.push(node);
    groups.set(key, group);
  }

  const plans: TablePlan[] = [];
  for (const { weights, gathers } of groups.values()) {
    const table = weights[0]!;
    const skipAll = (reason: string) => skipped.push(...gathers.map((node) => ({ node, reason })));
    const views = new Set(options.views);
    for (const w of weights) if (w.cast) views.add(w.cast);
    const other = otherFloatReader(table.ref.graph, table.ref.name, new Set(gathers), views);
    if (other) {
      skipAll(
        `its table '${table.ref.name}' is also read in float by ${other}, so a 4-bit copy would sit beside the float ` +
          'table and make the file larger',
      );
      continue;
    }
    const [N, K] = [table.dims[0]!, table.dims[1]!];
    let q: ReturnType<typeof quantizeBlockwise4Bit>;
    try {
      q = quantizeBlockwise4Bit(table.values, { K, N, layout: 'NK', blockSize, symmetric });
    } catch (error) {
      skipAll(`the table cannot be quantized: ${(error as Error).message}`);
      continue;
    }
    const base = table.ref.name;
    const data = names.next(`${base}_Q4`);
    const scales = names.next(`${base}_scales`);
    const zeroPoints = q.zeroPoints ? names.next(`${base}_zero_points`) : undefined;
    const tensors = [
      makeRawTensor(data, DT.UINT8, [N, K / 2], q.packed),
      table.computeType === DT.FLOAT16
        ? makeRawTensor(
            scales,
            DT.FLOAT16,
            [N, q.kBlocks],
            littleEndianBytes(float32ArrayToFloat16(q.scales)),
          )
        : makeRawTensor(scales, DT.FLOAT, [N, q.kBlocks], littleEndianBytes(q.scales)),
    ];
    if (q.zeroPoints && zeroPoints)
      tensors.push(makeRawTensor(zeroPoints, DT.UINT8, [N, (q.kBlocks + 1) >> 1], q.zeroPoints));
    plans.push({
      weights,
      gathers,
      graph: table.ref.graph,
      tensors,
      data,
      scales,
      zeroPoints,
      floatBytes: storedBytes(table.ref),
      quantizedBytes: tensors.reduce((a, t) => a + t.rawData.length, 0),
    });
  }
  return { plans, skipped };
}

/** Why a Gather's table cannot be stored as GatherBlockQuantized reads it, from the Gather and table alone. */
function staticReason(
  node: NodeProto,
  weight: ResolvedWeight,
  { blockSize, symmetric, blockSizes, tiedTables }: TableGatherOptions,
): string | undefined {
  const axis = gatherAxis(node, weight.dims.length);
  if (axis !== 0)
    return `it gathers along axis ${axis}; GatherBlockQuantized looks up rows of a 4-bit table (axis 0)`;
  if (weight.transpose) return 'it reads the table through a Transpose (a 4-bit copy holds rows as stored)';
  if (weight.computeType !== DT.FLOAT && weight.computeType !== DT.FLOAT16)
    return 'GatherBlockQuantized on CPU gives float32 or float16; this table is used as bfloat16';
  if (weight.dims.length !== 2)
    return `the table has rank ${weight.dims.length}; GatherBlockQuantized here takes a 2-D table`;
  if (tiedTables.has(storedKey(weight)))
    return "its table is tied to a quantized head whose 4-bit rows the head's own Gathers read; this one is outside the head's graph";
  const K = weight.dims[1]!;
  if (K % blockSize !== 0) {
    const fits = blockSizes.filter((b) => K % b === 0);
    return (
      `rows of ${K} values are not whole blocks of ${blockSize}, and GatherBlockQuantized has no padding` +
      (fits.length > 0 ? ` (--block-size ${fits.join(' or ')} fits)` : '')
    );
  }
  if (!symmetric) {
    const odd = oddBlocksReason(K, blockSize, blockSizes);
    if (odd) return odd;
  }
  // Whole blocks of 16 or more are always smaller than the table: half a byte a value, plus a scale (and half a
  // zero point byte) a block, at most 0.79 bytes a value against 2 (float16) or 4 (float32). No size check is needed.
  return undefined;
}

/**
 * Why an --asymmetric 4-bit table with rows of `K` values cannot be a GatherBlockQuantized at `blockSize`: an odd
 * number of blocks a row, whose zero points onnxruntime's WebGPU kernel refuses (see above); undefined when even.
 */
export function oddBlocksReason(
  K: number,
  blockSize: number,
  blockSizes: readonly number[],
): string | undefined {
  const blocks = K / blockSize;
  if (blocks % 2 === 0) return undefined;
  const even = blockSizes.filter((b) => K % b === 0 && (K / b) % 2 === 0);
  return (
    `with --asymmetric, rows of ${K} values are ${blocks} ${blocks === 1 ? 'block' : 'blocks'} of ${blockSize}, an odd ` +
    "count, whose zero points onnxruntime's WebGPU GatherBlockQuantized refuses" +
    (even.length > 0
      ? ` (--block-size ${even.join(' or ')} gives an even count)`
      : ' (without --asymmetric the table is quantized)')
  );
}

/**
 * A node (as words) other than `gathers` that reads `name` of `graph` in float, or a graph output listing it;
 * undefined when there is none. Readers in subgraphs that do not define the name themselves count; a Cast or
 * Transpose in `views` is looked through to its own readers.
 */
function otherFloatReader(
  graph: GraphProto,
  name: string,
  gathers: ReadonlySet<NodeProto>,
  views: ReadonlySet<NodeProto>,
): string | undefined {
  for (const reader of readersOf(graph, name)) {
    if (reader.output) return `the graph output '${name}'`;
    const { node } = reader;
    if (gathers.has(node)) continue;
    if (views.has(node) && isDefaultDomain(node.domain) && node.output[0]) {
      const further = otherFloatReader(reader.graph, node.output[0], gathers, views);
      if (further) return further;
      continue;
    }
    return `${node.opType} '${nodeLabel(node)}'`;
  }
  return undefined;
}

type Reader = { output: true } | { output: false; node: NodeProto; graph: GraphProto };

function readersOf(graph: GraphProto, name: string): Reader[] {
  const out: Reader[] = [];
  if (graph.output.some((o) => o.name === name)) out.push({ output: true });
  for (const node of graph.node) {
    if (node.input.includes(name)) out.push({ output: false, node, graph });
    for (const sub of subgraphsOf(node))
      if (!localDefinitions(sub).has(name)) out.push(...readersOf(sub, name));
  }
  return out;
}

/**
 * Writes each plan's tensors into the graph that stores its table and turns its Gathers into
 * GatherBlockQuantized in place (same name, same output). `mainGraph` and `irVersion`: an IR < 4 model declares
 * main-graph initializers as inputs too (onnxruntime refused one read only inside an If branch otherwise).
 */
export function rewriteTableGathers(
  plans: readonly TablePlan[],
  blockSize: number,
  mainGraph: GraphProto | undefined,
  irVersion: bigint,
): void {
  for (const plan of plans) {
    plan.graph.initializer.push(...plan.tensors);
    if (irVersion < 4n && plan.graph === mainGraph)
      plan.graph.input.push(
        ...plan.tensors.map((t) => makeValueInfo(t.name, t.dataType, t.dims.map(Number))),
      );
    for (const gather of plan.gathers) {
      gather.opType = 'GatherBlockQuantized';
      gather.domain = 'com.microsoft';
      gather.input = [plan.data, gather.input[1] ?? '', plan.scales];
      if (plan.zeroPoints) gather.input.push(plan.zeroPoints);
      gather.attribute = [
        makeAttribute('gather_axis', { int: 0 }),
        makeAttribute('quantize_axis', { int: 1 }),
        makeAttribute('block_size', { int: blockSize }),
        makeAttribute('bits', { int: 4 }),
      ];
    }
  }
}

/** Tables int4's note names before `and N more`. */
const LISTED_TABLES = 3;

/**
 * int4's note on the tables it stored in 4 bits: which (the largest first), their bytes before and after, and how to
 * keep them float. `keepFloat`: the op types an `--op-types` without Gather would name, only those the model has
 * nodes of (`--op-types MatMul,Gemm` advised on a model without a Gemm drew "names Gemm, of which this model has no
 * node"); empty, only --exclude-nodes is offered. A user test read the note it replaces ("2 Gathers of 2 float
 * tables no quantized head shares (an embedding, a position table)") as garbled, and it named both kinds of table
 * where one was quantized.
 */
export function tableGathersNote(
  plans: readonly TablePlan[],
  options: { blockSize: number; symmetric: boolean; keepFloat: readonly string[] },
): string {
  const before = plans.reduce((a, p) => a + p.floatBytes, 0);
  const after = plans.reduce((a, p) => a + p.quantizedBytes, 0);
  const gathers = plans.reduce((a, p) => a + p.gathers.length, 0);
  const names = [...plans]
    .sort((a, b) => b.floatBytes - a.floatBytes)
    .map((p) => `'${p.weights[0]!.ref.name}'`);
  const listed =
    names.length > LISTED_TABLES
      ? `${names.slice(0, LISTED_TABLES).join(', ')} and ${names.length - LISTED_TABLES} more`
      : names.join(', ');
  const one = plans.length === 1;
  const opTypes = options.keepFloat.length > 0 ? `--op-types ${options.keepFloat.join(',')}` : undefined;
  const excluded = one
    ? `--exclude-nodes with the ${gathers === 1 ? 'Gather that reads' : 'Gathers that read'} it`
    : '--exclude-nodes with the Gathers that read it';
  const keep = one
    ? `To keep it in float: ${opTypes ? `${opTypes}, or ` : ''}${excluded}.`
    : opTypes
      ? `To keep them in float: ${opTypes}; to keep one: ${excluded}.`
      : `To keep one in float: ${excluded}.`;
  return (
    `${counted(plans.length, 'table')} that ${gathers === 1 ? 'a Gather reads' : 'Gathers read'} (${listed}) ` +
    `${one ? 'is' : 'are'} stored in 4 bits as com.microsoft GatherBlockQuantized (block ${options.blockSize}, ` +
    `${options.symmetric ? 'symmetric' : 'with zero points'}): ${before} -> ${after} bytes ` +
    `(${((after / before) * 100).toFixed(1)}%). ONNX Runtime only. ${keep}`
  );
}
