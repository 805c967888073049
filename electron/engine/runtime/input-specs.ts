import type { Tensor } from 'onnxruntime-node';
import type { ModelProto } from 'onnx-buf';
import type { InputValues } from '../../../shared/input-spec.js';
import { StudioError } from '../errors.js';
import { describeType } from '../inspect/inspect-model.js';
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
  /** The values synthetic data feeds it (`--value`), when the user chose them. */
  values?: InputValues;
}

export interface ShapeOverrides {
  /** Whole shapes per input name (`--shape x=1x3x224x224`). */
  shapes?: Record<string, number[]>;
  /** Values of symbolic dims by name (`--dim batch=8`). */
  dims?: Record<string, number>;
  /** Used for symbolic or unknown dims with no override (default 1). */
  defaultDim?: number;
  /** Values for synthetic data per input name (`--value sr=16000`, `--value ids=0:999`). */
  values?: Record<string, InputValues>;
  /** Where shapes and values came from, for messages: the flags (default), or a recipe's `inputs` fields. */
  origin?: 'flags' | 'recipe';
}

/**
 * Makes every input's shape concrete: `--shape` wins, then `--dim` by symbolic name, then the default (1).
 * Returns notes saying which dims were defaulted, so the output can state them. Inputs that are also
 * initializers (old IR versions list weights as inputs) are not inputs a user feeds, and are skipped.
 */
export function resolveInputSpecs(
  model: ModelProto,
  overrides: ShapeOverrides = {},
): { inputs: ResolvedInput[]; notes: string[]; namedDims: string[] } {
  const graph = model.graph;
  if (!graph) throw new StudioError('MODEL_INVALID', 'The model has no graph.');
  const weights = new Set(graph.initializer.map((t) => t.name));
  const fallback = overrides.defaultDim ?? 1;
  const defaulted: string[] = [];
  const inputs: ResolvedInput[] = [];
  const known = new Set<string>();
  const symbolic = new Set<string>();
  const fromRecipe = overrides.origin === 'recipe';
  const shapeField = fromRecipe ? "The recipe's inputs.shapes" : '--shape';
  for (const vi of graph.input) {
    if (weights.has(vi.name)) continue;
    known.add(vi.name);
    const type = vi.type?.value;
    if (type?.case !== 'tensorType') {
      throw new StudioError('BAD_REQUEST', `Input '${vi.name}' is a ${describeType(vi.type).dtype}, not a tensor; ONNX Studio feeds tensor inputs only.`);
    }
    const ortType = ortTypeOf(type.value.elemType);
    if (!ortType) {
      throw new StudioError('BAD_REQUEST', `Input '${vi.name}' has element type ${describeType(vi.type).dtype}, which onnxruntime cannot feed.`);
    }
    const declared = describeType(vi.type).shape;
    for (const d of declared) if (typeof d === 'string') symbolic.add(d);
    const whole = overrides.shapes?.[vi.name];
    let dims: number[];
    if (whole) {
      if (type.value.shape && whole.length !== declared.length) {
        throw new StudioError('BAD_INPUT', `${shapeField} ${vi.name} has ${whole.length} dims but the model declares ${declared.length}: [${declared.map((d) => d ?? '?').join(', ')}].`);
      }
      declared.forEach((d, i) => {
        if (typeof d === 'number' && d !== whole[i]) {
          throw new StudioError('BAD_INPUT', `${shapeField} ${vi.name}: dim ${i} is fixed to ${d} by the model, got ${whole[i]}.`);
        }
      });
      dims = whole;
    } else {
      dims = declared.map((d, i) => {
        if (typeof d === 'number' && d >= 0) return d;
        if (typeof d === 'string' && overrides.dims?.[d] !== undefined) return overrides.dims[d];
        defaulted.push(typeof d === 'string' ? `dim '${d}' of input '${vi.name}'` : `unknown dim ${i} of input '${vi.name}'`);
        return fallback;
      });
    }
    const values = overrides.values?.[vi.name];
    inputs.push({ name: vi.name, elemType: type.value.elemType, ortType, declared, dims, ...(values ? { values } : {}) });
  }
  const valueField = fromRecipe ? "The recipe's inputs.values" : '--value';
  for (const [flag, names] of [[shapeField, Object.keys(overrides.shapes ?? {})], [valueField, Object.keys(overrides.values ?? {})]] as const) {
    for (const name of names) {
      if (!known.has(name)) {
        throw new StudioError('BAD_INPUT', `${flag} names '${name}', which is not an input of the model (inputs: ${[...known].join(', ')}).`);
      }
    }
  }
  return {
    inputs,
    notes: defaulted.length > 0 ? [defaultedDimsNote(defaulted, fallback)] : [],
    namedDims: [...symbolic],
  };
}

/**
 * Refuses a `--dim` that names no named dim of any of the models a command runs (their `namedDims` from
 * resolveInputSpecs): a typo would otherwise be ignored. A name one of several models lacks is fine (`bench
 * A B --dim batch=1` where B is fixed-size).
 */
export function refuseUnknownDims(
  dims: Record<string, number> | undefined,
  namedDims: readonly (readonly string[])[],
  /** Where the dims came from, for the message: the flag, or a recipe's `inputs.dims`. */
  field = '--dim',
  /** How to give a whole shape instead, in the same place (a recipe's is `inputs.shapes`). */
  shapeHint = '--shape INPUT=AxBxC',
): void {
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
 * The one warning about dims nothing set: every such dim named, and how to set them. A benchmark at a guessed
 * size is a wrong number, so this is said once, loudly, rather than once per dim in a list of notes.
 */
export function defaultedDimsNote(defaulted: readonly string[], value: number): string {
  return `${defaulted.join(', ')} ${defaulted.length > 1 ? 'were' : 'was'} set to ${value} because nothing set ${
    defaulted.length > 1 ? 'them' : 'it'
  }: the figures are for that size. Set them with --dim NAME=N or --shape INPUT=AxBxC (the app asks in the Model view).`;
}

/**
 * True for a note about values nothing set (`defaultedDimsNote`, synthetic-feeds' `guessedValuesNote`: both say
 * "because nothing set"), which commands print as a warning.
 */
export function isGuessNote(note: string): boolean {
  return note.includes('because nothing set');
}
