/**
 * One greedy generation on a decoder with a KV cache (`bench --generate`), as a runtime would do it: a prefill of the
 * whole prompt at a past of 0 (empty cache tensors, a mask of ones, positions 0..L-1, use_cache_branch false), then
 * one decode step per new token: the last id as input_ids [1, 1], a mask of ones [1, past + 1], position_ids
 * [[past]], each cache input the step before's present output, use_cache_branch true. The next id is the argmax of
 * the last position's logits. The present tensors onnxruntime returns are fed back as they are: the loop copies
 * nothing (onnxruntime-node has already copied each output into JS memory, inside the timed step, as in any loop on it).
 */
import * as ort from 'onnxruntime-node';
import { isDatasetDtype, numbersToArray, tensorToFloat64 } from '../datasets/element-convert.js';
import { StudioError } from '../errors.js';
import { float16ArrayToFloat32 } from '../onnx/float16.js';
import { runFailure } from '../runtime/run-failure.js';
import type { GenerationPlan, LoopInput } from './generate-plan.js';

export type Feed = Record<string, ort.Tensor>;

/** What one generation produced and how long each step took (ms). */
export interface GenerationRun {
  /** The first token and one per decode step. */
  ids: number[];
  /** The prefill and its argmax. */
  firstTokenMs: number;
  /** Each decode step: its feed, its run, its argmax. */
  stepMs: number[];
}

/** A tensor of `dims` holding `values(i)` at each element, of the input's type (fast paths for int64 and int32). */
function tensorOf(input: LoopInput, dims: readonly number[], value: (i: number) => number): ort.Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  if (input.type === 'int64') {
    const data = new BigInt64Array(count);
    for (let i = 0; i < count; i++) data[i] = BigInt(value(i));
    return new ort.Tensor('int64', data, dims);
  }
  if (input.type === 'int32')
    return new ort.Tensor(
      'int32',
      Int32Array.from({ length: count }, (_, i) => value(i)),
      dims,
    );
  if (!isDatasetDtype(input.type))
    throw new StudioError('BAD_INPUT', `--generate cannot feed input '${input.name}' of type ${input.type}.`);
  const values = Array.from({ length: count }, (_, i) => value(i));
  return new ort.Tensor(input.type, numbersToArray(values, input.type, input.name), dims);
}

/** A mask's values: a typed array of its type. */
type MaskData = BigInt64Array | Int32Array | Uint8Array | Float32Array;

/**
 * The mask's ones for a whole generation, made once: each step feeds a view of its first past + n (no copy), so that
 * a step at a long context does not spend its time filling a mask (2000 steps: 2000 BigInts a step).
 */
function maskOnes(plan: GenerationPlan, length: number): MaskData | undefined {
  return plan.mask ? (tensorOf(plan.mask, [1, length], () => 1).data as MaskData) : undefined;
}

/** The inputs of one step: `tokens` new ids after a past of `past`, beside `cache` (the prefill's are empty). */
function stepFeed(
  plan: GenerationPlan,
  tokens: readonly number[],
  past: number,
  cache: Feed,
  fixed: Feed,
  ones: MaskData | undefined = maskOnes(plan, past + tokens.length),
): Feed {
  const n = tokens.length;
  const feed: Feed = { ...fixed, ...cache };
  feed[plan.ids.name] = tensorOf(plan.ids, [1, n], (i) => tokens[i]!);
  if (plan.mask && ones)
    feed[plan.mask.name] = new ort.Tensor(plan.mask.type, ones.subarray(0, past + n), [1, past + n]);
  if (plan.positions)
    feed[plan.positions.name] = tensorOf(
      plan.positions,
      plan.positions.rank === 1 ? [n] : [1, n],
      (i) => past + i,
    );
  if (plan.cacheSwitch)
    feed[plan.cacheSwitch.name] = tensorOf(plan.cacheSwitch, plan.cacheSwitch.dims, () => (past > 0 ? 1 : 0));
  return feed;
}

/** Each cache input empty: `[1, heads, 0, head_dim]` of its type. */
export function emptyCache(plan: GenerationPlan): Feed {
  const feed: Feed = {};
  for (const c of plan.cache) {
    if (!isDatasetDtype(c.type))
      throw new StudioError(
        'BAD_INPUT',
        `--generate cannot feed cache input '${c.input}' of type ${c.type}.`,
      );
    feed[c.input] = new ort.Tensor(c.type, numbersToArray([], c.type, c.input), c.emptyDims);
  }
  return feed;
}

/**
 * The last position's scores as numbers. Only that row is read or converted: the prefill's logits are [1, L, V], and
 * decoding a whole float16 [1, 128, 32000] to numbers took ~47 ms inside the timed first token (float32: 0.1 ms).
 */
function lastRow(logits: ort.Tensor, vocab: number): ArrayLike<number> {
  const data = logits.data as Float32Array | Float64Array | Uint16Array;
  const start = data.length - vocab;
  if (logits.type === 'float32' || logits.type === 'float64') return data.subarray(start);
  // onnxruntime-node hands float16 back as its bit patterns.
  if (logits.type === 'float16' && data instanceof Uint16Array)
    return float16ArrayToFloat32(data.subarray(start));
  return tensorToFloat64(new ort.Tensor(logits.type, data.subarray(start), [vocab]));
}

/** The index of the largest of the last position's logits ([1, T, V]); the first of equal ones. */
export function argmaxLast(logits: ort.Tensor): number {
  const vocab = logits.dims.at(-1) ?? 0;
  if (vocab < 1 || logits.data.length - vocab < 0)
    throw new StudioError(
      'BAD_INPUT',
      `The logits [${logits.dims.join(', ')}] hold no scores to choose from.`,
    );
  const row = lastRow(logits, vocab);
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

function describe(feed: Feed) {
  return Object.entries(feed).map(([name, t]) => ({ name, dtype: t.type, shape: t.dims }));
}

/** Where a step of generate() stands: the prompt's length and the decode step (0: the prefill). */
interface StepContext {
  prompt: number;
  step: number;
}

async function runStep(
  session: ort.InferenceSession,
  plan: GenerationPlan,
  feed: Feed,
  step: string,
  context?: StepContext,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feed);
  } catch (error) {
    const failure = runFailure(error, describe(feed), `${plan.label} (${step})`);
    throw (context && pastPositions(error, plan, feed, step, context)) ?? failure;
  }
}

/**
 * A step that failed because the sequence outgrew a position table the graph computes its positions for (from the
 * past length: no position_ids input, so the plan's positionLimit could not refuse it first), in --generate's words.
 * Told as run-failure.ts tells a position past its table: a Gather index past its rows that no fed ids hold, and
 * here, not below the past (the new token's position, plus the table's offset if any). Undefined for other failures.
 */
function pastPositions(
  error: unknown,
  plan: GenerationPlan,
  feed: Feed,
  step: string,
  { prompt, step: s }: StepContext,
): StudioError | undefined {
  const reason = (error instanceof Error ? error.message : String(error)).trim();
  const match =
    /(?:indices element out of data bounds, )?idx=(-?\d+) must be within the inclusive range \[(-?\d+),\s*(-?\d+)\]/.exec(
      reason,
    );
  if (!match) return undefined;
  const index = Number(match[1]);
  const rows = Number(match[3]) + 1;
  const past = s === 0 ? 0 : prompt + s - 1;
  const ids = feed[plan.ids.name]?.data;
  const heldByIds =
    ids !== undefined && Array.from(ids as ArrayLike<number | bigint>, Number).includes(index);
  if (index < rows || index < past || heldByIds) return undefined;
  // A decode step feeds one position, `past`: the table's offset is what the index is past it.
  const limit = s === 0 ? rows : rows - (index - past);
  const node = /running (\w+) node\. Name:'([^']*)'/.exec(reason);
  const which = node ? (node[2] ? `Node '${node[2]}' (${node[1]})` : `A ${node[1]} node`) : 'A node';
  const advice =
    s === 0
      ? `Use a shorter prompt: prompt + --generate steps must be at most ${limit}.`
      : `Use --generate ${limit - prompt} or fewer, or a shorter prompt.`;
  const where =
    s === 0
      ? `the prefill (a prompt of ${prompt} positions)`
      : `${step} (prompt ${prompt} + ${s} tokens = ${prompt + s} positions)`;
  return new StudioError(
    'BAD_INPUT',
    `${plan.label} failed at ${where}: the model holds at most ${limit} positions. ${advice} onnxruntime: ${which} failed: ${match[0]}.`,
    { detail: reason },
  );
}

/**
 * One generation of `steps` decode steps after `prompt`: the ids (steps + 1 of them) and each step's time. `fixed`
 * holds the model's other inputs (GenerationPlan.fixed). `checkCancelled` and `onStep` (steps done, for progress) are
 * called between steps, outside the timing.
 */
export async function generate(
  session: ort.InferenceSession,
  plan: GenerationPlan,
  prompt: readonly number[],
  steps: number,
  options: { fixed?: Feed; checkCancelled?: () => void; onStep?: (done: number) => void } = {},
): Promise<GenerationRun> {
  const fixed = options.fixed ?? {};
  const ones = maskOnes(plan, prompt.length + steps);
  let t0 = performance.now();
  const context = (step: number): StepContext => ({ prompt: prompt.length, step });
  let out = await runStep(
    session,
    plan,
    stepFeed(plan, prompt, 0, emptyCache(plan), fixed, ones),
    'prefill',
    context(0),
  );
  let next = argmaxLast(out[plan.logits] as ort.Tensor);
  const firstTokenMs = performance.now() - t0;
  const ids = [next];
  const stepMs: number[] = [];
  let past = prompt.length;
  for (let s = 0; s < steps; s++) {
    options.checkCancelled?.();
    t0 = performance.now();
    const cache: Feed = {};
    for (const c of plan.cache) cache[c.input] = out[c.output] as ort.Tensor;
    out = await runStep(
      session,
      plan,
      stepFeed(plan, [next], past, cache, fixed, ones),
      `decode step ${s + 1}`,
      context(s + 1),
    );
    next = argmaxLast(out[plan.logits] as ort.Tensor);
    stepMs.push(performance.now() - t0);
    ids.push(next);
    past += 1;
    options.onStep?.(s + 1);
  }
  return { ids, firstTokenMs, stepMs };
}

/**
 * The same greedy ids without the cache: every step feeds the whole sequence so far at a past of 0 and reads the last
 * logits. Slow (quadratic); what the cached loop must agree with (the tests check it).
 */
export async function generateWithoutCache(
  session: ort.InferenceSession,
  plan: GenerationPlan,
  prompt: readonly number[],
  steps: number,
  fixed: Feed = {},
): Promise<number[]> {
  const sequence = [...prompt];
  const ids: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const out = await runStep(
      session,
      plan,
      stepFeed(plan, sequence, 0, emptyCache(plan), fixed),
      `recompute ${s}`,
    );
    const next = argmaxLast(out[plan.logits] as ort.Tensor);
    ids.push(next);
    sequence.push(next);
  }
  return ids;
}
