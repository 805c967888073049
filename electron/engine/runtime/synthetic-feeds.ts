import * as ort from 'onnxruntime-node';
import { float32ArrayToFloat16 } from '../onnx/float16.js';
import { isDatasetDtype, numbersToArray } from '../datasets/element-convert.js';
import { StudioError } from '../errors.js';
import os from 'node:os';
import {
  inputBytes,
  type InputValues,
  largeInputWarnings,
  syntheticValues,
  valuesText,
} from '../../../shared/input-spec.js';
import type { ResolvedInput } from './input-specs.js';
import { shellQuote } from '../../../shared/shell-quote.js';

/** Seeded PRNG (mulberry32): the same seed gives the same inputs on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal values (Box-Muller): closer to real normalized activations than uniform noise. */
function normals(count: number, next: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * Random inputs of the right type and shape. An input with `values` gets them: the user's `--value`, or the
 * shared guess (shared/input-spec.ts, the app's: a sample rate of 16000, a mask of ones, image bytes 0-255, ids
 * 0-99...) that resolveInputSpecs sets on every integer and bool input `--value` leaves open. Floats without
 * values are standard normal; string inputs read `sample N`.
 */
export function syntheticTensor(input: ResolvedInput, next: () => number): ort.Tensor {
  // No rank to size: feeding a scalar would be a guess no warning could make right.
  if (input.rankUnknown)
    throw new StudioError(
      'BAD_INPUT',
      `Input '${input.name}' has no declared shape, not even a number of dims, so synthetic data cannot be made for it. ` +
        `Give its whole shape: --shape ${shellQuote(`${input.name}=AxB`)} (a recipe's inputs.shapes; the app asks in the Model view), or use real data.`,
    );
  if (input.values) return chosenValues(input, next);
  const count = input.dims.reduce((a, b) => a * b, 1);
  switch (input.ortType) {
    case 'float32':
      return new ort.Tensor('float32', normals(count, next), input.dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(normals(count, next)), input.dims);
    case 'float16':
      return new ort.Tensor('float16', float32ArrayToFloat16(normals(count, next)), input.dims);
    case 'string':
      return new ort.Tensor('string', Array.from({ length: count }, (_, i) => `sample ${i}`), input.dims);
    default:
      // Integer and bool inputs have values from resolveInputSpecs: one hand-built without them is a bug here.
      throw new Error(
        isDatasetDtype(input.ortType)
          ? `Input '${input.name}' (${input.ortType}) has no values for synthetic data: resolve it with resolveInputSpecs.`
          : `Cannot make synthetic data of type ${input.ortType} for input '${input.name}'.`,
      );
  }
}

/**
 * How syntheticTensor fills an input nothing set, in words, where that is a guess that changes the figures: the
 * shared guess's values with its reason, or the text of a string input. Undefined for float inputs (normal noise
 * is what random data means) and inputs `--value` set. Masks are named: all on means "attend everywhere" to a
 * Hugging Face attention_mask but "ignore everything" to a PyTorch key_padding_mask, so it is a guess too.
 */
function guessedFill(input: ResolvedInput): string | undefined {
  if (input.ortType === 'string') return "the text 'sample N'";
  if (!input.values || input.valuesGuess === undefined) return undefined;
  return describeGuess(input.values, input.ortType, input.valuesGuess);
}

/** `16000 (a sample rate: 16 kHz, ...)`: guessed values beside the reason for them, once if both read the same. */
function describeGuess(values: InputValues, ortType: ort.Tensor.Type, reason: string): string {
  const described = describeValues(values, ortType === 'bool');
  return described === reason ? described : `${described} (${reason})`;
}

function describeValues(values: InputValues, bool: boolean): string {
  if (values.kind === 'positions') return `${valuesText(values)} along the last axis`;
  if (values.kind === 'constant') return bool ? String(values.value !== 0) : String(values.value);
  return bool ? 'random true/false' : `random whole numbers ${values.min}-${values.max}`;
}

/**
 * What of one input synthetic data fed on a guess, in a few words: its guessed dims (`W=320`, `dim 0=1`) and
 * guessed values (`values 16000`). Undefined when the user set all of it.
 */
export function guessedParts(input: ResolvedInput): string | undefined {
  const dims = (input.guessedAxes ?? []).map((axis) => {
    const declared = input.declared[axis];
    return `${typeof declared === 'string' ? declared : `dim ${axis}`}=${input.dims[axis]}`;
  });
  const fill =
    input.ortType === 'string'
      ? 'text'
      : input.values && input.valuesGuess !== undefined
        ? describeValues(input.values, input.ortType === 'bool')
        : undefined;
  const parts = [...dims, ...(fill ? [`values ${fill}`] : [])];
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/**
 * The warning for inputs synthetic data fills with guessed values (guessedFill). An integer input such as a
 * sample rate or a length changes what the model computes, so the figures from such data are only as good as
 * the guess: said once, with how to set it.
 */
export function guessedValuesNote(inputs: readonly ResolvedInput[]): string | undefined {
  const guessed = inputs.flatMap((input) => {
    const fill = guessedFill(input);
    return fill ? [{ input, text: `'${input.name}' (${input.ortType}) with ${fill}` }] : [];
  });
  if (guessed.length === 0) return undefined;
  // The example names an input --value can set (a number or range): string inputs cannot take one.
  const first = guessed.find((g) => g.input.ortType !== 'string')?.input.name;
  return (
    `Synthetic data filled ${guessed.map((g) => g.text).join(', ')}, because nothing set ${guessed.length > 1 ? 'them' : 'it'}: the ` +
    `figures are for those values. ` +
    (first
      ? `Set real ones with --value ${shellQuote(`${first}=N`)} (one value) or --value ${shellQuote(`${first}=MIN:MAX`)} (a range; the app asks in the Model view).`
      : 'Use real data for figures that mean something.')
  );
}

/**
 * The values the user chose for an input, or the shared guess for it: a constant everywhere, a uniform draw
 * from [min, max] (whole numbers for integer and bool inputs, real numbers for floats), or positions along the
 * last axis (shared/input-spec.ts `syntheticValues`, the page's rule too).
 */
function chosenValues(input: ResolvedInput, next: () => number): ort.Tensor {
  const rule = input.values!;
  if (!isDatasetDtype(input.ortType)) {
    throw new StudioError('BAD_INPUT', `Input '${input.name}' is ${input.ortType}: ONNX Studio cannot fill it with chosen values.`);
  }
  const type = input.ortType;
  // The data files' conversion (range and whole-number checks, float16 encoding) builds the typed array.
  const source = input.valuesGuess === undefined ? `--value ${input.name}` : `the values guessed for ${input.name}`;
  const data = numbersToArray(syntheticValues(rule, type, input.dims, next), type, source);
  return new ort.Tensor(type, data as ort.Tensor.DataType, input.dims);
}

/** The most elements one typed array can hold in this V8 (2^32 - 1 on 64-bit Node 20+). */
const MAX_TYPED_ARRAY_LENGTH = 2 ** 32 - 1;

/**
 * The most bytes one synthetic input may take: half of this machine's memory. Beyond it the input cannot be
 * allocated, or leaves too little for onnxruntime's own copy and activations, and the run would fail far from
 * the cause (an "Invalid typed array length", a std::bad_alloc, or the machine swapping).
 */
export function syntheticInputLimit(totalBytes = machineMemory()): number {
  return Math.floor(totalBytes / 2);
}

/** The memory this process may use: a container's limit (cgroup) where one is set below the machine's. */
function machineMemory(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = os.totalmem();
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

/** `25,600,000,000 bytes (25.6 GB)`. */
function describeBytes(bytes: number): string {
  return `${bytes.toLocaleString('en')} bytes (${(bytes / 1e9).toFixed(1)} GB)`;
}

/**
 * Refuses synthetic data too large to make (BAD_INPUT, before anything is allocated): an input of more elements
 * than a typed array holds, or all inputs of the `held` samples kept at once (a benchmark keeps all of its feeds)
 * over `limitBytes` (syntheticInputLimit: half the memory, since onnxruntime copies what it is fed). The byte
 * count is the app's (shared/input-spec.ts `inputBytes`, which its large-input warning uses), so both say the
 * same size.
 */
export function refuseUnallocatableInputs(
  inputs: readonly ResolvedInput[],
  options: { held?: number; limitBytes?: number } = {},
): void {
  const held = Math.max(1, options.held ?? 1);
  const limitBytes = options.limitBytes ?? syntheticInputLimit();
  const bytesOf = (input: ResolvedInput) => inputBytes(input.ortType, input.dims);
  const tooMany = inputs.find((i) => i.dims.reduce((a, b) => a * b, 1) > MAX_TYPED_ARRAY_LENGTH);
  const total = inputs.reduce((sum, i) => sum + bytesOf(i), 0) * held;
  if (!tooMany && total <= limitBytes) return;
  const input = tooMany ?? inputs.reduce((a, b) => (bytesOf(b) > bytesOf(a) ? b : a));
  const bytes = bytesOf(input);
  const limit = tooMany
    ? `more than the ${MAX_TYPED_ARRAY_LENGTH.toLocaleString('en')} elements one tensor can hold here`
    : `${inputs.length > 1 || held > 1 ? `with the other inputs of the ${held} sample${held > 1 ? 's' : ''} held at once, ${describeBytes(total)}: ` : ''}` +
      `more than half of this machine's ${describeBytes(limitBytes * 2)} of memory`;
  const named = input.declared
    .flatMap((d, i) => (typeof d === 'string' ? [`${d}=${input.dims[i]}`] : []))
    .map((d) => `--dim ${d}`);
  throw new StudioError(
    'BAD_INPUT',
    `Input '${input.name}' ${input.ortType} [${input.dims.join(', ')}] would need ${describeBytes(bytes)} per sample, ${limit}: ` +
      `it cannot be fed. Check its dims${named.length > 0 ? ` (${named.join(', ')})` : ''} and choose smaller sizes` +
      `${held > 1 ? ', or fewer samples' : ''}.`,
  );
}

/**
 * The warning for synthetic inputs above 1 GiB (the app's large-input warning, shared/input-spec.ts): such a size
 * is more often a typo in a dim than what was meant, and it costs that much memory per sample held.
 */
export function largeSyntheticInputNotes(inputs: readonly ResolvedInput[]): string[] {
  return largeInputWarnings(
    inputs.map((i) => ({ name: i.name, dtype: i.ortType, shape: i.dims })),
    { shapes: Object.fromEntries(inputs.map((i) => [i.name, i.dims])) },
  );
}

/** One feed (all inputs) drawn from `next`; refuses inputs too large to make before allocating any. */
export function syntheticFeed(inputs: ResolvedInput[], next: () => number): Record<string, ort.Tensor> {
  refuseUnallocatableInputs(inputs);
  const feed: Record<string, ort.Tensor> = {};
  for (const input of inputs) feed[input.name] = syntheticTensor(input, next);
  return feed;
}
