import type { Tensor } from 'onnxruntime-node';
import type { ModelProto, ValueInfoProto } from 'onnx-buf';
import {
  cacheSwitchProblem,
  dimMayBeEmpty,
  dimTerms,
  modelDimNames,
  pastLengthIn,
  sizesByName,
  sumDimProblem,
} from '../../../shared/cache-dims.js';
import {
  EMPTY_ONLY_PAST,
  dimLabel,
  guessInputSpec,
  inputValuesProblem,
  namedDimConflictMessage,
  namedDimSizes,
  type InputGuess,
  type InputValues,
  type NamedDimSize,
  type NamedDimSource,
} from '../../../shared/input-spec.js';
import { cacheGroups, listWords, namedGroups } from '../../../shared/input-groups.js';
import { shellQuote } from '../../../shared/shell-quote.js';
import type { TensorSummary } from '../../../shared/model-summary.js';
import { isDatasetDtype } from '../datasets/element-convert.js';
import { StudioError } from '../errors.js';
import { describeType } from '../inspect/inspect-model.js';
import { withIndexedTables } from '../inspect/index-bounds.js';
import { dtypeName } from '../onnx/dtypes.js';
import { ortTypeOf } from './ort-types.js';

/** A model input with every dimension made concrete, ready for building feeds. */
export interface ResolvedInput {
  name: string;
  /** ONNX element type number. */
  elemType: number;
  ortType: Tensor.Type;
  /** The shape as the model declares it: numbers, symbolic names, or null for unknown. */
  declared: (number | string | null)[];
  /** The concrete shape used. */
  dims: number[];
  /**
   * The axes of `dims` nothing set (no `--shape`, no `--dim`), whose size is a guess. Readers of real data
   * that take a size from the spec (an image folder's height and width) should not take a guessed one.
   */
  guessedAxes?: number[];
  /** The values synthetic data feeds it: the user's (`--value`), or the shared guess (see `valuesGuess`). */
  values?: InputValues;
  /** Why `values` holds what it does when nothing set it (the shared guess's reason); absent for the user's. */
  valuesGuess?: string;
  /** The model declares no shape for it, not even a rank, and nothing set one: synthetic data cannot make it. */
  rankUnknown?: true;
  /**
   * The type the model declares, where data is read as another (`ortType`): eval reads a float16 input as
   * float32 and casts it for the model itself, so that the reference gets the values as they were.
   */
  modelType?: Tensor.Type;
  /** The guessed dims of this input (entries of the guess warning, shared with the other inputs of a named dim). */
  guessedDims?: GuessedDim[];
  /**
   * What set each open axis the spec sized (by axis), in the words of SIZE_SOURCES: `--dim seq=32`, `--shape
   * x=1x32`, `the recipe's inputs.dims seq=32`, `the Model view's input spec`: data whose samples disagree is told
   * what it contradicts.
   */
  setBy?: Record<number, string>;
  /**
   * The sizes were typed on the command line (ShapeOverrides.origin 'flags'): data whose samples disagree is
   * refused. Elsewhere (the app's input spec, which every job of the model gets; a recipe's recorded inputs) the
   * data's sizes are used, with a note.
   */
  strictSizes?: true;
  /**
   * Where the spec came from (ShapeOverrides.origin), so that advice about this input names the place its values
   * are set there: `--value` on the command line, a recipe's inputs.values, the app's Model view.
   */
  origin?: InputsOrigin;
}

export interface ShapeOverrides {
  /** Whole shapes per input name (`--shape x=1x3x224x224`). */
  shapes?: Record<string, number[]>;
  /** Values of symbolic dims by name (`--dim batch=8`). */
  dims?: Record<string, number>;
  /**
   * One size for every symbolic or unknown dim nothing set, instead of the shared guesses (a test's batch).
   * Without it such dims take the guesses of shared/input-spec.ts, as the app prefills them.
   */
  defaultDim?: number;
  /** Values for synthetic data per input name (`--value sr=16000`, `--value ids=0:999`). */
  values?: Record<string, InputValues>;
  /**
   * Where shapes and values came from, for messages (SIZE_SOURCES words each). Only sizes marked 'flags' (the
   * CLI's parseShapeFlags) make data of other sizes an error: the app's input spec, which every job of a model
   * gets, data or not, and a recipe's recorded inputs give way to the data. Unmarked: the caller cannot tell (a
   * benchmark's params, which the CLI and the app both send).
   */
  origin?: InputsOrigin;
}

/**
 * Where an input spec's sizes and values came from: the CLI's flags (`--shape`, `--dim`, `--value`), a recipe's
 * `inputs`, or the input spec the user set in the app's Model view (the jobs of jobs/task-handlers.ts).
 */
export type InputsOrigin = 'flags' | 'recipe' | 'app';

/** How messages name one source of sizes and values (an entry of SIZE_SOURCES). */
interface SizeSource {
  /** Every size or value of one kind it gives, as a sentence's subject: `--shape`, `the recipe's inputs.shapes`. */
  field: Record<'shapes' | 'dims' | 'values', string>;
  /** One whole shape it gives an input: `--shape x=1x64`, `the recipe's inputs.shapes x=1x64`. */
  shape: (input: string, dims: readonly number[]) => string;
  /** The size it gives a named dim: `--dim seq=32`, `the recipe's inputs.dims seq=32`. */
  dim: (name: string, size: number) => string;
  /**
   * What set a size, where the sentence says the size already (`not the 32 --dim seq=32 sets`): absent, the one
   * shape or dim (`shape`, `dim`); else the spec as a whole, for a source whose items read badly there.
   */
  setter?: string;
  /** How to give a whole shape there instead of a named dim's size (refuseUnknownDims). */
  shapeHint: string;
}

const FLAG_DIM = (name: string, size: number) => `--dim ${shellQuote(`${name}=${size}`)}`;
const APP_SPEC = "the Model view's input spec";

/**
 * The one declaration of how messages name where an input's sizes and values came from; every message of
 * resolveInputSpecs and refuseUnknownDims, and the `setBy` that datasets/input-match.ts quotes, words them here.
 * Sizes nothing set are named by guessedDimsNote (each with the reason of its guess), and the data's own sizes by
 * input-match.ts.
 */
const SIZE_SOURCES: Record<InputsOrigin | 'unmarked', SizeSource> = {
  flags: {
    field: { shapes: '--shape', dims: '--dim', values: '--value' },
    shape: (input, dims) => `--shape ${shellQuote(`${input}=${dims.join('x')}`)}`,
    dim: FLAG_DIM,
    shapeHint: '--shape INPUT=AxBxC',
  },
  recipe: {
    field: {
      shapes: "the recipe's inputs.shapes",
      dims: "the recipe's inputs.dims",
      values: "the recipe's inputs.values",
    },
    shape: (input, dims) => `the recipe's inputs.shapes ${input}=${dims.join('x')}`,
    dim: (name, size) => `the recipe's inputs.dims ${name}=${size}`,
    shapeHint: 'inputs.shapes',
  },
  // Typed into the app's form, not on a command line: no flag is named (user test 3a, finding 2).
  app: {
    field: { shapes: APP_SPEC, dims: APP_SPEC, values: APP_SPEC },
    shape: (input, dims) => `the Model view's shape ${dims.join('x')} for input '${input}'`,
    dim: (name, size) => `the Model view's size ${size} for dim '${name}'`,
    setter: APP_SPEC,
    shapeHint: 'whole shapes in the Model view',
  },
  // Either the flags or the app's spec: a benchmark's params, which `bench` and the app both send, do not say which.
  // Named dims are given their own size by flags only (the app's form gives whole shapes).
  unmarked: {
    field: {
      shapes: 'the input spec (--shape, or the Model view)',
      dims: '--dim',
      values: 'the input spec (--value, or the Model view)',
    },
    shape: (input, dims) => `the shape ${dims.join('x')} of input '${input}'`,
    dim: FLAG_DIM,
    setter: 'the input spec',
    shapeHint: '--shape INPUT=AxBxC',
  },
};

function sizeSource(origin: InputsOrigin | undefined): SizeSource {
  return SIZE_SOURCES[origin ?? 'unmarked'];
}

/** Where values are set, in the words of `origin` (SIZE_SOURCES): `--value`, `the Model view's input spec`. */
export function valuesField(origin: InputsOrigin | undefined): string {
  return sizeSource(origin).field.values;
}

/** A source's words at the start of a sentence. */
function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** A dim nothing set, the size it was given and why: one entry of the warning. */
export interface GuessedDim {
  /** The symbolic name (one size across all inputs, as `--dim` sets it); absent for an unknown dim. */
  name?: string;
  /** The inputs that have it, in order; an unknown dim belongs to one. */
  inputs: string[];
  /** Their declared shapes, in the order of `inputs`: what tells a KV cache's inputs, which the warning groups. */
  shapes?: (number | string | null)[][];
  /** Its position in the first input, which names an unknown dim. */
  axis: number;
  /** The first input's rank, for the `--shape` the warning suggests. */
  rank: number;
  value: number;
  reason: string;
  /** Guessed as a batch (1): the warning's example names another dim first, one that changes the figures more. */
  batch?: true;
}

/**
 * Makes every input's shape concrete: `--shape` wins, then `--dim` by symbolic name, then `defaultDim` when a
 * caller gives one, then the guess the app prefills its input spec with (shared/input-spec.ts: one second of
 * audio, a text line's width, a sequence of 128...). Integer and bool inputs `--value` does not set get the
 * shared value guess (a sample rate of 16000, a mask of ones, ids 0-99) for synthetic data. Returns one note
 * naming every guessed dim with its size and reason, so the output can state them. Inputs that are also
 * initializers (old IR versions list weights as inputs) are not inputs a user feeds, and are skipped.
 */
export function resolveInputSpecs(
  model: ModelProto,
  overrides: ShapeOverrides = {},
): { inputs: ResolvedInput[]; notes: string[]; namedDims: string[] } {
  const graph = model.graph;
  if (!graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
  const weights = new Set(graph.initializer.map((t) => t.name));
  const fed = graph.input.filter((vi) => !weights.has(vi.name));
  const source = sizeSource(overrides.origin);
  // A named dim is one size in every input that has it: a whole shape given for one input sizes it in the others.
  const named = namedDimsSet(fed, overrides);
  const set = { ...overrides, dims: named.sizes };
  // Computed over all inputs at once: one input's guess can depend on another (an audio length on `sr`).
  const summaries = withIndexedTables(
    graph,
    fed.map((vi) => summaryWithOverrides(vi, set)),
  );
  const dimGuesses = guessesByName(guessInputSpec(summaries, overrides.values, set.dims));
  const modelDims = modelDimNames(fed.map((vi) => ({ shape: describeType(vi.type).shape })));
  const open = openDimSizes(dimGuesses, overrides.defaultDim, (name) => dimTerms(name, modelDims) !== undefined);
  const inputs: ResolvedInput[] = [];
  const symbolic = new Set<string>();
  for (const vi of fed) {
    const tensor = feedableTensor(vi);
    const { elemType, ortType, declared } = tensor;
    for (const d of declared) if (typeof d === 'string') symbolic.add(d);
    const whole = overrides.shapes?.[vi.name];
    if (whole) checkWholeShape(vi.name, tensor, whole, source);
    const guessedAxes: number[] = [];
    const setBy: Record<number, string> = {};
    const dims =
      whole ??
      declared.map((d, i) => {
        if (typeof d === 'number' && d >= 0) return d;
        if (typeof d === 'string' && set.dims[d] !== undefined) {
          setBy[i] = named.setBy(d);
          return set.dims[d];
        }
        guessedAxes.push(i);
        return open.sizeOf(vi.name, declared, i);
      });
    if (whole) {
      declared.forEach((d, i) => {
        if (!(typeof d === 'number' && d >= 0)) setBy[i] = source.setter ?? source.shape(vi.name, whole);
      });
    }
    inputs.push({
      name: vi.name,
      elemType,
      ortType,
      declared,
      dims,
      ...(guessedAxes.length > 0 ? { guessedAxes } : {}),
      ...(!whole && !tensor.hasShape ? { rankUnknown: true as const } : {}),
      ...(Object.keys(setBy).length > 0
        ? { setBy, ...(overrides.origin === 'flags' ? { strictSizes: true as const } : {}) }
        : {}),
      ...(overrides.origin ? { origin: overrides.origin } : {}),
    });
  }
  refuseUnknownNames(overrides, inputs.map((i) => i.name), source);
  refuseEmptyDims(inputs);
  const sum = sumDimProblem(
    inputs.map((i) => ({ name: i.name, shape: i.declared })),
    Object.fromEntries(inputs.map((i) => [i.name, i.dims])),
  );
  if (sum) throw new StudioError('BAD_INPUT', sum);
  for (const input of inputs) {
    const guessedDims = open.guessed.filter((g) => g.inputs.includes(input.name));
    if (guessedDims.length > 0) input.guessedDims = guessedDims;
  }
  const withValues = addValues(inputs, overrides.values ?? {}, summaries);
  const switchProblem = cacheSwitchProblem(
    withValues.map((i) => ({ name: i.name, shape: i.declared })),
    Object.fromEntries(withValues.map((i) => [i.name, i.dims])),
    Object.fromEntries(withValues.flatMap((i) => (i.values ? [[i.name, i.values]] : []))),
  );
  if (switchProblem) throw new StudioError('BAD_INPUT', switchProblem);
  return {
    inputs: withValues,
    notes: open.guessed.length > 0 ? [guessedDimsNote(open.guessed)] : [],
    namedDims: [...symbolic],
  };
}

/**
 * The sizes the user gave named dims: `--dim NAME=N`, and the dims a whole `--shape` gives the named dims of its
 * input. Two that give one name different sizes are refused: which one was meant cannot be told. The rule is the
 * input spec's (shared namedDimSizes); the message names the sizes in the words of where they came from
 * (SIZE_SOURCES).
 */
function namedDimsSet(
  fed: readonly ValueInfoProto[],
  overrides: ShapeOverrides,
): { sizes: Record<string, number>; setBy: (name: string) => string } {
  const source = sizeSource(overrides.origin);
  const inputs = fed.map((vi) => ({ name: vi.name, shape: describeType(vi.type).shape }));
  const { sizes, conflict } = namedDimSizes(inputs, overrides.shapes ?? {}, overrides.dims);
  const describe = (name: string, { size, source: from }: NamedDimSize) =>
    from.kind === 'shape' ? source.shape(from.input, from.shape) : source.dim(name, size);
  if (conflict) {
    const from = (given: NamedDimSource, size: number) => describe(conflict.dim, { size, source: given });
    throw new StudioError('BAD_INPUT', namedDimConflictMessage(conflict, from));
  }
  return {
    sizes: Object.fromEntries([...sizes].map(([name, { size }]) => [name, size])),
    setBy: (name) => {
      const known = sizes.get(name);
      return source.setter ?? (known ? describe(name, known) : source.field.dims);
    },
  };
}

/**
 * An input as the shared guesses read it, with every size the user set filled in, so that the guesses fit
 * them (`--dim h=48` makes an open width a text line's rather than a square image's).
 */
function summaryWithOverrides(vi: ValueInfoProto, overrides: ShapeOverrides): TensorSummary {
  const { dtype, shape } = describeType(vi.type);
  const whole = overrides.shapes?.[vi.name];
  if (whole) return { name: vi.name, dtype, shape: whole };
  const set = (d: number | string | null) => (typeof d === 'string' ? (overrides.dims?.[d] ?? d) : d);
  return { name: vi.name, dtype, shape: shape.map(set) };
}

function guessesByName(guesses: readonly InputGuess[]): Map<string, InputGuess> {
  return new Map(guesses.map((g) => [g.name, g]));
}

/**
 * Sizes for the dims nothing set, with the list of them for the warning: the caller's `defaultDim` when given,
 * else the shared guess. A symbolic name takes one size across all inputs (ONNX means one size by one name,
 * and `--dim` sets it once): its first guess.
 */
function openDimSizes(
  guesses: Map<string, InputGuess>,
  defaultDim: number | undefined,
  /** A dim named as a sum of others (cache-dims.ts): sized by its terms, so neither guessed nor to be set itself. */
  derived: (name: string) => boolean = () => false,
) {
  const guessed: GuessedDim[] = [];
  const byName = new Map<string, GuessedDim>();
  const sizeOf = (input: string, declared: readonly (number | string | null)[], axis: number): number => {
    const d = declared[axis];
    const name = typeof d === 'string' ? d : undefined;
    const known = name === undefined ? undefined : byName.get(name);
    if (known) {
      if (!known.inputs.includes(input)) {
        known.inputs.push(input);
        known.shapes?.push([...declared]);
      }
      return known.value;
    }
    const sum = name !== undefined && derived(name);
    const size = defaultDim !== undefined && !sum ? { value: defaultDim, reason: 'the size asked for open dims' } : guessOf(guesses, input, axis);
    const entry: GuessedDim = {
      ...(name === undefined ? {} : { name }),
      inputs: [input],
      shapes: [[...declared]],
      axis,
      rank: declared.length,
      ...size,
    };
    // Its terms are listed where guessed; a warning that names it invited `--dim 'a + b=SIZE'`, which is refused.
    if (!sum) guessed.push(entry);
    if (name !== undefined) byName.set(name, entry);
    return entry.value;
  };
  return { sizeOf, guessed };
}

function guessOf(
  guesses: Map<string, InputGuess>,
  input: string,
  axis: number,
): { value: number; reason: string; batch?: true } {
  const guess = guesses.get(input)?.dims[axis];
  if (!guess) return { value: 1, reason: 'unknown size: 1 until you set it' };
  return { value: guess.value, reason: guess.reason, ...(guess.source === 'batch' ? { batch: true as const } : {}) };
}

interface FeedableTensor {
  elemType: number;
  ortType: Tensor.Type;
  declared: (number | string | null)[];
  /** False when the model declares no shape at all (any rank goes). */
  hasShape: boolean;
}

/** The element type and declared shape of a tensor input onnxruntime can feed; refuses anything else. */
function feedableTensor(vi: ValueInfoProto): FeedableTensor {
  const type = vi.type?.value;
  if (type?.case !== 'tensorType') {
    throw new StudioError('BAD_REQUEST', `Input '${vi.name}' is a ${describeType(vi.type).dtype}, not a tensor; ONNX Studio feeds tensor inputs only.`);
  }
  const ortType = ortTypeOf(type.value.elemType);
  if (!ortType) {
    throw new StudioError('BAD_REQUEST', `Input '${vi.name}' has element type ${describeType(vi.type).dtype}, which onnxruntime cannot feed.`);
  }
  return { elemType: type.value.elemType, ortType, declared: describeType(vi.type).shape, hasShape: type.value.shape !== undefined };
}

/** Refuses a whole shape of the wrong rank, or one that contradicts a dim the model fixes. */
function checkWholeShape(name: string, tensor: FeedableTensor, whole: number[], source: SizeSource): void {
  const { declared } = tensor;
  const given = capitalized(source.shape(name, whole));
  if (tensor.hasShape && whole.length !== declared.length) {
    throw new StudioError('BAD_INPUT', `${given} has ${whole.length} dims but the model declares ${declared.length}: [${declared.map((d) => d ?? '?').join(', ')}].`);
  }
  declared.forEach((d, i) => {
    if (typeof d === 'number' && d !== whole[i]) {
      throw new StudioError('BAD_INPUT', `${given}: dim ${i} is fixed to ${d} by the model, got ${whole[i]}.`);
    }
  });
}

/**
 * Refuses a 0 dim set anywhere but a KV cache's past length (cache-dims.ts): elsewhere it makes an empty tensor,
 * and a benchmark would time no work.
 */
function refuseEmptyDims(inputs: readonly ResolvedInput[]): void {
  for (const input of inputs) {
    const axis = input.dims.findIndex((d, i) => d === 0 && !dimMayBeEmpty({ name: input.name, shape: input.declared }, i));
    if (axis < 0) continue;
    const by = input.setBy?.[axis];
    throw new StudioError(
      'BAD_INPUT',
      `${by ? `${capitalized(by)} gives` : 'The model gives'} input '${input.name}' a ${dimLabel(input.declared, axis)} of 0: a dim must be at least 1${EMPTY_ONLY_PAST}.`,
    );
  }
}

/** Refuses shapes or values (`--shape`, `--value`) naming no input of the model: a typo would otherwise be ignored. */
function refuseUnknownNames(overrides: ShapeOverrides, known: readonly string[], source: SizeSource): void {
  for (const field of ['shapes', 'values'] as const) {
    for (const name of Object.keys(overrides[field] ?? {})) {
      if (!known.includes(name)) {
        throw new StudioError('BAD_INPUT', `${capitalized(source.field[field])} names '${name}', which is not an input of the model (inputs: ${known.join(', ')}).`);
      }
    }
  }
}

/**
 * The values synthetic data feeds each input: the user's where `--value` set them, else the shared guess for
 * integer and bool inputs (floats get normal noise; string inputs cannot take numbers). Guessed over the
 * concrete shapes, so that a shape that holds one number is guessed as one (`a single number`).
 */
function addValues(
  inputs: readonly ResolvedInput[],
  chosen: Record<string, InputValues>,
  summaries: readonly TensorSummary[],
): ResolvedInput[] {
  // Guessed on the resolved dims (a single number reads as one), keeping what the graph says of each input.
  const indexes = new Map(summaries.map((s) => [s.name, s.indexes]));
  const resolved = inputs.map((i): TensorSummary => {
    const table = indexes.get(i.name);
    return { name: i.name, dtype: dtypeName(i.elemType), shape: i.dims, ...(table ? { indexes: table } : {}) };
  });
  // The declared names' sizes, so that a guess that reads another dim (a cache switch reads the past length) sees it.
  const sizes = sizesByName(
    inputs.map((i) => ({ name: i.name, shape: i.declared })),
    Object.fromEntries(inputs.map((i) => [i.name, i.dims])),
  );
  const guesses = guessesByName(guessInputSpec(resolved, {}, Object.fromEntries(sizes)));
  // The past the positions follow, so that a refusal says what fits after it, in the form's words.
  const past = pastLengthIn(
    inputs.map((i) => ({ name: i.name, shape: i.declared })),
    Object.fromEntries(inputs.map((i) => [i.name, i.dims])),
  );
  return inputs.map((input) => {
    const values = chosen[input.name];
    // The rule the app's form and the stored experiment follow: a range of 1.5..3 would feed an int64 input 2.5.
    // The declared shape names the dim the advice asks to shorten (`sequence_length`, not `dim 1`).
    const typed = {
      name: input.name,
      dtype: dtypeName(input.elemType),
      indexes: indexes.get(input.name),
      shape: input.declared,
      // Flags where the CLI asked (bench sends no origin); the app and recipes get their fields' words.
      flags: input.origin === undefined || input.origin === 'flags',
    };
    const problem = values && inputValuesProblem(typed, values, input.dims, past);
    if (problem) throw new StudioError('BAD_INPUT', problem.message);
    if (values) return { ...input, values };
    const guess = guesses.get(input.name)?.values;
    if (!guess || !isDatasetDtype(input.ortType)) return input;
    // A guess is held to the same rule: positions guessed over a length set past the position table; the message
    // already says what to set.
    const wrong = inputValuesProblem(typed, guess.values, input.dims, past);
    if (wrong) throw new StudioError('BAD_INPUT', wrong.message);
    return { ...input, values: guess.values, valuesGuess: guess.reason };
  });
}

/**
 * Refuses a `--dim` that names no named dim of any of the models a command runs (their `namedDims` from
 * resolveInputSpecs): a typo would otherwise be ignored. A name one of several models lacks is fine (`bench
 * A B --dim batch=1` where B is fixed-size).
 */
export function refuseUnknownDims(
  dims: Record<string, number> | undefined,
  namedDims: readonly (readonly string[])[],
  /** Where the dims came from, for the message (ShapeOverrides.origin): unmarked, `--dim`. */
  origin?: InputsOrigin,
): void {
  const { field: fields, shapeHint } = sizeSource(origin);
  const field = capitalized(fields.dims);
  const known = new Set(namedDims.flat());
  for (const name of Object.keys(dims ?? {})) {
    if (known.has(name)) continue;
    const models = namedDims.length > 1 ? 'the models\' inputs' : "the model's inputs";
    throw new StudioError(
      'BAD_INPUT',
      `${field} names '${name}', which is no named dim of ${models} (${known.size > 0 ? `named dims: ${[...known].join(', ')}` : `they have no named dims; use ${shapeHint}`}).`,
    );
  }
}

/**
 * The one warning about dims nothing set: every such dim with the size it was given and why (the reason the
 * app's form shows beside it), and how to set them. A benchmark at a guessed size is a wrong number, so this
 * is said once, loudly, rather than once per dim in a list of notes.
 */
export function guessedDimsNote(guessed: readonly GuessedDim[]): string {
  const sizes = guessed.map((g, i) => `${describeDim(g)} ${i === 0 ? 'was guessed as' : 'as'} ${g.value} (${g.reason})`);
  const several = guessed.length > 1;
  return (
    `${sizes.join(', ')} because nothing set ${several ? 'them' : 'it'}: the figures are for ${several ? 'those sizes' : 'that size'}. ` +
    `Set ${several ? 'them' : 'it'} with ${setDimsExample(guessed)} (the app asks in the Model view).`
  );
}

/** Inputs a guessed-dim note names before `and N more`. */
const LISTED_INPUTS = 4;

/** `dim 'batch' of inputs 'input_ids' and 'attention_mask'`, `unknown dim 3 of input 'x'`. */
function describeDim(dim: GuessedDim): string {
  if (dim.name === undefined) return `unknown dim ${dim.axis} of input '${dim.inputs[0]}'`;
  // A decoder's 64 cache inputs share the batch and the past: one group (shared/input-groups.ts), then the first
  // few of what is left, and how many more.
  const items = dim.inputs.map((name, k) => ({ name, shape: dim.shapes?.[k] ?? [] }));
  const inputs = namedGroups(items, 'inputs');
  // `and N more` counts inputs, a group's members each (namedGroups' groups are cacheGroups').
  const more =
    inputs.length > LISTED_INPUTS + 1
      ? cacheGroups(items, () => '')
          .slice(LISTED_INPUTS)
          .reduce((n, group) => n + group.length, 0)
      : 0;
  const listed =
    dim.inputs.length === 1
      ? `input ${inputs[0]}`
      : more > 0
        ? `inputs ${inputs.slice(0, LISTED_INPUTS).join(', ')} and ${more} more`
        : `inputs ${listWords(inputs)}`;
  return `dim '${dim.name}' of ${listed}`;
}

/** `--dim samples=SIZE or --shape audio=AxB`, with the names of the dims guessed (`--dim` sets named dims only). */
function setDimsExample(guessed: readonly GuessedDim[]): string {
  const first = guessed[0]!;
  const letters = Array.from({ length: first.rank }, (_, i) => String.fromCharCode(65 + (i % 26))).join('x');
  // Quoted as the shell needs it: an input named `input ü x` split into three arguments.
  const shape = `--shape ${shellQuote(`${first.inputs[0]}=${letters}`)}`;
  const named = (guessed.find((g) => g.name !== undefined && !g.batch) ?? guessed.find((g) => g.name !== undefined))
    ?.name;
  return named === undefined ? shape : `--dim ${shellQuote(`${named}=SIZE`)} or ${shape}`;
}

/**
 * A guess note as a recipe run says it: its last sentence, how to set the guessed sizes or values with flags,
 * names the recipe's "inputs" instead (`run` takes no --shape, --dim or --value: the recipe is what it runs).
 */
export function guessNoteForRecipe(note: string): string {
  const howTo = / Set (them|it|real ones) with --/.exec(note);
  if (!howTo) return note;
  const values = note.startsWith('Synthetic data filled');
  return (
    `${note.slice(0, howTo.index)} Set ${howTo[1]} in the recipe's "inputs" ` +
    `(${values ? '"values": {"INPUT": {"kind": "constant", "value": N}}' : '"dims": {"NAME": SIZE}, or "shapes": {"INPUT": [SIZES]}'}), then run it again.`
  );
}

/**
 * True for a note about values nothing set (`guessedDimsNote`, synthetic-feeds' `guessedValuesNote`: both say
 * "because nothing set"), which commands print as a warning.
 */
export function isGuessNote(note: string): boolean {
  return note.includes('because nothing set');
}
