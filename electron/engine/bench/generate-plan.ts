/**
 * What `bench --generate` feeds a decoder with a KV cache at each step, read from the model once: which input takes
 * the token ids (as eval's next-token code finds them, next-token-plan.ts), the attention mask, the positions, the
 * merged export's cache switch, each cache input with the output that holds its next value (generate-cache-map.ts),
 * the logits, and the rows of a position table the positions may not pass. Everything a loop could not feed is
 * refused here, in words, before any session is made.
 */
import type { ModelProto } from 'onnx-buf';
import type * as ort from 'onnxruntime-node';
import {
  dimMayBeEmpty,
  isCacheInput,
  isCacheSwitchName,
  isPastLengthName,
  sumTerms,
} from '../../../shared/cache-dims.js';
import { isPositionIdsName } from '../../../shared/input-spec.js';
import type { TensorSummary } from '../../../shared/model-summary.js';
import { StudioError } from '../errors.js';
import { planNextToken } from '../evaluate/next-token-plan.js';
import { isMaskName } from '../evaluate/padding-mask.js';
import { INTEGER_TYPES } from '../evaluate/task.js';
import { withIndexedTables } from '../inspect/index-bounds.js';
import { describeType } from '../inspect/inspect-model.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { type CachePair, mapCacheOutputs } from './generate-cache-map.js';

/** A cache input, the output that feeds it next, and its empty first value. */
export interface CacheFeed extends CachePair {
  type: ort.Tensor.Type;
  /**
   * Its shape at a past of 0 and batch 1: `[1, heads, 0, head_dim]`; fixed dims as declared, so GPT-2's stacked
   * `past_N` [2, batch, heads, past, head_dim] is `[2, 1, heads, 0, head_dim]`.
   */
  emptyDims: number[];
}

/** An input the loop fills itself, with its element type. */
export interface LoopInput {
  name: string;
  type: ort.Tensor.Type;
  rank: number;
}

export interface GenerationPlan {
  label: string;
  ids: LoopInput;
  mask?: LoopInput;
  positions?: LoopInput;
  /** The merged export's `use_cache_branch`: false for the prefill, true for every decode step. */
  cacheSwitch?: LoopInput & { dims: number[] };
  cache: CacheFeed[];
  logits: string;
  /** Inputs of no sequence dim (none in Optimum's exports), fed every step as the prompt's feed gave them. */
  fixed: string[];
  /** The table the ids index (the token embedding), where the graph shows one: every id must be below its rows. */
  vocabulary?: { rows: number; table: string };
  /** The rows of the position table the positions index, where the graph shows one: prompt + steps must fit. */
  positionLimit?: { rows: number; table: string; input: string };
}

/** The names `bench --generate` fills itself (a --value for one of them is refused), found by name alone. */
export function loopInputNames(proto: ModelProto): {
  mask?: string;
  positions?: string;
  cacheSwitch?: string;
} {
  const weights = new Set(proto.graph?.initializer.map((t) => t.name));
  const names = (proto.graph?.input ?? []).map((i) => i.name).filter((n) => !weights.has(n));
  const mask = names.find(isMaskName);
  const positions = names.find(isPositionIdsName);
  const cacheSwitch = names.find(isCacheSwitchName);
  return {
    ...(mask ? { mask } : {}),
    ...(positions ? { positions } : {}),
    ...(cacheSwitch ? { cacheSwitch } : {}),
  };
}

const EXPORT_HINT =
  "inputs named past_key_values.N.key/value [batch, heads, past_sequence_length, head_dim] and outputs present.N.key/value, as Optimum's decoder_with_past_model.onnx or decoder_model_merged.onnx";

/** The plan for one model, from its proto and its inputs as resolved for the prompt (a past of 0). */
export function planGeneration(
  proto: ModelProto,
  resolved: readonly ResolvedInput[],
  label: string,
): GenerationPlan {
  const graph = proto.graph;
  if (!graph) throw new StudioError('MODEL_INVALID', `${label} has no graph.`);
  const byName = new Map(resolved.map((r) => [r.name, r]));
  const cacheInputs = resolved.filter((r) => isCacheInput({ name: r.name, shape: r.declared }));
  if (cacheInputs.length === 0)
    throw new StudioError(
      'BAD_INPUT',
      `--generate needs a decoder with a KV cache: ${label} has no cache inputs (${EXPORT_HINT}). Its inputs: ` +
        `${resolved.map((r) => `'${r.name}'`).join(', ') || 'none'}. Export it with its cache (optimum-cli export onnx ` +
        `--task text-generation-with-past), or time single runs without --generate.`,
    );
  const outputs = graph.output.map((o) => ({ name: o.name, shape: describeType(o.type).shape }));
  const pairs = mapCacheOutputs(
    cacheInputs.map((r) => ({ name: r.name, shape: r.declared })),
    outputs,
    label,
  );
  const cacheOutputs = new Set(pairs.map((p) => p.output));
  const rest = outputs.filter((o) => !cacheOutputs.has(o.name));
  const logits = rest.find((o) => /logits/i.test(o.name)) ?? rest.find((o) => o.shape.length === 3);
  if (!logits)
    throw new StudioError(
      'BAD_INPUT',
      `--generate reads the next token from the logits [batch, sequence, vocab], but ${label} has no such output beside ` +
        `its cache (outputs: ${outputs.map((o) => `'${o.name}'`).join(', ')}).`,
    );

  const summaries = withIndexedTables(
    graph,
    resolved.map((r): TensorSummary => ({ name: r.name, dtype: r.ortType, shape: r.declared })),
  );
  const summaryOf = (name: string) => summaries.find((s) => s.name === name);
  const loop = (r: ResolvedInput | undefined): LoopInput | undefined =>
    r ? { name: r.name, type: r.ortType, rank: r.declared.length } : undefined;
  const isLoopName = (n: string) => isMaskName(n) || isPositionIdsName(n) || isCacheSwitchName(n);
  const cacheNames = new Set(cacheInputs.map((c) => c.name));
  const ids = idsInput(resolved, summaries, cacheNames, logits.shape.at(-1), label);
  // The cache's batch axis is the one named as the ids' batch (GPT-2's stacked past_N has a fixed 2 before it).
  const idsBatch = byName.get(ids.name)!.declared[0];
  const batchName = typeof idsBatch === 'string' && idsBatch !== '' ? idsBatch : undefined;
  const cache = pairs.map((pair): CacheFeed => {
    const input = byName.get(pair.input)!;
    const axis = input.declared.findIndex((_, i) =>
      dimMayBeEmpty({ name: input.name, shape: input.declared }, i),
    );
    if (axis < 0)
      throw new StudioError(
        'BAD_INPUT',
        `--generate grows each cache a token a step, but ${label}'s cache input '${input.name}' declares no open past ` +
          `length ([${input.declared.map((d) => d ?? '?').join(', ')}]): a fixed-size cache is not supported.`,
      );
    if (input.dims[axis] !== 0)
      throw new StudioError(
        'BAD_REQUEST',
        `--generate starts from an empty cache (a past of 0) and grows it a token a step, but the input spec gives ` +
          `'${input.name}' a past of ${input.dims[axis]}. Leave the past length unset (drop --dim ${String(input.declared[axis])}=...).`,
      );
    return {
      ...pair,
      type: input.ortType,
      emptyDims: emptyCacheDims(input, axis, batchName),
    };
  });
  const mask = loop(resolved.find((r) => isMaskName(r.name)));
  if (mask && (mask.rank !== 2 || !['int64', 'int32', 'bool', 'float32'].includes(mask.type)))
    throw new StudioError(
      'BAD_INPUT',
      `--generate feeds the attention mask [batch, past + new tokens] of int64, int32, bool or float32, but ${label}'s ` +
        `'${mask.name}' is ${mask.type} of ${mask.rank} dims.`,
    );
  const positions = loop(resolved.find((r) => isPositionIdsName(r.name)));
  if (positions && (positions.rank < 1 || positions.rank > 2 || !['int64', 'int32'].includes(positions.type)))
    throw new StudioError(
      'BAD_INPUT',
      `--generate feeds positions as int64 or int32 [batch, new tokens] (or [new tokens]), but ${label}'s ` +
        `'${positions.name}' is ${positions.type} of ${positions.rank} dims.`,
    );
  const switchInput = resolved.find((r) => isCacheSwitchName(r.name) && r.ortType === 'bool');
  const fixed = resolved.filter((r) => r.name !== ids.name && !cacheNames.has(r.name) && !isLoopName(r.name));
  const seqDim = byName.get(ids.name)!.declared[1];
  for (const other of fixed) {
    const grows = other.declared.find(
      (d) => typeof d === 'string' && (d === seqDim || isPastLengthName(d) || sumTerms(d) !== undefined),
    );
    if (grows !== undefined)
      throw new StudioError(
        'BAD_INPUT',
        `--generate cannot tell how ${label}'s input '${other.name}' grows from step to step (its dim '${String(grows)}' ` +
          `follows the tokens). It feeds ${ids.name}, the attention mask, positions, the cache and use_cache_branch only.`,
      );
  }
  const vocabulary = summaryOf(ids.name)?.indexes;
  return {
    label,
    ids,
    ...(vocabulary ? { vocabulary } : {}),
    ...(mask ? { mask } : {}),
    ...(positions ? { positions } : {}),
    ...(switchInput ? { cacheSwitch: { ...loop(switchInput)!, dims: switchInput.dims } } : {}),
    cache,
    logits: logits.name,
    fixed: fixed.map((f) => f.name),
    ...positionLimitOf(positions && summaryOf(positions.name), mask && summaryOf(mask.name)),
  };
}

/**
 * A cache input's shape at a past of 0 and batch 1: the past axis 0, fixed dims as declared, the batch axis 1 (the
 * one named as the ids' batch, else the first open axis), the other open dims as resolved (heads, head_dim).
 */
function emptyCacheDims(input: ResolvedInput, pastAxis: number, batchName: string | undefined): number[] {
  const open = (i: number) => i !== pastAxis && typeof input.declared[i] !== 'number';
  const named = batchName === undefined ? -1 : input.declared.findIndex((d, i) => d === batchName && open(i));
  const batchAxis = named >= 0 ? named : input.declared.findIndex((_, i) => open(i));
  return input.dims.map((d, i) => {
    const declared = input.declared[i];
    if (i === pastAxis) return 0;
    if (typeof declared === 'number') return declared;
    return i === batchAxis ? 1 : d;
  });
}

/**
 * The input of token ids: the one next-token metrics would grade (next-token-plan.ts: an integer input [batch, T]
 * beside logits [batch, T, V], the vocabulary's table first, names breaking ties), shapes only; else the only
 * integer input of rank 2 that is no mask, positions, switch or cache.
 */
function idsInput(
  resolved: readonly ResolvedInput[],
  summaries: readonly TensorSummary[],
  cacheNames: ReadonlySet<string>,
  vocab: number | string | null | undefined,
  label: string,
): LoopInput {
  const candidates = summaries.filter(
    (s) => INTEGER_TYPES.has(s.dtype) && !cacheNames.has(s.name) && !isCacheSwitchName(s.name),
  );
  const rankOf = (name: string) => resolved.find((r) => r.name === name)!.declared.length;
  let chosen: string | undefined;
  if (typeof vocab === 'number' && vocab >= 2) {
    try {
      const plan = planNextToken({
        explicit: true,
        candidates: candidates.map((c) => ({
          name: c.name,
          type: c.dtype,
          ...(c.indexes ? { indexes: c.indexes } : {}),
        })),
        // Two tokens stand for the prompt: a plan reads shapes only, and one token would be `short`.
        fed: Object.fromEntries(
          candidates.map((c) => [c.name, { dims: rankOf(c.name) === 2 ? [1, 2] : [1] }]),
        ),
        outputs: [{ name: 'logits', type: 'float32', dims: [1, 2, vocab] }],
        firstScores: () => [],
      });
      if (plan && 'idsInput' in plan) chosen = plan.idsInput;
    } catch {
      // No fit by eval's rules: the names below decide, or the refusal says what there is.
    }
  }
  if (chosen === undefined) {
    const plain = candidates.filter(
      (c) => rankOf(c.name) === 2 && !isMaskName(c.name) && !isPositionIdsName(c.name),
    );
    if (plain.length === 1) chosen = plain[0]!.name;
  }
  const input = resolved.find((r) => r.name === chosen);
  if (!input || input.declared.length !== 2)
    throw new StudioError(
      'BAD_INPUT',
      `--generate needs one integer input of token ids [batch, sequence] beside the cache, but cannot tell it in ${label} ` +
        `(integer inputs: ${candidates.map((c) => `'${c.name}'`).join(', ') || 'none'}).`,
    );
  return { name: input.name, type: input.ortType, rank: 2 };
}

/** The smallest position table the positions (or the mask's length) index, as TensorSummary says. */
function positionLimitOf(
  positions: TensorSummary | undefined,
  mask: TensorSummary | undefined,
): { positionLimit?: GenerationPlan['positionLimit'] } {
  const limits: NonNullable<GenerationPlan['positionLimit']>[] = [];
  if (positions?.indexes)
    limits.push({ rows: positions.indexes.rows, table: positions.indexes.table, input: positions.name });
  const byMask = mask?.positionTables?.find((t) => t.axis === 1);
  if (mask && byMask) limits.push({ rows: byMask.longest, table: byMask.table, input: mask.name });
  const smallest = limits.sort((a, b) => a.rows - b.rows)[0];
  return smallest ? { positionLimit: smallest } : {};
}
