/**
 * `bench --generate N`: text generation timed on decoders with a KV cache, as llama.cpp's llama-bench (pp / tg) and
 * onnxruntime-genai's benchmark time it. Per model, each generation is a prefill of the prompt (the first token) and
 * N greedy decode steps (generate-loop.ts), each timed. Every model generates from the same prompt: the first sample
 * of `--data`, or the synthetic ids of the first model's input spec (`--dim sequence_length=L` sets their length).
 * Warmup generations are untimed; the timed ones go round-robin over the models (interleave.ts), one session each,
 * with the benchmark's session settings. The report is a BenchReport whose latency figures are per decode step and
 * whose `generation` holds the rest, with the greedy agreement of each model's ids with the first model's.
 */
import os from 'node:os';
import path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import type * as ort from 'onnxruntime-node';
import type {
  BenchGeneration,
  BenchInputInfo,
  BenchModelResult,
  BenchParams,
  BenchReport,
  GenerationLatency,
} from '../../../shared/bench.js';
import { dimMayBeEmpty, isCacheInput } from '../../../shared/cache-dims.js';
import type { InputValues } from '../../../shared/input-spec.js';
import { summarize } from '../../../shared/latency-stats.js';
import { counted } from '../../../shared/counted.js';
import { StudioError } from '../errors.js';
import { describeType } from '../inspect/inspect-model.js';
import { loadModel } from '../onnx/load-model.js';
import { ensureProviderAvailable } from '../runtime/execution-providers.js';
import { refuseUnknownDims, resolveInputSpecs, type ResolvedInput } from '../runtime/input-specs.js';
import { prepareFeeds } from './bench-feeds.js';
import { type Feed, generate, type GenerationRun } from './generate-loop.js';
import { loopInputNames, planGeneration, type GenerationPlan } from './generate-plan.js';
import { runInterleaved, type Runner } from './interleave.js';
import { generationComparisons } from './generate-verdicts.js';
import { PeakRssMeter } from './peak-rss.js';
import {
  type BenchHooks,
  collectGarbage,
  labels,
  modelResult,
  settingsOf,
  spinningNote,
  threadsNote,
  loadSession,
  loadingOf,
} from './bench-session.js';

interface PreparedModel {
  path: string;
  label: string;
  modelBytes: number;
  externalDataBytes: number;
  plan: GenerationPlan;
  /** The model's inputs of no sequence dim, fed every step as its prompt feed gave them. */
  fixed: Feed;
}

/** The prompt every model generates from. */
interface Prompt {
  ids: number[];
  /** In words, for settings.generate.prompt. */
  source: string;
  notes: string[];
}

/** The share of `ids` equal to `baseline`'s at the same position, and the first position where they differ. */
export function greedyAgreement(
  ids: readonly number[],
  baseline: readonly number[],
): { agreement: number; firstDifference: number | null } {
  const n = Math.max(ids.length, baseline.length);
  let same = 0;
  let first: number | null = null;
  for (let i = 0; i < n; i++) {
    if (ids[i] !== undefined && ids[i] === baseline[i]) same++;
    else first ??= i;
  }
  return { agreement: n === 0 ? 1 : same / n, firstDifference: first };
}

function latency(samples: readonly number[]): GenerationLatency {
  const s = summarize(samples);
  return {
    count: s.iterations,
    meanMs: s.meanMs,
    p50Ms: s.p50Ms,
    p90Ms: s.p90Ms,
    minMs: s.minMs,
    maxMs: s.maxMs,
  };
}

/**
 * The values the loop feeds (a mask of ones, positions from 0, the cache switch off), so that the prompt's feed is
 * made as the prefill will be, and ids-only data opens. A `--value` for one of them is refused: the loop sets them.
 */
function loopValues(
  names: ReturnType<typeof loopInputNames>,
  user: Readonly<Record<string, InputValues>>,
): Record<string, InputValues> {
  const set: Record<string, InputValues> = {};
  if (names.mask) set[names.mask] = { kind: 'constant', value: 1 };
  if (names.positions) set[names.positions] = { kind: 'positions', start: 0 };
  if (names.cacheSwitch) set[names.cacheSwitch] = { kind: 'constant', value: 0 };
  const clash = Object.keys(set).find((name) => user[name] !== undefined);
  if (clash)
    throw new StudioError(
      'BAD_REQUEST',
      `--generate feeds '${clash}' itself at every step (the attention mask: ones over the past and the new tokens; ` +
        `positions: from the past on; use_cache_branch: off for the prompt, on after). Drop --value ${clash}=...`,
    );
  return set;
}

/**
 * Refuses a past the user set (`--dim past_sequence_length=5`, a cache input's `--shape`): a generation starts from
 * an empty cache. Before the inputs are resolved, whose checks would speak of a cache switch instead.
 */
function refuseStartingPast(
  proto: ModelProto,
  overrides: { shapes?: Record<string, number[]>; dims?: Record<string, number> },
): void {
  for (const vi of proto.graph?.input ?? []) {
    const input = { name: vi.name, shape: describeType(vi.type).shape };
    if (!isCacheInput(input)) continue;
    for (const [axis, d] of input.shape.entries()) {
      if (!dimMayBeEmpty(input, axis)) continue;
      const size =
        overrides.shapes?.[vi.name]?.[axis] ?? (typeof d === 'string' ? overrides.dims?.[d] : undefined);
      if (size === undefined || size === 0) continue;
      const how = overrides.shapes?.[vi.name] ? `--shape ${vi.name}=...` : `--dim ${String(d)}=...`;
      throw new StudioError(
        'BAD_REQUEST',
        `--generate starts from an empty cache (a past of 0) and grows it a token a step, but '${vi.name}' is given a ` +
          `past of ${size}. Leave the past length unset (drop ${how}).`,
      );
    }
  }
}

/**
 * A model's inputs as the prompt's feed needs them (a past of 0, the loop's values set) and its generation plan.
 * `overrides` as the benchmark's params give them (`--shape`, `--dim`, `--value`).
 */
export function resolveForGeneration(
  proto: ModelProto,
  label: string,
  overrides: {
    shapes?: Record<string, number[]>;
    dims?: Record<string, number>;
    values?: Record<string, InputValues>;
  } = {},
): { inputs: ResolvedInput[]; namedDims: string[]; plan: GenerationPlan } {
  refuseStartingPast(proto, overrides);
  const user = overrides.values ?? {};
  const values = { ...user, ...loopValues(loopInputNames(proto), user) };
  const { inputs, namedDims } = resolveInputSpecs(proto, { ...overrides, values });
  return { inputs, namedDims, plan: planGeneration(proto, inputs, label) };
}

/** The prompt's ids from a feed's ids input, [1, L]; refuses a batch other than 1. Mask zeros (padding) are dropped. */
function promptIds(feed: Feed, plan: GenerationPlan, batchDim: string, notes: string[]): number[] {
  const tensor = feed[plan.ids.name];
  if (!tensor) throw new StudioError('BAD_INPUT', `The prompt has no '${plan.ids.name}'.`);
  const [batch, length] = tensor.dims;
  if (tensor.dims.length !== 2 || batch !== 1)
    throw new StudioError(
      'BAD_REQUEST',
      `--generate runs one sequence at a time (batch 1), but the prompt's '${plan.ids.name}' is [${tensor.dims.join(', ')}]. ` +
        `Give batch 1 (--dim ${batchDim}=1, or leave it unset), or data of one sequence per sample.`,
    );
  const ids = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  const mask = plan.mask ? feed[plan.mask.name] : undefined;
  if (mask && mask.dims.at(-1) === length) {
    const keep = Array.from(mask.data as ArrayLike<number | bigint | boolean>, (v) => Number(v) !== 0);
    const kept = ids.filter((_, i) => keep[i]);
    if (kept.length < ids.length) {
      notes.push(
        `the prompt's attention mask leaves out ${ids.length - kept.length} of its ${ids.length} ids (padding): generated from the other ${kept.length}.`,
      );
      return kept;
    }
  }
  return ids;
}

/** The prompt: the first sample of the data, or the first model's synthetic ids. */
async function makePrompt(
  params: BenchParams,
  inputs: ResolvedInput[],
  plan: GenerationPlan,
  signal: AbortSignal | undefined,
  guessedLength: string | undefined,
): Promise<{ prompt: Prompt; feed: Feed }> {
  const notes: string[] = [];
  const input = inputs.find((i) => i.name === plan.ids.name)!;
  const batchDim =
    typeof input.declared[0] === 'string' && input.declared[0] !== '' ? input.declared[0] : 'batch_size';
  if (params.data.kind === 'dataset') {
    // The data's own notes are left out: they speak of the inputs it lacks and the guesses that fill them (a past of
    // 0, a mask of ones), which the loop feeds itself; only the ids are read.
    const { feeds, description } = await prepareFeeds(inputs, { ...params.data, maxSamples: 1 }, signal);
    const feed = feeds[0]!;
    let ids = promptIds(feed, plan, batchDim, notes);
    const set = promptLengthSet(params, input);
    if (set && set.length < ids.length) {
      notes.push(`the prompt is the first ${set.length} of the sample's ${ids.length} ids (${set.flag}).`);
      ids = ids.slice(0, set.length);
    } else if (set && set.length > ids.length)
      throw new StudioError(
        'BAD_REQUEST',
        `${set.flag} asks for a prompt of ${set.length} ids, but the data's first sample holds ${ids.length}. With ` +
          `--data, ${set.flag.replace(/=.*/, '=L')} cuts the prompt to its first L ids: give at most ${ids.length}.`,
      );
    // The description ends with how many samples are held (one here): the data is what matters.
    const data = description.replace(/; \d+ samples? in memory$/, '');
    return {
      prompt: { ids, source: `the first sample of ${data}, its '${plan.ids.name}'`, notes },
      feed,
    };
  }
  const { feeds } = await prepareFeeds(
    inputs,
    { kind: 'synthetic', samples: 1, seed: params.data.seed },
    signal,
  );
  const feed = feeds[0]!;
  const ids = promptIds(feed, plan, batchDim, notes);
  const guess = promptLengthGuess(input);
  const values = input.values?.kind === 'range' ? `, ids ${input.values.min}..${input.values.max}` : '';
  const reason = guessedLength ?? guess?.reason;
  const length = reason
    ? `${ids.length} (guessed: ${reason}; set it with ${lengthFlag(input, 'L')})`
    : String(ids.length);
  return {
    prompt: {
      ids,
      source: `synthetic ids in '${plan.ids.name}' (seed ${params.data.seed}${values}), length ${length}`,
      notes,
    },
    feed,
  };
}

/** The guess that sized the prompt (the ids' last axis), where nothing set it. */
function promptLengthGuess(input: ResolvedInput) {
  return input.guessedDims?.find((g) => g.axis === input.declared.length - 1);
}

/** The flag that sets the prompt's length to `length`: `--dim sequence_length=L`, or `--shape input_ids=1xL`. */
function lengthFlag(input: ResolvedInput, length: number | string): string {
  const dim = input.declared.at(-1);
  return typeof dim === 'string' && dim !== ''
    ? `--dim ${dim}=${length}`
    : `--shape ${input.name}=1x${length}`;
}

/** The prompt length the user set (`--shape` of the ids, or `--dim` of their last axis), with the flag in words. */
function promptLengthSet(
  params: BenchParams,
  input: ResolvedInput,
): { length: number; flag: string } | undefined {
  const shape = params.shapes[input.name];
  const dim = input.declared.at(-1);
  const length = shape?.at(-1) ?? (typeof dim === 'string' ? params.dims[dim] : undefined);
  if (length === undefined) return undefined;
  return { length, flag: shape ? `--shape ${input.name}=${shape.join('x')}` : lengthFlag(input, length) };
}

/**
 * A model's inputs resolved for the generation, as resolveForGeneration, with a guessed prompt length that fits the
 * position table: where nothing set it (no `--dim`, no `--data`) and the usual guess leaves no room for `steps`, the
 * prompt is the table's rows less the steps. `guessedLength` says why, for the prompt's line.
 */
function resolveModel(
  proto: ModelProto,
  label: string,
  params: BenchParams,
  steps: number,
): ReturnType<typeof resolveForGeneration> & { guessedLength?: string } {
  const resolved = resolveForGeneration(proto, label, params);
  if (params.data.kind === 'dataset') return resolved;
  const input = resolved.inputs.find((i) => i.name === resolved.plan.ids.name)!;
  const guess = promptLengthGuess(input);
  const limit = resolved.plan.positionLimit;
  const fit = limit ? limit.rows - steps : 0;
  if (!guess || !limit || guess.value + steps <= limit.rows || fit < 1) return resolved;
  const length = Math.min(guess.value, fit);
  const set =
    guess.name !== undefined
      ? { dims: { ...params.dims, [guess.name]: length } }
      : { shapes: { ...params.shapes, [input.name]: [1, length] } };
  return {
    ...resolveForGeneration(proto, label, { ...params, ...set }),
    guessedLength:
      `the ${limit.rows} rows of '${limit.table}' less the ${steps} decode steps, so that the positions fit ` +
      `(the usual guess, ${guess.value}, would not)`,
  };
}

/**
 * Refuses a prompt and steps past the rows of a model's position table, saying what fits: fewer steps, or a shorter
 * prompt where one of at least a token leaves room (--dim cuts --data's prompt too).
 */
function checkPositions(
  plan: GenerationPlan,
  input: ResolvedInput,
  promptTokens: number,
  steps: number,
): void {
  const limit = plan.positionLimit;
  if (!limit || promptTokens + steps <= limit.rows) return;
  const fewer = limit.rows - promptTokens;
  const shorter = limit.rows - steps;
  const advice = [
    ...(fewer >= 1 ? [`--generate ${fewer} or fewer`] : []),
    ...(shorter >= 1
      ? [`a prompt of at most ${counted(shorter, 'token')} (${lengthFlag(input, shorter)})`]
      : []),
  ];
  throw new StudioError(
    'BAD_REQUEST',
    `--generate ${steps} after a prompt of ${counted(promptTokens, 'token')} feeds positions 0..${promptTokens + steps - 1}, but ` +
      `${plan.label}'s '${limit.input}' indexes the ${limit.rows} rows of '${limit.table}': prompt + steps must be at ` +
      `most ${limit.rows}.${advice.length > 0 ? ` Use ${advice.join(', or ')}.` : ''}`,
  );
}

/**
 * Refuses a prompt with an id past the rows of the table a model's ids index: the first model's synthetic ids for a
 * model of a smaller vocabulary, or data ids past it, would fail in onnxruntime's Gather instead. The ids each model
 * generates are its own logits' argmax, so only the prompt can be out of range.
 */
function checkVocabulary(
  plan: GenerationPlan,
  ids: readonly number[],
  models: number,
  fromData: boolean,
): void {
  const table = plan.vocabulary;
  if (!table) return;
  const largest = ids.reduce((a, b) => Math.max(a, b), -Infinity);
  if (largest < table.rows) return;
  const data = `give --data whose ids are below ${table.rows}`;
  const advice =
    models > 1
      ? `generate with models of one vocabulary, or ${data}`
      : fromData
        ? data
        : `give ids below ${table.rows} (--value ${plan.ids.name}=0:${table.rows - 1})`;
  throw new StudioError(
    'BAD_INPUT',
    `The prompt's ids go up to ${largest}, but ${plan.label}'s '${plan.ids.name}' indexes the ${table.rows} rows of ` +
      `'${table.table}': ${advice}.`,
  );
}

/** What the prefill fed, for the report's inputs: the prompt's shapes, the empty cache, the other inputs. */
function prefillInputs(plan: GenerationPlan, promptTokens: number, fixed: Feed): BenchInputInfo[] {
  const rows: BenchInputInfo[] = [{ name: plan.ids.name, dtype: plan.ids.type, shape: [1, promptTokens] }];
  if (plan.mask)
    rows.push({
      name: plan.mask.name,
      dtype: plan.mask.type,
      shape: [1, promptTokens],
      values: { kind: 'constant', value: 1 },
    });
  if (plan.positions)
    rows.push({
      name: plan.positions.name,
      dtype: plan.positions.type,
      shape: plan.positions.rank === 1 ? [promptTokens] : [1, promptTokens],
      values: { kind: 'positions', start: 0 },
    });
  for (const c of plan.cache) rows.push({ name: c.input, dtype: c.type, shape: c.emptyDims });
  if (plan.cacheSwitch)
    rows.push({
      name: plan.cacheSwitch.name,
      dtype: 'bool',
      shape: plan.cacheSwitch.dims,
      values: { kind: 'constant', value: 0 },
    });
  for (const [name, t] of Object.entries(fixed)) rows.push({ name, dtype: t.type, shape: [...t.dims] });
  return rows;
}

/** See the top of the file. Stops with CANCELLED between steps after `hooks.signal` aborts; sessions are released. */
export async function runGenerationBenchmark(
  params: BenchParams,
  hooks: BenchHooks = {},
): Promise<BenchReport> {
  const started = performance.now();
  const steps = params.generate;
  if (steps === undefined)
    throw new StudioError('BAD_REQUEST', 'runGenerationBenchmark needs params.generate.');
  const { signal } = hooks;
  const checkCancelled = () => {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'The benchmark was cancelled.');
  };
  if (params.profile)
    throw new StudioError(
      'BAD_REQUEST',
      '--profile times single runs; it does not combine with --generate. Profile one decode step instead: ' +
        '--dim past_sequence_length=P --dim sequence_length=1 --profile, without --generate.',
    );
  if (params.explain)
    throw new StudioError('BAD_REQUEST', 'explain does not benchmark generation (--generate).');
  const notes: string[] = [];
  const note = (level: 'info' | 'warn', message: string) => {
    if (notes.includes(message)) return;
    notes.push(message);
    hooks.onLog?.(level, message);
  };
  hooks.onPhase?.('probing providers');
  await ensureProviderAvailable(params.ep);

  const names = labels(params.models.map((m) => path.resolve(m)));
  const prepared: PreparedModel[] = [];
  const namedDimsByModel: string[][] = [];
  let prompt: Prompt | undefined;
  for (const [i, modelPath] of params.models.entries()) {
    checkCancelled();
    hooks.onPhase?.('loading model', modelPath);
    const loaded = await loadModel(modelPath);
    const label = params.labels?.[modelPath] ?? (names[i] as string);
    const { inputs, namedDims, plan, guessedLength } = resolveModel(loaded.proto, label, params, steps);
    namedDimsByModel.push(namedDims);
    // Every model generates from the first model's prompt; each takes its other inputs (if any) from its own feed.
    const made = await makePrompt(params, inputs, plan, signal, guessedLength);
    prompt ??= made.prompt;
    if (prompt.ids.length === 0)
      throw new StudioError('BAD_INPUT', 'The prompt holds no token ids to generate from.');
    const idsInput = inputs.find((input) => input.name === plan.ids.name)!;
    checkPositions(plan, idsInput, prompt.ids.length, steps);
    checkVocabulary(plan, prompt.ids, params.models.length, params.data.kind === 'dataset');
    const fixed: Feed = Object.fromEntries(plan.fixed.map((name) => [name, made.feed[name] as ort.Tensor]));
    prepared.push({
      path: loaded.path,
      label,
      modelBytes: loaded.fileBytes + loaded.externalDataBytes,
      externalDataBytes: loaded.externalDataBytes,
      plan,
      fixed,
    });
  }
  refuseUnknownDims(params.dims, namedDimsByModel);
  const thePrompt = prompt as Prompt;
  for (const n of thePrompt.notes) note('info', n);
  if (prepared.length > 1)
    note('info', `every model generates from the same prompt, ${prepared[0]!.label}'s.`);
  const spin = spinningNote(params);
  note(spin.level, spin.message);
  const oversubscribed = threadsNote(params.intraOpThreads, os.availableParallelism());
  if (oversubscribed) note('warn', oversubscribed);

  collectGarbage();
  const meter = PeakRssMeter.start();
  const sessions: ort.InferenceSession[] = [];
  const initMs: number[] = [];
  const firstRunMs: number[] = [];
  const allModels = prepared.map((p) => p.path).join(', ');
  // Progress as runBenchmark's: warmup fills its share of the planned generations, or a fixed tenth in duration
  // mode (where the measured ones are not known), so that the bar never goes back when measuring starts.
  const warmupRuns = prepared.length * params.warmup;
  const measuredRuns = prepared.length * (params.iterations ?? 0);
  const warmupShare =
    params.durationMs !== undefined
      ? warmupRuns > 0
        ? 0.1
        : 0
      : warmupRuns + measuredRuns > 0
        ? warmupRuns / (warmupRuns + measuredRuns)
        : 0;
  let warmupDone = 0;
  let measuredDone = 0;
  let measuring = false;
  let measureStart: number | undefined;
  let lastReport = 0;
  /** `partial`: the share of the generation under way that is done (its steps), so a long one moves the bar. */
  const progress = (stage: string, partial = 0) => {
    if (!hooks.onProgress) return;
    lastReport = performance.now();
    const warm = warmupRuns > 0 ? Math.min(1, (warmupDone + (measuring ? 0 : partial)) / warmupRuns) : 1;
    const measured = !measuring
      ? 0
      : params.durationMs !== undefined && measureStart !== undefined
        ? Math.min(1, (performance.now() - measureStart) / params.durationMs)
        : measuredRuns > 0
          ? Math.min(1, (measuredDone + partial) / measuredRuns)
          : 0;
    hooks.onProgress(warmupShare * warm + (1 - warmupShare) * measured, stage);
  };
  // Between decode steps, outside their timing; at most every 100 ms, as runBenchmark reports.
  const onStep = (stepsDone: number) => {
    if (hooks.onProgress && performance.now() - lastReport >= 100)
      progress(measuring ? 'measuring' : 'warming up', stepsDone / Math.max(1, steps));
  };

  try {
    for (const [i, model] of prepared.entries()) {
      checkCancelled();
      hooks.onPhase?.('creating session', model.path);
      const t0 = performance.now();
      const session = await loadSession(
        loadingOf(model),
        model.label,
        params,
        (stage) => hooks.onProgress?.(0, stage),
        checkCancelled,
      );
      initMs.push(performance.now() - t0);
      sessions.push(session);
      if (meter.needsSampling) meter.sample();
      hooks.onPhase?.('first run', model.path);
      // The first prefill pays for lazy allocations: timed on its own, as a benchmark's first run.
      const first = await generate(session, model.plan, thePrompt.ids, 0, { fixed: model.fixed });
      firstRunMs.push(first.firstTokenMs);
      if (i === 0 && meter.needsSampling) meter.sample();
    }

    const last: GenerationRun[] = [];
    const firstTokens: number[][] = prepared.map(() => []);
    const decodeSteps: number[][] = prepared.map(() => []);
    const stepsPerGeneration: number[][][] = prepared.map(() => []);
    const runners: Runner[] = prepared.map((model, i) => ({
      run: async () => {
        const run = await generate(sessions[i] as ort.InferenceSession, model.plan, thePrompt.ids, steps, {
          fixed: model.fixed,
          checkCancelled,
          onStep,
        });
        last[i] = run;
        if (!measuring) return;
        firstTokens[i]!.push(run.firstTokenMs);
        decodeSteps[i]!.push(...run.stepMs);
        stepsPerGeneration[i]!.push(run.stepMs);
      },
    }));
    const afterRun = (i: number) => {
      if (measuring) measuredDone++;
      else warmupDone++;
      if (meter.needsSampling) meter.sample();
      if (measuring && last[i]) hooks.onSamples?.(i, last[i].stepMs);
      progress(measuring ? 'measuring' : 'warming up');
    };

    hooks.onPhase?.('warmup', allModels);
    progress('warming up');
    const warmup = await runInterleaved(runners, {
      rounds: params.warmup,
      ...(signal ? { signal } : {}),
      onRun: afterRun,
    });
    hooks.onPhase?.('measuring', allModels);
    measuring = true;
    measureStart = performance.now();
    await runInterleaved(runners, {
      ...(params.iterations !== undefined
        ? { rounds: params.iterations }
        : { durationMs: params.durationMs as number }),
      ...(signal ? { signal } : {}),
      onRun: afterRun,
    });

    const peakRssBytes = meter.peakBytes();
    const baselineIds = last[0]?.ids ?? [];
    const results: BenchModelResult[] = prepared.map((model, i) => {
      const s = summarize(decodeSteps[i]!);
      const run = last[i] as GenerationRun;
      const decode = latency(decodeSteps[i]!);
      const generation: BenchGeneration = {
        promptTokens: thePrompt.ids.length,
        decodeSteps: steps,
        newTokens: run.ids.length,
        generations: firstTokens[i]!.length,
        firstToken: latency(firstTokens[i]!),
        decode,
        // The median step, as the p50 ratio: a mean that one pre-empted step pulls would contradict it.
        tokensPerSecond: decode.p50Ms > 0 ? 1000 / decode.p50Ms : 0,
        ids: run.ids,
        ...(i > 0 ? greedyAgreement(run.ids, baselineIds) : {}),
      };
      return {
        ...modelResult(params, s, {
          model: model.path,
          initMs: initMs[i] as number,
          firstRunMs: firstRunMs[i] as number,
          warmup: warmup[0]?.length ?? 0,
          peakRssBytes,
          modelBytes: model.modelBytes,
          inputs: prefillInputs(model.plan, thePrompt.ids.length, model.fixed),
        }),
        // Tokens/s as the generation says it (1000 / p50), so that the JSON holds one figure of it.
        throughput: generation.tokensPerSecond,
        generation,
      };
    });
    const comparisons = generationComparisons(
      results,
      prepared.map((_, i) => ({ firstTokens: firstTokens[i]!, steps: stepsPerGeneration[i]! })),
    );
    return {
      results,
      comparisons,
      ...(results.length > 1 ? { processPeakRssBytes: peakRssBytes } : {}),
      settings: {
        ...settingsOf(params),
        data: thePrompt.source,
        samples: 1,
        rssMethod: meter.method,
        generate: { steps, decoding: 'greedy', promptTokens: thePrompt.ids.length, prompt: thePrompt.source },
      },
      notes,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    hooks.onPhase?.('releasing', allModels);
    for (const session of sessions) {
      try {
        await session.release();
      } catch {
        // Best effort, as runBenchmark: a session that failed to release cannot be used again anyway.
      }
    }
  }
}
