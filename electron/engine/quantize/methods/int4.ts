import { counted } from '../../../../shared/counted.js';
import {
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType as DT,
} from 'onnx-buf';
import { z } from 'zod';
import { floatAttribute, intAttribute } from '../../onnx/attributes.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import { float32ArrayToFloat16 } from '../../onnx/float16.js';
import {
  UniqueNameGenerator,
  opsetVersion,
  perGraph,
  setOpsetVersion,
  ValueTypes,
} from '../../onnx/graph.js';
import { littleEndianBytes, makeAttribute, makeRawTensor, makeValueInfo } from '../../onnx/graph-build.js';
import { nodeLabel } from '../../onnx/node-label.js';
import { registerQuantizeMethod } from '../method-registry.js';
import type { QuantizeInput, QuantizeMethod, QuantizeOutcome, SkippedNode } from '../quantize-method.js';
import { type WeightLayout, quantizeBlockwise4Bit } from '../weight-only/int4-kernel.js';
import {
  type GatherCandidate,
  oddBlocksReason,
  planTableGathers,
  rewriteTableGathers,
  storedKey,
  tableGathersNote,
} from '../weight-only/table-gather.js';
import { rewriteTiedGathers, sharesRows, tiedGathers } from '../weight-only/tied-gather.js';
import {
  type GraphScope,
  NodeProgress,
  type ResolvedWeight,
  graphScopes,
  keptInFloatNote,
  removeUnusedOriginals,
  resolveWeight,
  selectNode,
  skippedRecord,
  storedBytes,
  throwIfCancelled,
} from '../weight-only/weights.js';
import {
  int4OptionsSchema,
  QUANTIZE_METHOD_SPECS,
  INT4_BLOCK_SIZES,
} from '../../../../shared/options/quantize-options.js';

/*
 * int4: weight-only block-wise 4-bit quantization of MatMul weights into ONNX Runtime's
 * com.microsoft MatMulNBits (bits = 4), and of the float tables Gathers read into com.microsoft
 * GatherBlockQuantized. Each MatMul(A, B) with a constant 2-D B [K, N] becomes
 *
 *   MatMulNBits(A, B_Q4 uint8 [N, k_blocks, block_size / 2], B_scales [N * k_blocks]
 *               [, B_zero_points uint8 [N * ceil(k_blocks / 2)]])   K, N, bits = 4, block_size, accuracy_level
 *
 * (layout and arithmetic in weight-only/int4-kernel.ts). Symmetric by default: no zero_points input,
 * the kernel's default zero point 8. --asymmetric adds packed 4-bit zero points. A Gemm with a constant
 * B, transA = 0 and a bias C that is absent or a constant of N values is converted too: B is [N, K]
 * already when transB = 1, alpha is folded into the scales and beta * C becomes MatMulNBits' bias.
 * A B read through a 2-D Transpose of a constant (a head tied to the embedding, as PyTorch exports it)
 * is the stored [N, K] table, quantized as transB; the table's Gathers then read the same 4-bit rows
 * (weight-only/tied-gather.ts). One B shared by several MatMuls is quantized once.
 *
 * A Gather (axis 0) of a constant 2-D table no head shares (an embedding not tied to the head, a position
 * table) becomes GatherBlockQuantized(T_Q4 uint8 [N, K / 2], ids, T_scales [N, K / block_size]
 * [, T_zero_points uint8 [N, ceil(k_blocks / 2)]]) when every float reader of the table is such a Gather
 * (weight-only/table-gather.ts): on a small decoder those tables were most of int4's output, larger than
 * int8-weight's. `--op-types` without Gather (MatMul, and Gemm where the model has one) or --exclude-nodes on the
 * Gather keeps a table float.
 * The model's default-domain opset is untouched; opset_import gains com.microsoft 1.
 *
 * accuracy_level 4 (default): the CPU kernel quantizes A to int8 per block on the fly and runs the
 * int8 dot-product path (AVX2 / AVX512-VNNI on x86, NEON dot products / KleidiAI on ARM). Measured with
 * onnxruntime-node 1.30 on this project's x86 CPU (AVX512-VNNI, 1 thread, 2048 x 2048 weight, block 32):
 * M = 1: 0.10 ms at level 4 vs 0.47 ms at level 0 (which dequantizes to float32) and 0.94 ms for the
 * float32 MatMul; M = 64: 5.1 ms vs 6.9 ms (level 0) and 6.9 ms (float32). The cost is the int8
 * rounding of A (about 0.5% relative error per output), small next to the 4-bit weight error.
 */

export { INT4_BLOCK_SIZES };

export { int4OptionsSchema };

type Int4Options = z.infer<typeof int4OptionsSchema>;

export const INT4_OP_TYPES: ReadonlySet<string> = new Set(['MatMul', 'Gemm', 'Gather']);

interface Plan {
  /** Tensors MatMulNBits reads: B, scales, optional zero points. */
  b: string;
  scales: string;
  zeroPoints: string | undefined;
  graph: GraphProto;
  tensors: TensorProto[];
  K: number;
  N: number;
  weight: ResolvedWeight;
  /**
   * Set when B's blocks are a table's rows that a Gather may share (weight-only/tied-gather.ts): the value each
   * reading graph names the table by (several when heads in several subgraphs share the plan).
   */
  tied: { value: string; scope: GraphScope }[] | undefined;
}

async function quantizeInt4(input: QuantizeInput<Int4Options>): Promise<QuantizeOutcome> {
  const { model, common, options, note, signal } = input;
  throwIfCancelled(signal);
  if (common.perTensor || common.reduceRange) {
    note('--per-tensor and --reduce-range do not apply to block-wise int4 and were ignored.');
  }
  const symmetric = !common.asymmetric;
  const blockSize = options.blockSize;
  const allowOverridable = model.irVersion < 4n;
  const names = new UniqueNameGenerator(model);
  const skippedNodes: SkippedNode[] = [];
  const candidates: { scope: GraphScope; node: NodeProto }[] = [];
  const gatherCandidates: GatherCandidate[] = [];
  // Why each Gather that int4 leaves alone stays float, for the note on the float tables left in the file.
  const whyFloat = new Map<NodeProto, string>();
  // Before any rewrite: the op types the model has, which the advice to keep tables float may name.
  const opTypesPresent = new Set<string>();
  for (const scope of graphScopes(model)) {
    for (const node of scope.graph.node) {
      if (isDefaultDomain(node.domain)) opTypesPresent.add(node.opType);
      const selection = selectNode(node, common, INT4_OP_TYPES);
      const gather = node.opType === 'Gather' && isDefaultDomain(node.domain);
      if (selection.kind === 'skip') {
        skippedNodes.push(skippedRecord(node, selection));
        if (gather) whyFloat.set(node, selection.reason);
      } else if (selection.kind === 'candidate') {
        (gather ? gatherCandidates : candidates).push({ scope, node });
      } else if (gather) whyFloat.set(node, 'Gather is not in --op-types');
    }
  }
  const selectedGathers = new Set(gatherCandidates.map((c) => c.node));

  const progress = new NodeProgress(candidates.length + gatherCandidates.length, signal, input.onProgress);
  const plans = new Map<string, Plan>();
  const rewrites: {
    node: NodeProto;
    plan: Plan;
    bias: TensorProto | undefined;
    biasGraph: GraphProto;
    replaced: ResolvedWeight[];
  }[] = [];
  let quantizedBytes = 0;
  let floatWeightBytes = 0;

  // Planning reads the graphs and changes nothing, so one table of value types per graph holds throughout.
  const valueTypesOf = perGraph((graph) => new ValueTypes(graph));
  for (const { scope, node } of candidates) {
    const result = planNode(scope, node);
    if ('reason' in result)
      skippedNodes.push({ name: nodeLabel(node), opType: node.opType, reason: result.reason });
    else rewrites.push(result);
    await progress.step();
  }

  function planNode(
    scope: GraphScope,
    node: NodeProto,
  ):
    | {
        node: NodeProto;
        plan: Plan;
        bias: TensorProto | undefined;
        biasGraph: GraphProto;
        replaced: ResolvedWeight[];
      }
    | { reason: string } {
    const isGemm = node.opType === 'Gemm';
    const weight = resolveWeight(scope.index, node.input[1] ?? '', allowOverridable);
    if ('reason' in weight) return weight;
    if (weight.computeType !== DT.FLOAT && weight.computeType !== DT.FLOAT16) {
      return { reason: `MatMulNBits on CPU takes float32 or float16; B is used as bfloat16` };
    }
    if (weight.dims.length !== 2)
      return { reason: `B has rank ${weight.dims.length}; MatMulNBits takes a 2-D weight` };
    const aInfo = valueTypesOf(scope.graph).get(node.input[0] ?? '');
    if (aInfo?.rankKnown && aInfo.shape.length < 2)
      return { reason: `A has rank ${aInfo.shape.length}; MatMulNBits needs rank >= 2` };
    let transposed = weight.transpose?.swapped === true;
    let alpha = 1;
    let bias: TensorProto | undefined;
    const replaced = [weight];
    if (isGemm) {
      if (intAttribute(node, 'transA', 0) !== 0)
        return { reason: 'Gemm with transA = 1 (A would need a Transpose)' };
      if (intAttribute(node, 'transB', 0) !== 0) transposed = !transposed;
      alpha = floatAttribute(node, 'alpha', 1);
    }
    // A tied head's Transpose(table) is B = table^T: the stored [N, K] table is MatMulNBits' own layout.
    const layout: WeightLayout = transposed ? 'NK' : 'KN';
    const [K, N] = layout === 'KN' ? [weight.dims[0]!, weight.dims[1]!] : [weight.dims[1]!, weight.dims[0]!];
    if (isGemm && (node.input[2] ?? '') !== '') {
      const beta = floatAttribute(node, 'beta', 1);
      const c = resolveWeight(scope.index, node.input[2]!, allowOverridable);
      if ('reason' in c) return { reason: `Gemm bias C: ${c.reason}` };
      if (c.transpose)
        return { reason: 'Gemm bias C is a Transpose of a constant; MatMulNBits takes a [N] bias' };
      const count = c.dims.reduce((a, b) => a * b, 1);
      if (count !== N || c.dims.length > 2 || (c.dims.length === 2 && c.dims[0] !== 1)) {
        return { reason: `Gemm bias C has shape [${c.dims.join(', ')}]; MatMulNBits' bias must be [${N}]` };
      }
      if (beta !== 0) {
        const values = Float32Array.from(c.values, (v) => v * beta);
        const name = names.next(`${c.ref.name}_bias`);
        bias =
          weight.computeType === DT.FLOAT16
            ? makeRawTensor(name, DT.FLOAT16, [N], littleEndianBytes(float32ArrayToFloat16(values)))
            : makeRawTensor(name, DT.FLOAT, [N], littleEndianBytes(values));
        replaced.push(c);
      }
    }
    const kBlocks = Math.ceil(K / blockSize);
    const packedBytes =
      N * kBlocks * (blockSize / 2 + (weight.computeType === DT.FLOAT16 ? 2 : 4)) +
      (symmetric ? 0 : N * Math.ceil(kBlocks / 2));
    const original = storedBytes(weight.ref);
    if (packedBytes >= original) {
      return { reason: `B (${K} x ${N}) is too small to gain from 4-bit blocks of ${blockSize}` };
    }
    // One quantized copy per weight in the model, in the graph that stores the float weight: every reader (the
    // graph itself, its If branches and Loop bodies) sees it there, as the original (an Optimum merged decoder's
    // two branches read the same outer weights; a copy per branch doubled the file).
    const key = `${weight.key}|${layout}|${alpha}`;
    let plan = plans.get(key);
    const tiedValue = weight.transpose ? weight.transpose.node.input[0]! : node.input[1]!;
    if (plan) {
      if (plan.tied && !plan.tied.some((t) => t.scope === scope && t.value === tiedValue))
        plan.tied.push({ value: tiedValue, scope });
    } else {
      let q: ReturnType<typeof quantizeBlockwise4Bit>;
      try {
        q = quantizeBlockwise4Bit(weight.values, { K, N, layout, blockSize, symmetric });
      } catch (error) {
        return { reason: `B cannot be quantized: ${(error as Error).message}` };
      }
      if (alpha !== 1) for (let i = 0; i < q.scales.length; i++) q.scales[i]! *= alpha;
      const base = weight.ref.name;
      const bName = names.next(`${base}_Q4`);
      const sName = names.next(`${base}_scales`);
      const zName = q.zeroPoints ? names.next(`${base}_zero_points`) : undefined;
      const tensors = [
        makeRawTensor(bName, DT.UINT8, [N, q.kBlocks, q.blobSize], q.packed),
        weight.computeType === DT.FLOAT16
          ? makeRawTensor(
              sName,
              DT.FLOAT16,
              [N * q.kBlocks],
              littleEndianBytes(float32ArrayToFloat16(q.scales)),
            )
          : makeRawTensor(sName, DT.FLOAT, [N * q.kBlocks], littleEndianBytes(q.scales)),
      ];
      if (q.zeroPoints && zName)
        tensors.push(makeRawTensor(zName, DT.UINT8, [q.zeroPoints.length], q.zeroPoints));
      const tied =
        layout === 'NK' && sharesRows(K, blockSize, alpha) ? [{ value: tiedValue, scope }] : undefined;
      plan = {
        b: bName,
        scales: sName,
        zeroPoints: zName,
        graph: weight.ref.graph,
        tensors,
        K,
        N,
        weight,
        tied,
      };
      plans.set(key, plan);
      quantizedBytes += tensors.reduce((a, t) => a + t.rawData.length, 0);
      floatWeightBytes += original;
    }
    return { node, plan, bias, biasGraph: scope.graph, replaced };
  }

  // Apply: initializers into the graph of the stored weight; each node becomes MatMulNBits in place (same name,
  // same output), so the graph order stays valid.
  for (const plan of plans.values()) {
    plan.graph.initializer.push(...plan.tensors);
    // IR < 4 declares every main-graph initializer as an input too: onnxruntime refused one read only by an If branch.
    if (model.irVersion < 4n && plan.graph === model.graph)
      plan.graph.input.push(
        ...plan.tensors.map((t) => makeValueInfo(t.name, t.dataType, t.dims.map(Number))),
      );
  }
  for (const { node, plan, bias, biasGraph } of rewrites) {
    const inputs = [node.input[0] ?? '', plan.b, plan.scales];
    if (plan.zeroPoints) inputs.push(plan.zeroPoints);
    if (bias) {
      biasGraph.initializer.push(bias);
      while (inputs.length < 5) inputs.push('');
      inputs.push(bias.name);
    }
    node.opType = 'MatMulNBits';
    node.domain = 'com.microsoft';
    node.input = inputs;
    node.attribute = [
      makeAttribute('K', { int: plan.K }),
      makeAttribute('N', { int: plan.N }),
      makeAttribute('bits', { int: 4 }),
      makeAttribute('block_size', { int: blockSize }),
      makeAttribute('accuracy_level', { int: options.accuracyLevel }),
    ];
  }
  // A tied embedding's Gathers read the head's 4-bit rows, so the float table can leave the file.
  const gatherTables: ResolvedWeight[] = [];
  let gathersQuantized = 0;
  for (const plan of plans.values()) {
    // With zero points, rows of an odd number of blocks are refused by WebGPU's GatherBlockQuantized: the Gathers are
    // then judged as any table's below, which keeps them float and says why (table-gather.ts).
    if (!plan.tied || (!symmetric && oddBlocksReason(plan.K, blockSize, INT4_BLOCK_SIZES))) continue;
    // The Gathers of each head's graph; the Reshapes they read go once into the plan's graph, which they all see.
    const gathers: NodeProto[] = [];
    for (const { value, scope } of plan.tied) {
      for (const g of tiedGathers({ ...plan, value, graph: scope.graph }, common.excludeNodes)) {
        if (!selectedGathers.has(g)) continue;
        gathers.push(g);
        const w = resolveWeight(scope.index, g.input[0] ?? '', allowOverridable);
        if (!('reason' in w)) gatherTables.push(w);
      }
    }
    if (gathers.length === 0) continue;
    rewriteTiedGathers({ ...plan, value: plan.tied[0]!.value }, gathers, blockSize, names);
    gathersQuantized += gathers.length;
  }
  // Every other table a selected Gather reads: its own 4-bit copy, where nothing else reads it in float. Planned
  // now, on the rewritten graphs, since a MatMul that became MatMulNBits no longer reads a table in float.
  const views = new Set<NodeProto>();
  for (const w of rewrites.flatMap((r) => r.replaced)) {
    if (w.transpose) views.add(w.transpose.node);
    if (w.cast) views.add(w.cast);
  }
  const tables = planTableGathers(
    gatherCandidates.filter((c) => c.node.opType === 'Gather'),
    {
      blockSize,
      symmetric,
      blockSizes: INT4_BLOCK_SIZES,
      tiedTables: new Set(gatherTables.map(storedKey)),
      views,
      allowOverridable,
    },
    names,
  );
  for (const { node, reason } of tables.skipped) {
    skippedNodes.push({ name: nodeLabel(node), opType: node.opType, reason });
    whyFloat.set(node, reason);
  }
  rewriteTableGathers(tables.plans, blockSize, model.graph, model.irVersion);
  const tableGathers = tables.plans.reduce((a, p) => a + p.gathers.length, 0);
  if (gatherCandidates.length > 0) await progress.step(gatherCandidates.length);
  const { inputsRemoved, keptInFloat } = removeUnusedOriginals([
    ...rewrites.flatMap((r) => r.replaced),
    ...gatherTables,
    ...tables.plans.flatMap((p) => p.weights),
  ]);

  if (rewrites.length > 0 || tableGathers > 0) {
    if ((opsetVersion(model, 'com.microsoft') ?? 0) < 1) setOpsetVersion(model, 'com.microsoft', 1);
  }
  if (rewrites.length > 0) {
    note(
      `${counted(rewrites.length, 'node')} became com.microsoft MatMulNBits (4-bit, block ${blockSize}, ${symmetric ? 'symmetric' : 'with zero points'}, ` +
        `accuracy_level ${options.accuracyLevel}); ${counted(plans.size, 'weight')}: ${floatWeightBytes} -> ${quantizedBytes} bytes ` +
        `(${((quantizedBytes / floatWeightBytes) * 100).toFixed(1)}%). MatMulNBits runs in ONNX Runtime only.`,
    );
    if (gathersQuantized > 0) {
      note(
        `${counted(gathersQuantized, 'Gather')} of a table tied to a quantized head became com.microsoft GatherBlockQuantized, ` +
          "reading the head's 4-bit rows, so the float table is not kept (ONNX Runtime only; --exclude-nodes with " +
          'the Gather keeps the embedding lookup in float, and the table with it).',
      );
    }
  }
  if (tableGathers > 0) {
    // The op types this run takes but Gather, of those the model has: `--op-types` with them keeps the tables float.
    const keepFloat = (common.opTypes ?? [...INT4_OP_TYPES]).filter(
      (t) => t !== 'Gather' && opTypesPresent.has(t),
    );
    note(tableGathersNote(tables.plans, { blockSize, symmetric, keepFloat }));
  }
  if (rewrites.length > 0 || tableGathers > 0) {
    const kept = keptInFloatNote(keptInFloat);
    if (kept) note(kept);
    const floatTables = floatGatherTablesNote(model, whyFloat);
    if (floatTables) note(floatTables);
    if (inputsRemoved > 0) {
      note(
        `${counted(inputsRemoved, 'quantized weight')} ${inputsRemoved === 1 ? 'was' : 'were'} also listed as graph inputs (IR < 4 style); ${inputsRemoved === 1 ? 'that input entry was' : 'those input entries were'} removed.`,
      );
    }
  }
  return { quantizedNodes: rewrites.length + gathersQuantized + tableGathers, skippedNodes };
}

/** Below this, float tables a Gather reads are not worth a note (a tiny lookup, a shape helper). */
const FLOAT_TABLE_NOTE_BYTES = 4096;

/**
 * Which float tables Gathers still read after int4, with their bytes and why int4 left them (an option, or the
 * reason in `whyFloat`): on a small decoder such tables made int4's output larger than int8-weight's without a
 * word of why (a user test).
 */
function floatGatherTablesNote(
  model: ModelProto,
  whyFloat: ReadonlyMap<NodeProto, string>,
): string | undefined {
  const tables = new Map<string, { bytes: number; reasons: Set<string> }>();
  for (const scope of graphScopes(model)) {
    for (const node of scope.graph.node) {
      if (node.opType !== 'Gather' || !isDefaultDomain(node.domain)) continue;
      // Overridable tables too: an IR >= 4 model's stay float, with their reason in `whyFloat`.
      const w = resolveWeight(scope.index, node.input[0] ?? '', true);
      if ('reason' in w) continue;
      const table = tables.get(w.ref.name) ?? { bytes: storedBytes(w.ref), reasons: new Set<string>() };
      const why = whyFloat.get(node);
      if (why) table.reasons.add(why);
      tables.set(w.ref.name, table);
    }
  }
  const bytes = [...tables.values()].reduce((a, t) => a + t.bytes, 0);
  if (bytes < FLOAT_TABLE_NOTE_BYTES) return undefined;
  const listed = [...tables].sort((a, b) => b[1].bytes - a[1].bytes);
  const why = (t: { reasons: Set<string> }) => [...t.reasons].join('; ');
  const advice = '--method int8-weight stores such tables in int8.';
  if (listed.length === 1) {
    const [name, t] = listed[0]!;
    return `'${name}' that a Gather reads stays in float (${bytes} bytes)${why(t) ? `: ${why(t)}` : ''}. ${advice}`;
  }
  const shown = listed
    .slice(0, 3)
    .map(([name, t]) => `'${name}' (${t.bytes} bytes${why(t) ? `: ${why(t)}` : ''})`);
  const more = listed.length > 3 ? `, and ${counted(listed.length - 3, 'more table')}` : '';
  return `${listed.length} float tables that Gathers read stay in float (${bytes} bytes): ${shown.join(', ')}${more}. ${advice}`;
}

export const int4Method: QuantizeMethod<typeof int4OptionsSchema> = {
  ...QUANTIZE_METHOD_SPECS.int4,
  quantize: quantizeInt4,
  streamsExternalData: true,
  opTypes: [...INT4_OP_TYPES],
  selectableOpTypes: [...INT4_OP_TYPES],
};

registerQuantizeMethod(int4Method);
