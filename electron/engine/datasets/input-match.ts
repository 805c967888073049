import type { DatasetDtype } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { dimMayBeEmpty } from '../../../shared/cache-dims.js';
import { conversionProblem, isDatasetDtype } from './element-convert.js';
import { fillableFromSpec, looksSettable, setValuesOf } from './spec-filled-inputs.js';

/*
 * Checks data against the model's inputs before any sample runs, and decides the shape each sample is fed
 * with. A sample is one item: its shape is either exactly the input's shape (models without a batch axis),
 * or the input's shape without its leading batch axis, which is then fed as 1. Fixed dims must match;
 * symbolic dims take the data's size, the same symbol the same size across all inputs.
 */

export function formatDims(dims: readonly (number | string | null)[]): string {
  return `[${dims.map((d) => (d === null || (typeof d === 'number' && d < 0) ? '?' : String(d))).join(', ')}]`;
}

/** The axes the model leaves open that the input spec (`--shape`, `--dim`, the app's Input spec) set. */
function specAxes(input: ResolvedInput): number[] {
  const guessed = new Set(input.guessedAxes ?? []);
  return input.declared.flatMap((d, i) =>
    (typeof d === 'number' && d >= 0) || guessed.has(i) || input.dims[i] === undefined ? [] : [i],
  );
}

/**
 * What the model takes: its declared shape, or where the input spec sized open dims, the shape the spec gives
 * (the dims it set, and the declared shape beside it), so a message never quotes `[?, 3, 48, ?]` to a user who
 * set 1x3x48x200.
 */
export function expects(input: ResolvedInput): string {
  const set = specAxes(input);
  if (set.length === 0) return `the model expects ${input.modelType ?? input.ortType} ${formatDims(input.declared)}`;
  const shape = input.declared.map((d, i) => (set.includes(i) ? input.dims[i]! : d));
  const which = set.length === 1 ? `dim ${set[0]}` : `dims ${set.slice(0, -1).join(', ')} and ${set.at(-1)}`;
  return (
    `the model expects ${input.modelType ?? input.ortType} ${formatDims(shape)} (${which} set by the input spec; ` +
    `the model declares ${formatDims(input.declared)})`
  );
}

/**
 * When the model fixes every dim of the input, no input spec can change its shape: the advice is data of the
 * model's shape, not the spec (an empty string otherwise).
 */
function onlyItsShape(input: ResolvedInput): string {
  if (input.declared.length === 0 || !input.declared.every((d) => typeof d === 'number' && d >= 0)) return '';
  const batchless = input.declared.length > 1 && input.declared[0] === 1 ? ` (or ${formatDims(input.declared.slice(1))})` : '';
  return (
    `. The model fixes every dim of '${input.name}', so the input spec cannot change it: make data whose samples ` +
    `have the model's shape, ${formatDims(input.declared)}${batchless}`
  );
}

/** Symbol name -> size and the input that fixed it, shared by the inputs of one sample. */
export type SymbolBindings = Map<string, { size: number; input: string }>;

/**
 * Notes about sizes the input spec set that the data overrules, one per dim (keyed by it): collected where a
 * reader opens its data, for the source's notes.
 */
export type OverruledSizes = Map<string, string>;

/**
 * The dims to feed a sample of `sampleShape` (element type `dtype`, from `label`) to `input`, or a
 * BAD_REQUEST error naming the input, what the model expects and what the data has. A size the input spec set
 * (`input.setBy`) that the sample contradicts is refused where it was typed on the command line
 * (`input.strictSizes`); else the data's size is fed and `overruled` gets a note saying so.
 */
export function fitSample(
  input: ResolvedInput,
  dtype: DatasetDtype,
  sampleShape: readonly number[],
  label: string,
  symbols: SymbolBindings = new Map(),
  overruled?: OverruledSizes,
): number[] {
  const has = `${label} has ${dtype} samples of shape ${formatDims(sampleShape)}`;
  const fail = (why: string) => new StudioError('BAD_INPUT', `Input '${input.name}': ${expects(input)}, but ${has}: ${why}.`);
  if (!isDatasetDtype(input.ortType)) throw fail(`ONNX Studio cannot feed ${input.ortType} inputs from data files`);
  const problem = conversionProblem(dtype, input.ortType);
  if (problem) throw fail(problem);

  const declared = input.declared;
  let dims: number[];
  let offset: number;
  if (declared.length === sampleShape.length) {
    dims = [...sampleShape];
    offset = 0;
  } else if (declared.length === sampleShape.length + 1) {
    const batch = declared[0];
    if (typeof batch === 'number' && batch > 1) {
      throw fail(`the model takes a fixed batch of ${batch} while ONNX Studio feeds one sample per run; export the model with batch 1 or a dynamic batch axis`);
    }
    dims = [1, ...sampleShape];
    offset = 1;
    if (typeof batch === 'string') bind(symbols, batch, 1, input.name, fail);
  } else {
    const want = declared.length - 1;
    throw fail(
      `a sample needs ${declared.length} dims${want >= 1 ? ` (or ${want} without the batch axis)` : ''}, the data has ${sampleShape.length}${onlyItsShape(input)}`,
    );
  }
  for (let i = 0; i < sampleShape.length; i++) {
    const d = declared[i + offset];
    const size = sampleShape[i]!;
    if (typeof d === 'number' && d >= 0 && d !== size) throw fail(`dim ${i + offset} is ${size} where the model fixes ${d}${onlyItsShape(input)}`);
    if (typeof d === 'string') bind(symbols, d, size, input.name, fail);
  }
  dims.forEach((size, axis) =>
    checkSetSize(input, axis, size, { label, has, overruled, batch: offset === 1 && axis === 0 }),
  );
  return dims;
}

/**
 * A size the input spec set for `axis` against the `size` the data feeds there: `--dim seq=32` beside data of
 * 16 is refused (the flag would otherwise be dropped without a word); the app's input spec or a recipe's inputs,
 * which a job gets whatever its data, give way to the data's size with a note.
 */
function checkSetSize(
  input: ResolvedInput,
  axis: number,
  size: number,
  data: { label: string; has: string; overruled: OverruledSizes | undefined; batch: boolean },
): void {
  const from = input.setBy?.[axis];
  const set = input.dims[axis];
  if (from === undefined || set === undefined || set === size) return;
  const declared = input.declared[axis];
  const dim = typeof declared === 'string' ? `dim '${declared}'` : `dim ${axis}`;
  // A sample without the batch axis is fed as a batch of one: that is the data's size there.
  const where = data.batch ? `fed one per run, ${dim} ${size}` : `${dim} ${size}`;
  if (input.strictSizes) {
    throw new StudioError(
      'BAD_INPUT',
      `Input '${input.name}': ${from} makes ${dim} ${set}, but ${data.has} (${where}): data brings its own ` +
        `sizes. Leave out ${from}${data.batch ? ': data is fed one sample per run' : `, or use data whose ${dim} is ${set}`}.`,
    );
  }
  const key = typeof declared === 'string' ? declared : `${input.name}:${axis}`;
  if (data.overruled && !data.overruled.has(key)) {
    data.overruled.set(
      key,
      `${dim} of input '${input.name}' is ${size} in the data (${data.label}), not the ${set} ${from} sets: the data's size was used.`,
    );
  }
}

function bind(symbols: SymbolBindings, name: string, size: number, input: string, fail: (why: string) => StudioError): void {
  const known = symbols.get(name);
  if (known && known.size !== size) {
    throw fail(`dim '${name}' is ${size} here but ${known.size} for input '${known.input}'`);
  }
  if (!known) symbols.set(name, { size, input });
}

/**
 * Checks that the data provides exactly the model's inputs (`provided` names in the data, `label` the file),
 * with a message listing both sides.
 */
export function checkInputNames(
  inputs: readonly ResolvedInput[],
  provided: readonly string[],
  label: string,
  options: { specFills?: boolean } = {},
): void {
  const want = inputs.map((i) => i.name);
  // With specFills, an input whose values the user set may be absent: those values feed it.
  const missing = inputs
    .filter((i) => !provided.includes(i.name) && !(options.specFills && fillableFromSpec(i)))
    .map((i) => i.name);
  const extra = provided.filter((n) => !want.includes(n));
  if (missing.length === 0 && extra.length === 0) return;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`no data for input${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')}`);
  if (extra.length > 0) parts.push(`${extra.map((n) => `'${n}'`).join(', ')} ${extra.length > 1 ? 'are not inputs' : 'is not an input'} of the model`);
  // Where the data may leave out what the user sets, the missing inputs that look like settings are offered --value.
  const settable = options.specFills
    ? inputs.filter((i) => missing.includes(i.name) && looksSettable(i))
    : [];
  const set =
    settable.length > 0
      ? ` ${capitalized(setValuesOf(settable))}: an input whose values are set may be left out of the data.`
      : '';
  const cache = options.specFills ? pastNotEmpty(inputs.filter((i) => missing.includes(i.name))) : '';
  throw new StudioError(
    'BAD_REQUEST',
    `${label}: ${parts.join('; ')}. The model's inputs are ${want.map((n) => `'${n}'`).join(', ')}; the data has ${
      provided.length > 0 ? provided.map((n) => `'${n}'`).join(', ') : 'none'
    }.${set}${cache}`,
  );
}

/**
 * Where the data lacks a KV cache's arrays that the spec makes non-empty: data without them fits a past of 0 only (a
 * user who set a decode step's past of 127 for benchmarks was told nothing of why the calibration data did not fit).
 */
function pastNotEmpty(missing: readonly ResolvedInput[]): string {
  for (const input of missing) {
    const shape = { name: input.name, shape: input.declared };
    const axis = input.declared.findIndex((_, i) => dimMayBeEmpty(shape, i));
    const size = axis >= 0 ? input.dims[axis] : undefined;
    if (size === undefined || size === 0) continue;
    const dim = input.declared[axis];
    const name = typeof dim === 'string' && dim !== '' ? dim : `dim ${axis} of '${input.name}'`;
    return (
      ` The input spec gives the past (${name}) ${size} steps: data without the cache arrays fits a past of 0 only. ` +
      `Set ${name} to 0 for this data, or give the cache arrays in it.`
    );
  }
  return '';
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
