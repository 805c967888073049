/**
 * The input spec of an experiment: the concrete shape of every model input, and for inputs that are not
 * free-form floats (a sample rate, token ids, a mask) which values to feed. Models often leave dims open
 * (`x [?, 3, 48, ?]`) or take integers whose value matters (`sr = 16000`); running them with a guessed
 * shape gives numbers that look right and are not, so the app asks for the spec (prefilled with the guesses
 * below, each with its reason) and every job of the model uses it.
 *
 * Plain data and pure functions: the engine, the CLI, the app and the mock host share them.
 */
import {
  cacheSwitchProblem,
  describeSum,
  dimMayBeEmpty,
  dimTerms,
  isCacheInput,
  isCacheSwitchName,
  isPastLengthName,
  modelDimNames,
  pastLengthIn,
  sumDimProblem,
  sumOf,
} from './cache-dims.js';
import { shellQuote } from './shell-quote.js';
import { fedShapesOf, sameShapes, type FedShape, type InputValues } from './latency-stats.js';

/** An input as fed: its shape, and every distinct shape when the samples differ (latency-stats.ts). */
type FedShapes = Pick<FedShape, 'shape' | 'shapes'>;
import type { IndexedTable, PositionTable, TensorSummary } from './model-summary.js';

/** Which values to feed an input: declared in latency-stats.ts, the leaf both import (FedShape records them). */
export type { InputValues };

/**
 * Concrete shapes by input name, and value rules for the inputs that need them. Plain types here (the page
 * imports this module and must not load zod); their schemas are in input-spec-schema.ts.
 */
export interface InputSpec {
  shapes: Record<string, number[]>;
  values?: Record<string, InputValues>;
}

/**
 * Where a guessed dim came from, so the form can say why it holds that number (`table`: a guess cut to the rows of
 * the position table the dim's positions index; `set`: the size given its name, which the guesses go around).
 */
export type DimSource = 'model' | 'batch' | 'name' | 'image' | 'default' | 'table' | 'set';

export interface DimGuess {
  value: number;
  source: DimSource;
  /** Human-readable, e.g. `batch: one sample per run` or `width of a 48-pixel text line`. */
  reason: string;
}

export interface InputGuess {
  name: string;
  dtype: string;
  declared: TensorSummary['shape'];
  dims: DimGuess[];
  /** For integer and bool inputs: the values to feed, with the reason. */
  values?: { values: InputValues; reason: string };
}

const FLOAT_TYPES = new Set(['float32', 'float16', 'float64', 'bfloat16']);

/** A dim the model names (`batch`, `seq`): one size in every input that has it. An empty name names nothing. */
export function isNamedDim(d: unknown): d is string {
  return typeof d === 'string' && d !== '';
}

export function isOpenDim(d: number | string | null): boolean {
  return typeof d !== 'number' || d < 0;
}

/**
 * True when running the model needs choices the model does not make itself: a symbolic or unknown dim, or
 * an input that is not a float tensor (its values matter). The app asks before anything runs.
 */
export function needsInputSpec(inputs: readonly TensorSummary[]): boolean {
  return inputs.some(inputNeedsSpec);
}

/** One input's share of `needsInputSpec`: an open dim, or values that matter. */
export function inputNeedsSpec(input: TensorSummary): boolean {
  // A model that declares no shape at all needs the whole shape: nothing here can guess a rank.
  return input.rankUnknown === true || input.shape.some(isOpenDim) || !FLOAT_TYPES.has(input.dtype);
}

/**
 * Names that read as a batch. `num_samples` does only in the leading position: after a batch dim it is the
 * length of a waveform (`audio [1, num_samples]`), and reading it as a batch of 1 made every job fail on the
 * model's Reshape.
 */
const BATCH_NAMES = /^(n|b|bs|batch|batch_?size|batches|num_?samples|unk__\d+)$/i;
/** A count of samples after the batch dim: an audio length (`samples`, `num_samples`, `audio_len`). */
const SAMPLE_COUNT_NAMES =
  /^((num|n)_?)?samples$|^(audio|wav|wave|waveform|signal|speech|pcm)_?(len|length|samples|size)?$/i;
/** Dims that read as a length of time: next to a sample-rate input they count samples. */
const TIME_NAMES = /(sample|time|length|len|frames|steps|duration|^t$)/i;
/** Inputs that read as a waveform, whose unnamed last dim is an audio length. */
const WAVEFORM_INPUTS = /(audio|wav|wave|waveform|signal|speech|pcm|samples)/i;
const SEQUENCE_NAMES = /(seq|sequence|token|length|len|time|frames|steps)/i;
const HEIGHT_NAMES = /^(h|height|img_?h|image_?height)$/i;
const WIDTH_NAMES = /^(w|width|img_?w|image_?width)$/i;
const SAMPLE_RATE_NAMES = /^(sr|sample_?rate|sampling_?rate)$/i;
/** The largest guessed id where the model does not say which table the ids index: small ids fit most. */
const IDS_MAX = 99;

/** The usual rate of speech models: the value of a sample-rate input, and one second of audio as a length. */
const SPEECH_SAMPLE_RATE = 16000;
/** A default sequence length for transformer-like inputs. */
const SEQUENCE_LENGTH = 128;
/** The usual input side of image classifiers. */
const IMAGE_SIDE = 224;
/** A text-line recognizer's usual width (e.g. PaddleOCR's 320 for a 48-pixel-high line). */
const TEXT_LINE_WIDTH = 320;

/** A sample-rate input of the same model and the rate guessed for it: one second of audio is that many samples. */
interface SampleRate {
  input: string;
  rate: number;
}

/** True for a dim with no name of its own: unknown, or an exporter's `unk__12` / `dim_3`. */
function unnamed(name: string): boolean {
  return name === '' || /^(unk__\d+|dim_?\d+|\?)$/i.test(name);
}

/**
 * The audio length of a waveform input (`audio [1, samples]`): the last dim of a float input of rank 1 to 3
 * whose name reads as a time or a sample count, or that has no name while the input reads as a waveform.
 */
function isAudioLength(
  input: TensorSummary,
  index: number,
  name: string,
  sampleRate: SampleRate | undefined,
): boolean {
  if (!FLOAT_TYPES.has(input.dtype) || index !== input.shape.length - 1 || input.shape.length > 3)
    return false;
  if (SAMPLE_COUNT_NAMES.test(name)) return true;
  if (sampleRate && (TIME_NAMES.test(name) || unnamed(name))) return true;
  return unnamed(name) && WAVEFORM_INPUTS.test(input.name);
}

function guessDim(input: TensorSummary, index: number, sampleRate?: SampleRate): DimGuess {
  const d = input.shape[index] ?? null;
  if (!isOpenDim(d)) return { value: d as number, source: 'model', reason: 'fixed by the model' };
  const name = typeof d === 'string' ? d : '';
  const rank = input.shape.length;
  if (index === 0 && (rank >= 2 || BATCH_NAMES.test(name))) {
    return { value: 1, source: 'batch', reason: 'batch: one sample per run' };
  }
  const what = name ? `'${name}'` : `dim ${index} of '${input.name}'`;
  // A KV cache's past length (cache-dims.ts): a model's first step has none. Unnamed, only where a cache keeps it,
  // [batch, heads, past, head_dim]: another unnamed dim of a cache input may be anything.
  if (dimMayBeEmpty(input, index)) {
    return {
      value: 0,
      source: 'name',
      reason: `${what} reads as the length of a cache of earlier steps: 0, a first step with nothing cached`,
    };
  }
  if (isAudioLength(input, index, name, sampleRate)) {
    // A length of 1 makes a speech model fail on its first Reshape or STFT: one second of audio is the guess.
    if (sampleRate) {
      return {
        value: sampleRate.rate,
        source: 'name',
        reason: `${what} reads as an audio length: one second at the ${sampleRate.rate} Hz of '${sampleRate.input}'`,
      };
    }
    return {
      value: SPEECH_SAMPLE_RATE,
      source: 'name',
      reason: `${what} after the batch reads as an audio length: one second at 16 kHz`,
    };
  }
  // A batch named elsewhere than first (`[sequence, batch, features]` of recurrent exports).
  if (BATCH_NAMES.test(name)) return { value: 1, source: 'batch', reason: `'${name}' reads as a batch size` };
  // A dim named as a length is not an image side, though its input has an image's rank and 1, 3 or 4 on axis 1: a
  // KV cache of a 4-head model, [batch, 4, past_sequence_length, 64], read as a 64-pixel "square image".
  const image =
    rank === 4 &&
    typeof input.shape[1] === 'number' &&
    [1, 3, 4].includes(input.shape[1]) &&
    index >= 2 &&
    !(name !== '' && !unnamed(name) && SEQUENCE_NAMES.test(name));
  if (image || HEIGHT_NAMES.test(name) || WIDTH_NAMES.test(name)) {
    const other = image ? input.shape[index === 2 ? 3 : 2] : null;
    const otherSize = typeof other === 'number' && other > 0 ? other : undefined;
    if (index === 3 && otherSize !== undefined && otherSize <= 64) {
      return {
        value: TEXT_LINE_WIDTH,
        source: 'image',
        reason: `width of a ${otherSize}-pixel-high text line`,
      };
    }
    if (otherSize !== undefined)
      return { value: otherSize, source: 'image', reason: 'square image, like the other side' };
    return {
      value: IMAGE_SIDE,
      source: 'image',
      reason: `image side (${IMAGE_SIDE}, the usual classifier input)`,
    };
  }
  if (SEQUENCE_NAMES.test(name)) {
    return { value: SEQUENCE_LENGTH, source: 'name', reason: `'${name}' reads as a sequence length` };
  }
  return {
    value: 1,
    source: 'default',
    reason: name
      ? `nothing tells the size of '${name}': 1 until you set it`
      : 'unknown size: 1 until you set it',
  };
}

/**
 * A decoder's positions of its tokens (`position_ids`, Optimum's exports; `positions`, `pos_ids`; `cache_position`,
 * where new tokens go in the cache): guessed as positions, and never read as the token ids (next-token-plan.ts).
 */
const POSITION_NAMES = /(^|[_.])(position_?ids|positions|pos_?ids|cache_positions?)$/i;

/** True for an input named as the positions of a decoder's tokens (POSITION_NAMES). */
export function isPositionIdsName(name: string): boolean {
  return POSITION_NAMES.test(name);
}

function guessValues(input: TensorSummary, shape: number[], pastLength?: number): InputGuess['values'] {
  if (FLOAT_TYPES.has(input.dtype)) return undefined;
  // Before the bool rule: a bool attention mask of random values hides half the sequence.
  if (/mask/i.test(input.name))
    return { values: { kind: 'constant', value: 1 }, reason: 'a mask: every position on' };
  // Random, it took the with-past branch half the time, whatever the past held.
  if (pastLength !== undefined && isCacheSwitchName(input.name)) {
    return pastLength === 0
      ? { values: { kind: 'constant', value: 0 }, reason: 'the cache switch: off, as the past is empty (length 0)' }
      : { values: { kind: 'constant', value: 1 }, reason: `the cache switch: on, as the past holds ${pastLength} steps` };
  }
  if (input.dtype === 'bool')
    return { values: { kind: 'range', min: 0, max: 1 }, reason: 'random true/false' };
  // Before the single-number rule: one new token after a past of 5 is at position 5. Random ids fed a position
  // embedding or RoPE random positions, and the figures of every evaluation were wrong.
  if (isPositionIdsName(input.name)) {
    const start = pastLength ?? 0;
    return {
      values: { kind: 'positions', start },
      reason:
        start === 0
          ? 'positions 0..n-1 along the sequence'
          : `positions from ${start}, after the past of ${start}`,
    };
  }
  // Bytes are pixels in practice (an NHWC image of an exported detector): the whole range, not 0-99.
  if (input.dtype === 'uint8')
    return { values: { kind: 'range', min: 0, max: 255 }, reason: 'image bytes: 0 to 255' };
  if (SAMPLE_RATE_NAMES.test(input.name)) {
    return {
      values: { kind: 'constant', value: SPEECH_SAMPLE_RATE },
      reason: 'a sample rate: 16 kHz, the usual rate of speech models',
    };
  }
  const scalar = shape.reduce((a, b) => a * b, 1) === 1;
  // One token id (a decoder's step with a cache, [1, 1]) is still an id into its table, not a setting of 1.
  if (scalar && !input.indexes)
    return {
      values: { kind: 'constant', value: 1 },
      reason: 'a single number: set the value the model expects',
    };
  return idsGuess(input.indexes);
}

/**
 * Ids over every row of the table they index where the model says which (a 32000-row vocabulary drawn 0..99 fed
 * 0.3% of it, and a user changed it every time); else below 100, which any table is likely to have.
 */
function idsGuess(indexes: TensorSummary['indexes']): NonNullable<InputGuess['values']> {
  if (!indexes) {
    return {
      values: { kind: 'range', min: 0, max: IDS_MAX },
      reason: `ids or indices: 0 to ${IDS_MAX}, small enough for most tables`,
    };
  }
  const max = indexes.rows - 1;
  return {
    values: { kind: 'range', min: 0, max },
    reason: `ids 0..${max}, rows of ${indexes.table}`,
  };
}

/**
 * The model's sample-rate input (`sr`, `sample_rate`) and its rate, if it has one: the constant the user chose
 * for it, else the one guessed.
 */
function sampleRateOf(
  inputs: readonly TensorSummary[],
  chosen: Readonly<Record<string, InputValues>>,
): SampleRate | undefined {
  for (const input of inputs) {
    if (FLOAT_TYPES.has(input.dtype) || !SAMPLE_RATE_NAMES.test(input.name)) continue;
    const own = chosen[input.name];
    if (own?.kind === 'constant' && own.value > 0) return { input: input.name, rate: own.value };
    const guess = guessValues(input, [1]);
    if (guess?.values.kind === 'constant') return { input: input.name, rate: guess.values.value };
  }
  return undefined;
}

/**
 * The position table that bounds each open dim (`positionTables`), the smallest: a named dim's in any input that
 * has it (one size in every input), an unnamed one's in its own input.
 */
function positionLimits(
  inputs: readonly TensorSummary[],
): (input: TensorSummary, axis: number) => PositionTable | undefined {
  const byName = new Map<string, PositionTable>();
  for (const input of inputs) {
    for (const table of input.positionTables ?? []) {
      const name = input.shape[table.axis];
      const known = isNamedDim(name) ? byName.get(name) : undefined;
      if (isNamedDim(name) && (!known || table.longest < known.longest))
        byName.set(name, table);
    }
  }
  return (input, axis) => {
    const name = input.shape[axis];
    if (isNamedDim(name)) return byName.get(name);
    return input.positionTables?.find((t) => t.axis === axis);
  };
}

/**
 * A guess cut to the rows of the position table the dim's positions index: a sequence of 128 fails in the
 * Gather of a 64-row position embedding.
 */
function withinTable(guess: DimGuess, table: PositionTable | undefined): DimGuess {
  if (!table || guess.source === 'model' || guess.value <= table.longest) return guess;
  const rows =
    table.longest === table.rows
      ? `the ${table.rows} rows of position table '${table.table}'`
      : `the ${table.longest} positions of position table '${table.table}' (${table.rows} rows, from position ${table.rows - table.longest})`;
  return { value: table.longest, source: 'table', reason: `${guess.reason}, at most ${rows}` };
}

/**
 * A prefilled spec for every input, each dim and value with the reason it was chosen. `chosen`: values the user
 * already set (`--value sr=8000`), which the guesses follow (one second of audio at 8000 Hz). `sizes`: sizes given
 * named dims (the CLI's `--dim`, the fields typed in the Model view's form), which those dims take (source `set`)
 * and the other guesses go around: a past of 5 cuts a guessed sequence to the rows of the position table left after
 * it. No guess exceeds the rows of a position table the dim's positions index (TensorSummary.positionTables); a
 * size given is never cut (inputSpecProblem says what to do where it does not fit).
 */
export function guessInputSpec(
  inputs: readonly TensorSummary[],
  chosen: Readonly<Record<string, InputValues>> = {},
  sizes: Readonly<Record<string, number>> = {},
): InputGuess[] {
  const sampleRate = sampleRateOf(inputs, chosen);
  const limitOf = positionLimits(inputs);
  const sizeOf = (d: TensorSummary['shape'][number]) =>
    isNamedDim(d) && !isOpenDim(sizes[d] ?? null) ? sizes[d]! : undefined;
  // Each dim guessed beside the sizes given, as the CLI's `--dim` puts them in the shapes: a width beside a height
  // set to 48 is a text line's. The names stay in `inputs`: the tables and sums go by them.
  const given = inputs.map((input) => ({ ...input, shape: input.shape.map((d) => sizeOf(d) ?? d) }));
  const dims = inputs.map((input, k) =>
    input.shape.map((d, i): DimGuess => {
      const size = sizeOf(d);
      if (size !== undefined) return { value: size, source: 'set', reason: `'${String(d)}' set to ${size}` };
      return withinTable(guessDim(given[k]!, i, sampleRate), limitOf(input, i));
    }),
  );
  const past = pastLengthOf(inputs, dims, sizes);
  withinPositions(inputs, dims, past ?? 0, chosen);
  sumsOfTerms(inputs, dims, sizes);
  return inputs.map((input, k) => {
    const values = guessValues(
      input,
      dims[k]!.map((d) => d.value),
      past,
    );
    return {
      name: input.name,
      dtype: input.dtype,
      declared: input.shape,
      dims: dims[k]!,
      ...(values ? { values } : {}),
    };
  });
}

/**
 * Sizes the open dims named as a sum of the model's dims (`past_sequence_length + sequence_length`, cache-dims.ts)
 * as that sum, of the sizes `sizes` sets and else of the first guess of each term, in place.
 */
function sumsOfTerms(
  inputs: readonly TensorSummary[],
  dims: DimGuess[][],
  sizes: Readonly<Record<string, number>>,
): void {
  const names = new Set([...modelDimNames(inputs), ...Object.keys(sizes)]);
  const guessed = new Map<string, number>(Object.entries(sizes));
  inputs.forEach((input, k) =>
    input.shape.forEach((d, i) => {
      if (isNamedDim(d) && !guessed.has(d) && !dimTerms(d, names)) guessed.set(d, dims[k]![i]!.value);
    }),
  );
  const sizeOf = (name: string) => guessed.get(name);
  inputs.forEach((input, k) =>
    input.shape.forEach((d, i) => {
      const terms = isNamedDim(d) ? dimTerms(d, names) : undefined;
      const total = terms && sumOf(terms, sizeOf);
      if (total === undefined) return;
      dims[k]![i] = { value: total, source: 'name', reason: `the sum ${describeSum(terms!, sizeOf)}` };
    }),
  );
}

/**
 * Cuts the guessed length of a positions input (`position_ids`, guessed as positions from the past length) to the
 * rows of the position table it indexes, in place, in every input that has the dim: 128 new tokens after a past of 5
 * reached position 132 of a 128-row table, and every run failed in its Gather.
 */
function withinPositions(
  inputs: readonly TensorSummary[],
  dims: DimGuess[][],
  past: number,
  chosen: Readonly<Record<string, InputValues>>,
): void {
  inputs.forEach((input, k) => {
    const last = input.shape.length - 1;
    const table = input.indexes;
    const own = chosen[input.name];
    // Positions the user set start where they say; guessed ones (no values set) at the past.
    if (own && own.kind !== 'positions') return;
    const start = own?.kind === 'positions' ? own.start : past;
    if (!table || last < 0 || FLOAT_TYPES.has(input.dtype) || (!own && !isPositionIdsName(input.name))) return;
    const guess = dims[k]![last]!;
    const limit = table.rows - start;
    if (guess.source === 'model' || guess.source === 'set' || limit < 1 || guess.value <= limit) return;
    const cut: DimGuess = {
      value: limit,
      source: 'table',
      reason: `${guess.reason}, at most ${limit}: positions ${start}..${table.rows - 1} of the ${table.rows} rows of '${table.table}'`,
    };
    const name = input.shape[last];
    inputs.forEach((other, j) =>
      other.shape.forEach((d, i) => {
        if ((j === k && i === last) || (isNamedDim(name) && d === name)) dims[j]![i] = cut;
      }),
    );
  });
}

/** The past length of a model with a KV cache (the size set or guessed for it), or undefined when it has none. */
function pastLengthOf(
  inputs: readonly TensorSummary[],
  dims: readonly DimGuess[][],
  sizes: Readonly<Record<string, number>>,
): number | undefined {
  // A size set for a past-named dim is the past only where the model has a cache (not a time series' past_length).
  const set = inputs.some(isCacheInput) && Object.entries(sizes).find(([name]) => isPastLengthName(name));
  if (set) return set[1];
  return pastLengthIn(inputs, Object.fromEntries(inputs.map((input, k) => [input.name, dims[k]!.map((d) => d.value)])));
}

/** The spec the guesses add up to. */
export function specFromGuesses(guesses: readonly InputGuess[]): InputSpec {
  const shapes: Record<string, number[]> = {};
  const values: Record<string, InputValues> = {};
  for (const g of guesses) {
    shapes[g.name] = g.dims.map((d) => d.value);
    if (g.values) values[g.name] = g.values.values;
  }
  return Object.keys(values).length > 0 ? { shapes, values } : { shapes };
}

/** Past this many sizes, an axis of a mix of shapes reads as its range (`64..640`). */
const LISTED_SIZES = 4;

/**
 * The dims of an input as fed, each a number, or where samples of one rank differ on an axis, its sizes
 * (`{64, 96, 128}`, or `64..640` past four); samples of different ranks read `N shapes`.
 */
function fedDims(input: FedShapes, separator: string): string[] | string {
  const shapes = fedShapesOf(input);
  const rank = shapes[0]!.length;
  if (shapes.some((s) => s.length !== rank)) return `${shapes.length} shapes`;
  return shapes[0]!.map((_, axis) => {
    const sizes = [...new Set(shapes.map((s) => s[axis]!))].sort((a, b) => a - b);
    if (sizes.length === 1) return String(sizes[0]);
    if (sizes.length > LISTED_SIZES) return `${sizes[0]}..${sizes.at(-1)}`;
    return `{${sizes.join(separator)}}`;
  });
}

/** `[1, 3, 48, 320]`; a mix of widths `[1, 3, 48, {64, 128}]`. */
export function bracketedShape(input: FedShapes): string {
  const dims = fedDims(input, ', ');
  return typeof dims === 'string' ? dims : `[${dims.join(', ')}]`;
}

/** `x float32 [1, 3, 48, 320]` (a mix of widths `[1, 3, 48, {64, 128}]`), for tables, tooltips and reports. */
export function describeInputShape(input: { name: string; dtype: string } & FedShapes): string {
  return `${input.name} ${input.dtype} ${bracketedShape(input)}`;
}

/**
 * `1x3x48x320` per input, joined: the short form beside a latency or a score (a mix of widths
 * `1x3x48x{64,128}`). A scalar (shape `[]`) reads `scalar`: joined, it was an empty string ("audio 1x16000,
 * sample_rate "). A one-dim shape keeps its brackets, `sr [1]`: "sr 1" read as a sample rate of 1.
 */
export function shortShapes(
  inputs: readonly ({ name: string; values?: FedShape['values'] } & FedShapes)[],
): string {
  const shape = (input: FedShapes) => {
    const dims = fedDims(input, ',');
    if (typeof dims === 'string') return dims;
    return dims.length === 0 ? 'scalar' : dims.length === 1 ? `[${dims[0]}]` : dims.join('x');
  };
  // The values fed, where recorded: runs at `sr [1]=8000` and `sr [1]=16000` have the same shapes.
  const short = (input: FedShapes & { values?: FedShape['values'] }) =>
    input.values ? `${shape(input)}=${valuesText(input.values)}` : shape(input);
  if (inputs.length === 1) return short(inputs[0]!);
  return inputs.map((i) => `${i.name} ${short(i)}`).join(', ');
}

/**
 * What a figure was fed, as far as its shapes go: a benchmark's or an evaluation's recorded inputs, and the
 * dataset when data was fed (workspace.ts `BenchRecord`, `EvalRecord`).
 */
export interface MeasuredInputs {
  inputs?: readonly FedShape[] | undefined;
  dataset?: unknown;
}

/**
 * The shapes `spec` gives the inputs that were `fed`, in their order; an input the spec does not name keeps
 * the shape it was fed (the spec says nothing about it).
 */
export function specShapesFor(fed: readonly FedShape[], spec: InputSpec): FedShape[] {
  return fed.map((f) => {
    // Values only where the figure recorded some: an older record says nothing of them.
    const values = f.values ? (spec.values?.[f.name] ?? f.values) : undefined;
    return { name: f.name, shape: spec.shapes[f.name] ?? f.shape, ...(values ? { values } : {}) };
  });
}

/** `16000`, `0..99` for a range, `positions from 0`: the values an input was fed, in the Inputs column's words. */
export function valuesText(values: InputValues): string {
  if (values.kind === 'positions') return `positions from ${values.start}`;
  return values.kind === 'constant' ? String(values.value) : `${values.min}..${values.max}`;
}

/** Whether a figure fed other values than the spec now sets (only where both say: older records do not). */
export function valuesOffSpec(fed: readonly FedShape[], spec: InputSpec): boolean {
  return fed.some((f) => {
    const now = spec.values?.[f.name];
    return f.values !== undefined && now !== undefined && valuesText(f.values) !== valuesText(now);
  });
}

/**
 * True when a figure was measured at other shapes than the spec now gives (the user changed a width after
 * benchmarking): its figures are not those of the next run. False when there is nothing to tell: no spec
 * (jobs feed the model's own shapes), no recorded inputs, or inputs fed from data, whose shapes the data
 * decides whatever the spec says.
 */
export function measuredOffSpec(measured: MeasuredInputs, spec: InputSpec | undefined): boolean {
  if (!spec || !measured.inputs || measured.dataset !== undefined) return false;
  return (
    !sameShapes(measured.inputs, specShapesFor(measured.inputs, spec)) || valuesOffSpec(measured.inputs, spec)
  );
}

/** How a dim is named in forms and messages: its symbolic name (`W`), or its position (`dim 3`). */
export function dimLabel(declared: TensorSummary['shape'], index: number): string {
  const d = declared[index];
  return isNamedDim(d) ? d : `dim ${index}`;
}

const DTYPE_BYTES: Record<string, number> = {
  float64: 8,
  int64: 8,
  uint64: 8,
  float32: 4,
  int32: 4,
  uint32: 4,
  float16: 2,
  bfloat16: 2,
  int16: 2,
  uint16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** The bytes one tensor of this dtype and shape takes (4 per element for a dtype this table lacks). */
export function inputBytes(dtype: string, shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[dtype] ?? 4);
}

/**
 * Above this, one input is more than any model we run sensibly takes per run (a 4K float image is 100 MB): a
 * typo's extra zeros, which would fill the memory of the engine process instead of measuring anything.
 */
export const LARGE_INPUT_BYTES = 2 ** 30;

/** One line per input of `spec` that takes more than `LARGE_INPUT_BYTES`, with its size in bytes. */
export function largeInputWarnings(inputs: readonly TensorSummary[], spec: InputSpec): string[] {
  const warnings: string[] = [];
  for (const input of inputs) {
    const shape = spec.shapes[input.name];
    if (!shape) continue;
    const bytes = inputBytes(input.dtype, shape);
    if (bytes <= LARGE_INPUT_BYTES) continue;
    warnings.push(
      `Input '${input.name}' ${input.dtype} [${shape.join(', ')}] takes ${bytes.toLocaleString('en')} bytes (${(bytes / 1e9).toFixed(1)} GB) per run, ` +
        `more than the ${LARGE_INPUT_BYTES.toLocaleString('en')} bytes (1 GiB) a model input sensibly takes: check its dims.`,
    );
  }
  return warnings;
}

/** True for element types that hold whole numbers only (integers and bool): their values must be whole. */
export function takesWholeNumbers(dtype: string): boolean {
  return !FLOAT_TYPES.has(dtype);
}

/**
 * The numbers synthetic data feeds an input of element type `dtype` and shape `dims` under `rule`, in row-major
 * order: the constant everywhere (0 or 1 for a bool), a uniform draw from a range (whole numbers for integer and
 * bool inputs, real numbers for floats), or positions start, start + 1, ... along the last axis, the same for every
 * leading index. One rule for the engine (synthetic-feeds.ts) and the page's onnxruntime-web runs; `next` draws a
 * range's numbers in order (seeded), constants and positions draw none.
 */
export function syntheticValues(
  rule: InputValues,
  dtype: string,
  dims: readonly number[],
  next: () => number,
): number[] {
  const count = dims.reduce((a, b) => a * b, 1);
  if (rule.kind === 'positions') {
    const steps = dims.at(-1) ?? 1;
    return Array.from({ length: count }, (_, i) => rule.start + (i % steps));
  }
  if (rule.kind === 'constant') {
    const value = dtype === 'bool' ? Number(rule.value !== 0) : rule.value;
    return new Array<number>(count).fill(value);
  }
  const span = rule.max - rule.min;
  const whole = takesWholeNumbers(dtype);
  return Array.from({ length: count }, () =>
    whole ? rule.min + Math.floor(next() * (Math.floor(span) + 1)) : rule.min + next() * span,
  );
}

/** Which part of an input's values a problem is in: the value, a range's first or last number, the first position. */
export type ValuesPart = 'value' | 'min' | 'max' | 'start';

/** An input as inputValuesProblem judges it: `shape`, where given, is the declared one (it names the dims). */
type ValuesTarget = Pick<TensorSummary, 'name' | 'dtype'> & {
  indexes?: IndexedTable | undefined;
  shape?: TensorSummary['shape'];
  /**
   * The sizes and values were given on the command line: advice names the flags that set them
   * (`use --dim sequence_length=123 or less`), where the form's words name its fields (`set sequence_length to 123
   * or less`).
   */
  flags?: boolean;
};

/**
 * Why these values cannot be fed to an input of this element type, with the part at fault, or undefined when
 * they can: finite numbers, a range from a smaller to a larger number, whole numbers for integer and bool
 * inputs (a range of 1.5..3 drew 2.5 for an int64 input, and every job failed on a value nobody typed), and
 * 0 to 1 for a bool's range, and no value past the rows of the table an input indexes (`indexes`: ids of 0 to
 * 5000 into a 1000-row embedding). Positions are for integer inputs only and start at a whole number of at least 0;
 * with the input's `shape`, their last (start + n - 1 along its last axis) must be a row of the table too, and the
 * message says how long a sequence fits (named by the input's declared dim, and after `past`, the KV cache's past
 * length, where the positions follow it). One rule for the input spec form, the experiment the backend stores and
 * `--value` (resolveInputSpecs).
 */
export function inputValuesProblem(
  input: ValuesTarget,
  values: InputValues,
  shape?: readonly number[],
  past?: number,
): { part: ValuesPart; message: string } | undefined {
  if (values.kind === 'positions') return positionsProblem(input, values.start, shape, past);
  const numbers: [ValuesPart, number][] =
    values.kind === 'constant'
      ? [['value', values.value]]
      : [
          ['min', values.min],
          ['max', values.max],
        ];
  for (const [part, n] of numbers) {
    if (!Number.isFinite(n)) return { part, message: `Input '${input.name}': give a number.` };
  }
  if (values.kind === 'range' && values.min > values.max) {
    return { part: 'max', message: `Input '${input.name}': give a range from a smaller to a larger number.` };
  }
  if (takesWholeNumbers(input.dtype)) {
    const fraction = numbers.find(([, n]) => !Number.isInteger(n));
    if (fraction) {
      return {
        part: fraction[0],
        message: `Input '${input.name}' is ${input.dtype}: it takes whole numbers, and ${fraction[1]} is not one.`,
      };
    }
  }
  if (input.dtype === 'bool' && values.kind === 'range' && (values.min < 0 || values.max > 1)) {
    return {
      part: values.min < 0 ? 'min' : 'max',
      message: `Input '${input.name}' is bool: a range of its values goes from 0 (false) to 1 (true).`,
    };
  }
  if (!input.indexes) return undefined;
  const [low, high] = values.kind === 'constant' ? [values.value, values.value] : [values.min, values.max];
  const outside = high > input.indexes.rows - 1 ? high : low < -input.indexes.rows ? low : undefined;
  if (outside === undefined) return undefined;
  return {
    part: values.kind === 'constant' ? 'value' : outside === high ? 'max' : 'min',
    message: outsideTable(input.name, input.indexes, `${outside} is past them`),
  };
}

/** The problem of positions from `start` (inputValuesProblem). */
function positionsProblem(
  input: ValuesTarget,
  start: number,
  shape: readonly number[] | undefined,
  past: number | undefined,
): { part: ValuesPart; message: string } | undefined {
  if (FLOAT_TYPES.has(input.dtype) || input.dtype === 'bool') {
    return {
      part: 'start',
      message:
        `Input '${input.name}' is ${input.dtype}: positions (0, 1, 2, ... along the last axis) are for an ` +
        `integer input such as position_ids. Give it one value or a range.`,
    };
  }
  if (!Number.isFinite(start)) return { part: 'start', message: `Input '${input.name}': give a number.` };
  if (!Number.isInteger(start) || start < 0) {
    return {
      part: 'start',
      message: `Input '${input.name}': positions start at a whole number of at least 0, and ${start} is not one.`,
    };
  }
  const steps = Math.max(1, shape?.at(-1) ?? 1);
  const last = start + steps - 1;
  if (!input.indexes || last <= input.indexes.rows - 1) return undefined;
  const reach =
    steps === 1
      ? `${start} is past them`
      : `positions from ${start} over ${steps} steps reach ${last}, past them`;
  const advice = positionsAdvice(input, start, steps, input.indexes.rows, past);
  return { part: 'start', message: `${outsideTable(input.name, input.indexes, reach)} ${advice}` };
}

/**
 * What to do about positions past the table: a sequence no longer than the rows left after the first position,
 * or an earlier first position, which is the past where the positions follow it (a decoder's step after its cache).
 * A first position at or past the table moves back far enough for all `steps` (a past of 200 with 10 tokens on a
 * 128-row table: 118, where 127 was said and refused again), or, where the sequence alone is longer than the table,
 * with a shorter sequence too. Positions from 0 cannot start lower: only the sequence is named (a past of 0 was
 * told to go lower). With `input.flags`, in the CLI's flags (`--dim sequence_length=123`, `--value
 * position_ids=positions+N`); the past is named in words, as the positions do not know its dim's name.
 */
function positionsAdvice(
  input: ValuesTarget,
  start: number,
  steps: number,
  rows: number,
  past: number | undefined,
): string {
  const afterPast = past === start;
  const fit = rows - start;
  const axis = (input.shape?.length ?? 0) - 1;
  const declared = input.shape?.[axis];
  const length = isNamedDim(declared)
    ? declared
    : axis >= 0
      ? `dim ${axis} of '${input.name}'`
      : `the length of '${input.name}'`;
  // A named dim's flag: `--dim sequence_length=123`. Another dim's `--shape` needs sizes the positions do not
  // know: it is named in words.
  const dimFlag = (n: number) =>
    input.flags && isNamedDim(declared) ? `--dim ${shellQuote(`${declared}=${n}`)}` : undefined;
  const lengthTo = (n: number) => dimFlag(n) ?? `${length} to ${n}`;
  const setLength = (n: number) => (dimFlag(n) ? `use ${dimFlag(n)}` : `set ${length} to ${n}`);
  const startFlag = (n: number) => `--value ${shellQuote(`${input.name}=positions${n > 0 ? `+${n}` : ''}`)}`;
  if (fit < 1) {
    const first = rows - steps;
    if (first >= 0) {
      if (afterPast) return `Set the past to ${first} or less.`;
      return input.flags ? `Use ${startFlag(first)} or less.` : `Start the positions at ${first} or less.`;
    }
    if (afterPast)
      return (
        `Set the past to 0 and ${dimFlag(rows) ? 'use ' : ''}${lengthTo(rows)} or less, ` +
        `or the past to ${rows - 1} and ${lengthTo(1)}.`
      );
    return input.flags
      ? `Use ${startFlag(0)} and ${lengthTo(rows)} or less.`
      : `Start the positions at 0 and set ${length} to ${rows} or less.`;
  }
  const tokens = fit === 1 ? 'token' : 'tokens';
  // Positions from 0 cannot start lower, nor a past of 0 go lower.
  if (start === 0) return `At most ${fit} ${tokens} fit the table: ${setLength(fit)} or less.`;
  return afterPast
    ? `At most ${fit} ${tokens} after a past of ${start}: ${setLength(fit)} or less, or the past lower.`
    : `At most ${fit} ${tokens} from position ${start}: ${setLength(fit)} or less, or start the positions lower.`;
}

/**
 * Values past the rows of the table an input indexes (token ids of 0 to 5000 into a 1000-row embedding): every run
 * fails in the Gather. Gather also takes -rows to -1 (counted from the end), so those pass.
 */
function outsideTable(name: string, indexes: IndexedTable, past: string): string {
  return (
    `Input '${name}' indexes the ${indexes.rows} rows of '${indexes.table}': its values go from 0 to ` +
    `${indexes.rows - 1}, and ${past} (every run would fail there).`
  );
}

/**
 * What gave a named dim its size: a size given the name itself (the CLI's `--dim seq=32`, a recipe's `inputs.dims`),
 * or the whole shape given an input that has the dim, at `axis`.
 */
export type NamedDimSource =
  { kind: 'dim' } | { kind: 'shape'; input: string; axis: number; shape: readonly number[] };

/** A named dim with its size and what gave it. */
export interface NamedDimSize {
  size: number;
  source: NamedDimSource;
}

/** A named dim given two sizes: `later` contradicts `first`, which gave the name its size before it. */
export interface NamedDimConflict {
  dim: string;
  first: NamedDimSize;
  later: NamedDimSize;
}

/**
 * The size of every named dim that sizes given to names (`dims`) or whole shapes given to inputs (`shapes`) set,
 * with what set it: a named dim is one size in every input that has it (ONNX means one size by one name), so a
 * shape given one input sizes the dim in the others. Sizes given to names come first, then the inputs in order.
 * Where two give one name different sizes, `conflict` says which: a model fed `input_ids 1x16` and
 * `attention_mask 1x128` over one `seq` fails, and which size was meant cannot be told. One rule for the input
 * spec (inputSpecProblem: the Model view's form and the experiment the backend stores) and the engine's
 * `--shape`/`--dim` (resolveInputSpecs). Unnamed dims (`?`, `''`) belong to their own input.
 */
export function namedDimSizes(
  inputs: readonly Pick<TensorSummary, 'name' | 'shape'>[],
  shapes: Readonly<Record<string, readonly number[]>>,
  dims: Readonly<Record<string, number>> = {},
): { sizes: Map<string, NamedDimSize>; conflict?: NamedDimConflict } {
  const sizes = new Map<string, NamedDimSize>(
    Object.entries(dims).map(([name, size]) => [name, { size, source: { kind: 'dim' } }]),
  );
  for (const input of inputs) {
    const shape = shapes[input.name];
    if (!shape) continue;
    for (const [axis, d] of input.shape.entries()) {
      const size = shape[axis];
      if (typeof d !== 'string' || d === '' || size === undefined) continue;
      const known = sizes.get(d);
      const here: NamedDimSize = { size, source: { kind: 'shape', input: input.name, axis, shape } };
      if (known && known.size !== size) return { sizes, conflict: { dim: d, first: known, later: here } };
      if (!known) sizes.set(d, here);
    }
  }
  return { sizes };
}

/**
 * A named dim's two sizes as a message: `Input 'attention_mask' makes dim 'seq' 128, but input 'input_ids' makes
 * it 16: a named dim is one size in every input. Give one size.` `describe` says what gave a size, in the words
 * of where it was given (the CLI's `--shape attention_mask=1x128`, `--dim seq=16`); its first letter is capitalized.
 */
export function namedDimConflictMessage(
  conflict: NamedDimConflict,
  describe: (source: NamedDimSource, size: number) => string = (source) =>
    source.kind === 'shape' ? `input '${source.input}'` : `the size given '${conflict.dim}'`,
): string {
  const later = describe(conflict.later.source, conflict.later.size);
  return (
    `${later.charAt(0).toUpperCase()}${later.slice(1)} makes dim '${conflict.dim}' ${conflict.later.size}, ` +
    `but ${describe(conflict.first.source, conflict.first.size)} makes it ${conflict.first.size}: ` +
    `a named dim is one size in every input. Give one size.`
  );
}

/** Said where a 0 dim is refused: the one size 0 a spec takes (cache-dims.ts). */
export const EMPTY_ONLY_PAST = " (only a KV cache's past length may be 0)";

/**
 * Why `spec` cannot feed a model with these inputs, or undefined when it can: every input needs a shape of
 * its rank, matching the dims the model fixes, and one size for a named dim in every input that has it
 * (namedDimSizes); values may only name inputs, and must fit their element type
 * (inputValuesProblem). Messages name the input and say what the model expects.
 */
export function inputSpecProblem(inputs: readonly TensorSummary[], spec: InputSpec): string | undefined {
  const names = inputs.map((i) => i.name);
  for (const name of [...Object.keys(spec.shapes), ...Object.keys(spec.values ?? {})]) {
    if (!names.includes(name))
      return `'${name}' is not an input of the model (its inputs: ${names.join(', ')}).`;
  }
  for (const input of inputs) {
    const shape = spec.shapes[input.name];
    const declared = `[${input.shape.map((d) => (isOpenDim(d) ? '?' : String(d))).join(', ')}]`;
    if (!shape)
      return input.rankUnknown
        ? `Input '${input.name}' has no shape in the model: give its whole shape.`
        : `Input '${input.name}' has no shape: give all ${input.shape.length} dims of ${declared}.`;
    // A model that declares no shape takes any number of dims: the spec's is the shape.
    if (input.rankUnknown) {
      if (shape.some((d) => !(d >= 1))) return `Input '${input.name}': every dim must be at least 1.`;
      continue;
    }
    if (shape.length !== input.shape.length) {
      return `Input '${input.name}' takes ${input.shape.length} dims ${declared}, the spec gives ${shape.length}.`;
    }
    for (const [i, d] of input.shape.entries()) {
      if (!isOpenDim(d) && shape[i] !== d)
        return `Input '${input.name}': dim ${i} is fixed to ${d} by the model, the spec gives ${shape[i]}.`;
      if (shape[i]! < 1 && !(shape[i] === 0 && dimMayBeEmpty(input, i)))
        return `Input '${input.name}': ${dimLabel(input.shape, i)} must be at least 1${EMPTY_ONLY_PAST}.`;
    }
  }
  const { conflict } = namedDimSizes(inputs, spec.shapes);
  if (conflict) return namedDimConflictMessage(conflict);
  const sum = sumDimProblem(inputs, spec.shapes);
  if (sum) return sum;
  const past = pastLengthIn(inputs, spec.shapes);
  for (const input of inputs) {
    const values = spec.values?.[input.name];
    const problem = values && inputValuesProblem(input, values, spec.shapes[input.name], past);
    if (problem) return problem.message;
  }
  // After the values' own checks: positions on the switch are refused for its type, not called random.
  return cacheSwitchProblem(inputs, spec.shapes, spec.values ?? {});
}

/**
 * A whole shape as people type it: dims joined by `x`, `×` or `,` (spaces allowed around them): `1x3x48x320`,
 * `2, 7`. Every dim a whole number. A 0 is read here and judged where the model is known (a KV cache's past length
 * may be 0, cache-dims.ts; elsewhere a 0 dim makes an empty tensor: a benchmark would time no work and calibration
 * would see no value). The CLI's `--shape INPUT=...` and the Model view's field for an input of unknown rank both
 * read shapes with it.
 */
export function parseShapeText(text: string): { dims: number[] } | { problem: 'format' } {
  const trimmed = text.trim();
  const dims = trimmed.split(/\s*[x×,]\s*/).map((part) => (/^\d+$/.test(part) ? Number(part) : NaN));
  if (trimmed === '' || dims.some((d) => !Number.isSafeInteger(d))) return { problem: 'format' };
  return { dims };
}
