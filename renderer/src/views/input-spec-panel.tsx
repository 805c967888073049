/**
 * The model's input spec, asked before anything runs: every open dim (symbolic or unknown) as a number with
 * the reason of its prefilled guess, and for inputs that are not floats the values to feed (a constant such
 * as `sr = 16000`, or a range of ids). Saved into the workspace's experiment, so every job of this model
 * (benchmarks, synthetic calibration) uses it, and shown beside every latency it produced.
 */
import { useContext, useEffect, useId, useRef, useState } from 'react';
import {
  cacheSwitchProblem,
  describeSum,
  dimMayBeEmpty,
  dimTerms,
  isCacheSwitchName,
  modelDimNames,
  pastLengthIn,
  sizesByName,
  sumDimProblem,
  sumOf,
} from '../../../shared/cache-dims.js';
import {
  EMPTY_ONLY_PAST,
  dimLabel,
  guessInputSpec,
  inputNeedsSpec,
  inputSpecProblem,
  inputValuesProblem,
  isNamedDim,
  isOpenDim,
  parseShapeText,
  largeInputWarnings,
  namedDimConflictMessage,
  namedDimSizes,
  shortShapes,
  takesWholeNumbers,
  valuesText,
  type InputGuess,
  type InputSpec,
  type InputValues,
} from '../../../shared/input-spec.js';
import { formatShape } from '../format.js';
import { groupNames, inputGroups } from '../../../shared/input-groups.js';
import { listWords } from '../../../shared/counted.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { Workspace } from '../../../shared/workspace.js';
import { inputSpecState } from '../state/experiment.js';
import type { Studio } from '../state/use-studio.js';
import { ErrorPanel } from './error-panel.js';
import { HostContext } from '../host/host-context.js';
import { ModelLoadWarning, useModelLoadCheck } from './model-load-check.js';
import type { StudioErrorInfo } from '../../../shared/errors.js';

interface InputDraft {
  dims: string[];
  /**
   * Per dim, true while its field holds a guess: it follows the sizes typed elsewhere (a sequence cut to the rows of
   * the position table left after the past the user set), where a field the user typed keeps its number. Absent: none.
   */
  guessed?: boolean[];
  values?: { kind: InputValues['kind']; a: string; b: string };
}

type ValuesDraft = NonNullable<InputDraft['values']>;

/** What a bool input's values can be, in words that fit bools (the spec stores them as 0/1 numbers). */
export const BOOL_CHOICES = [
  { choice: 'random', label: 'random true/false', values: { kind: 'range', a: '0', b: '1' } },
  { choice: 'true', label: 'all true', values: { kind: 'constant', a: '1', b: '' } },
  { choice: 'false', label: 'all false', values: { kind: 'constant', a: '0', b: '' } },
] as const satisfies readonly { choice: string; label: string; values: ValuesDraft }[];

export type BoolChoice = (typeof BOOL_CHOICES)[number]['choice'];

/** The bool choice a values draft stands for: a constant is all true unless it is 0; a range is random. */
export function boolChoiceOf(values: ValuesDraft): BoolChoice {
  if (values.kind !== 'constant') return 'random';
  return Number(values.a) === 0 ? 'false' : 'true';
}

/**
 * A saved input's values as the spec line says them: `flag random true/false`, `ids in 0..99`, `n = 3`,
 * `position_ids positions from 0`.
 */
export function describeValues(name: string, dtype: string | undefined, v: InputValues): string {
  if (v.kind === 'positions') return `${name} ${valuesText(v)}`;
  if (dtype === 'bool') {
    const choice = v.kind === 'range' ? 'random' : v.value === 0 ? 'false' : 'true';
    return `${name} ${BOOL_CHOICES.find((c) => c.choice === choice)!.label}`;
  }
  return v.kind === 'constant' ? `${name} = ${v.value}` : `${name} in ${v.min}..${v.max}`;
}

/** The choices of the values of an input that is not bool: positions only for integer inputs (position ids). */
export function valuesKindChoices(dtype: string): { kind: InputValues['kind']; label: string }[] {
  return [
    { kind: 'constant', label: 'one value' },
    { kind: 'range', label: 'whole numbers from… to…' },
    ...(takesWholeNumbers(dtype)
      ? [{ kind: 'positions' as const, label: 'positions from… counting up' }]
      : []),
  ];
}

/** `1x64` as dims, or null when it is not whole numbers of at least 1 joined by x (the CLI's --shape rule). */
export function wholeShapeDims(text: string): number[] | null {
  const parsed = parseShapeText(text);
  // No past length can be told in a shape the model does not declare: a 0 is an empty tensor.
  return 'dims' in parsed && !parsed.dims.includes(0) ? parsed.dims : null;
}

/**
 * What the form's fields hold when it opens: the suggestions (each says where it comes from: the model, a table
 * it indexes, a default), or the saved spec, where only a field still at its suggestion says why.
 */
export function prefillNote(savedSpec: boolean): string {
  return savedSpec
    ? 'The fields hold the saved spec; a field still at its suggested value says where that comes from.'
    : 'Each open field starts at a suggested value and says where it comes from; change any that does not fit.';
}

/** True while a field holds the guessed number: only then does the guess's reason describe what is in it. */
export function holdsGuess(text: string, guess: number): boolean {
  return text.trim() !== '' && Number(text) === guess;
}

/** True while the values fields hold the guessed values (the same kind, the same numbers). */
export function valuesHoldGuess(draft: ValuesDraft, guess: InputValues): boolean {
  if (draft.kind !== guess.kind) return false;
  if (guess.kind === 'positions') return holdsGuess(draft.a, guess.start);
  return guess.kind === 'constant'
    ? holdsGuess(draft.a, guess.value)
    : holdsGuess(draft.a, guess.min) && holdsGuess(draft.b, guess.max);
}

/** The fields of saved values: the value, a range's From and To, or the first position. */
function valuesDraftOf(v: InputValues): ValuesDraft {
  if (v.kind === 'positions') return { kind: 'positions', a: String(v.start), b: '' };
  return v.kind === 'constant'
    ? { kind: 'constant', a: String(v.value), b: '' }
    : { kind: 'range', a: String(v.min), b: String(v.max) };
}

/**
 * The form's fields for `spec`. A field counts as a guess (InputDraft.guessed) where it holds what the shared guess
 * makes of every other field: a sequence of 123 saved beside a past of 5 on a 128-row position table is the guess
 * after that past, and follows when the past changes; a size the user chose is not.
 *
 * `current`: the form's fields as they are, kept where they describe `spec` (the form just saved them, or the spec
 * came back unchanged): they know which fields the user typed, where the numbers alone cannot tell. A sequence of
 * 123 typed beside a past of 5 equals the guess there; rebuilt from the saved spec it became a guess, and setting
 * the past to 3 then turned it into 125.
 */
export function draftOf(
  spec: InputSpec,
  summary: ModelSummary,
  current?: Record<string, InputDraft>,
): Record<string, InputDraft> {
  if (current && describesSpec(summary, current, spec)) return current;
  const drafts: Record<string, InputDraft> = {};
  for (const input of summary.inputs) {
    const shape = spec.shapes[input.name] ?? input.shape.map((d) => (isOpenDim(d) ? 1 : (d as number)));
    const v = spec.values?.[input.name];
    drafts[input.name] = {
      // An input with no declared shape is one text field holding the whole shape (`1x64`).
      dims: input.rankUnknown ? [spec.shapes[input.name]?.join('x') ?? ''] : shape.map(String),
      ...(v ? { values: valuesDraftOf(v) } : {}),
    };
  }
  const sizes = typedSizes(summary, drafts);
  // Each named dim judged by the guess around the others; unnamed ones by the guess around all named dims.
  const around = new Map<string | undefined, InputGuess[]>();
  const guessAround = (name: string | undefined) => {
    if (!around.has(name)) {
      const others = Object.fromEntries(Object.entries(sizes).filter(([n]) => n !== name));
      around.set(name, guessInputSpec(summary.inputs, chosenValues(drafts), others));
    }
    return around.get(name)!;
  };
  const names = modelDimNames(summary.inputs);
  summary.inputs.forEach((input, k) => {
    const draft = drafts[input.name]!;
    if (input.rankUnknown) return;
    const guessed = input.shape.map((d, i) => {
      if (!isOpenDim(d) || (isNamedDim(d) && dimTerms(d, names))) return false;
      const guess = guessAround(isNamedDim(d) ? d : undefined)[k]?.dims[i];
      return guess !== undefined && holdsGuess(draft.dims[i] ?? '', guess.value);
    });
    if (guessed.some(Boolean)) drafts[input.name] = { ...draft, guessed };
  });
  return drafts;
}

/** Whether the fields `drafts` hold make `spec`: the same shape and values for every input of the model. */
function describesSpec(summary: ModelSummary, drafts: Record<string, InputDraft>, spec: InputSpec): boolean {
  const parsed = specFromDraft(summary, drafts);
  if (!parsed.ok) return false;
  // Values by sorted entries: a spec that comes back from the host may order their keys otherwise.
  const key = (s: InputSpec, name: string) => {
    const v = s.values?.[name];
    const entries = v ? Object.entries(v).sort(([a], [b]) => a.localeCompare(b)) : null;
    return JSON.stringify([s.shapes[name] ?? null, entries]);
  };
  const names = new Set([
    ...summary.inputs.map((i) => i.name),
    ...Object.keys(spec.shapes),
    ...Object.keys(spec.values ?? {}),
  ]);
  return [...names].every((name) => key(parsed.spec, name) === key(spec, name));
}

/**
 * The sizes the user gave named dims: each name's first field that holds a whole number and is no guess. A dim named
 * as a sum of others is left out: it follows its terms.
 */
function typedSizes(summary: ModelSummary, drafts: Record<string, InputDraft>): Record<string, number> {
  const names = modelDimNames(summary.inputs);
  const sizes: Record<string, number> = {};
  for (const input of summary.inputs) {
    const draft = drafts[input.name];
    if (!draft || input.rankUnknown) continue;
    input.shape.forEach((d, k) => {
      const text = draft.dims[k] ?? '';
      if (!isNamedDim(d) || d in sizes || draft.guessed?.[k] || dimTerms(d, names) || text.trim() === '')
        return;
      if (Number.isInteger(Number(text))) sizes[d] = Number(text);
    });
  }
  return sizes;
}

/**
 * The values the fields set, which the guesses follow (a sample rate's audio length; positions given as a range cut
 * nothing). Positions are left out: in the form they follow the past (withSumsFollowing), where the guess starts them.
 */
function chosenValues(drafts: Record<string, InputDraft>): Record<string, InputValues> {
  const chosen: Record<string, InputValues> = {};
  for (const [name, { values }] of Object.entries(drafts)) {
    if (!values || values.kind === 'positions') continue;
    const [a, b] = [values.a, values.b].map((t) => (t.trim() === '' ? NaN : Number(t))) as [number, number];
    if (values.kind === 'constant' && Number.isFinite(a)) chosen[name] = { kind: 'constant', value: a };
    if (values.kind === 'range' && Number.isFinite(a) && Number.isFinite(b))
      chosen[name] = { kind: 'range', min: a, max: b };
  }
  return chosen;
}

/**
 * The shared guesses (guessInputSpec) around what the user set in the form: the sizes typed and the values chosen.
 * The CLI makes the same of `--dim` and `--value`; the form shows their numbers in the fields that hold guesses, and
 * their reasons beside them.
 */
export function draftGuesses(summary: ModelSummary, drafts: Record<string, InputDraft>): InputGuess[] {
  return guessInputSpec(summary.inputs, chosenValues(drafts), typedSizes(summary, drafts));
}

/** The drafts with every field that holds a guess set to the guess around the fields the user typed. */
function withGuessesFollowing(
  summary: ModelSummary,
  drafts: Record<string, InputDraft>,
): Record<string, InputDraft> {
  const guesses = draftGuesses(summary, drafts);
  const next = { ...drafts };
  summary.inputs.forEach((input, k) => {
    const draft = drafts[input.name];
    if (!draft?.guessed || input.rankUnknown) return;
    const dims = draft.dims.map((text, i) => {
      const guess = guesses[k]?.dims[i];
      return draft.guessed![i] && guess ? String(guess.value) : text;
    });
    if (dims.some((t, i) => t !== draft.dims[i])) next[input.name] = { ...draft, dims };
  });
  return next;
}

/** The field a problem of the form is in: a dim by its index (the whole shape is 0), or a values field. */
export interface DraftField {
  input: string;
  part: number | 'a' | 'b';
}

/**
 * The drafts with dim `axis` of `input` set to `text`, and where that dim is named, the same dim of every other
 * input that has the name: a named dim is one size in every input (`seq` of `input_ids` and `attention_mask`),
 * and a form with one field each let a user save two sizes, on which every job failed. `input` may be the inputs
 * of a group of the form (input-groups.ts), of one declared shape: the dim is set in each. The fields set are the
 * user's from then on; those that still hold guesses are guessed again around them (a past of 5 cuts a guessed
 * sequence of 128 to the 123 rows of a 128-row position table left after it, as `--dim past_sequence_length=5` does).
 */
export function withDimSet(
  summary: ModelSummary,
  drafts: Record<string, InputDraft>,
  input: string | readonly string[],
  axis: number,
  text: string,
): Record<string, InputDraft> {
  const inputs: readonly string[] = typeof input === 'string' ? [input] : input;
  const declared = summary.inputs.find((i) => i.name === inputs[0])?.shape[axis];
  const named = isNamedDim(declared) ? declared : undefined;
  const next = { ...drafts };
  for (const other of summary.inputs) {
    const draft = drafts[other.name];
    if (!draft || other.rankUnknown) continue;
    const sets = (k: number) =>
      (inputs.includes(other.name) && k === axis) || (named !== undefined && other.shape[k] === named);
    if (!other.shape.some((_, k) => sets(k))) continue;
    const guessed = draft.guessed?.map((g, k) => g && !sets(k));
    next[other.name] = {
      ...draft,
      dims: draft.dims.map((d, k) => (sets(k) ? text : d)),
      ...(guessed ? { guessed } : {}),
    };
  }
  return withSumsFollowing(summary, withGuessesFollowing(summary, next));
}

/**
 * The drafts with dim `axis` of `input` back at its guess where the field is empty (the user cleared it and left it),
 * and the same dim of every other input that has the name (withDimSet emptied them together): they hold guesses from
 * then on and follow the sizes typed elsewhere, as before the user typed (a cleared sequence stayed empty, no longer
 * following the past: a user test). Called when the field loses focus, so that clearing it to type another number
 * does not put the guess back under the cursor. A field that holds anything is left as it is.
 */
export function withDimGuessed(
  summary: ModelSummary,
  drafts: Record<string, InputDraft>,
  input: string | readonly string[],
  axis: number,
): Record<string, InputDraft> {
  const inputs: readonly string[] = typeof input === 'string' ? [input] : input;
  const declared = summary.inputs.find((i) => i.name === inputs[0])?.shape[axis];
  const named = isNamedDim(declared) ? declared : undefined;
  const next = { ...drafts };
  let cleared = false;
  for (const other of summary.inputs) {
    const draft = drafts[other.name];
    if (!draft || other.rankUnknown) continue;
    const empty = (k: number) =>
      ((inputs.includes(other.name) && k === axis) || (named !== undefined && other.shape[k] === named)) &&
      (draft.dims[k] ?? '').trim() === '';
    if (!other.shape.some((_, k) => empty(k))) continue;
    cleared = true;
    next[other.name] = {
      ...draft,
      guessed: draft.dims.map((_, k) => empty(k) || draft.guessed?.[k] === true),
    };
  }
  return cleared ? withSumsFollowing(summary, withGuessesFollowing(summary, next)) : drafts;
}

/**
 * The fields of dims named as a sum (`past_sequence_length + sequence_length`, cache-dims.ts) set to the sum of
 * their terms' fields, where every term holds a whole number: a mask follows the past and the new tokens.
 */
function withSumsFollowing(
  summary: ModelSummary,
  drafts: Record<string, InputDraft>,
): Record<string, InputDraft> {
  const names = modelDimNames(summary.inputs);
  const typed = new Map<string, number>();
  for (const input of summary.inputs) {
    input.shape.forEach((d, k) => {
      const n = Number(drafts[input.name]?.dims[k]);
      if (isNamedDim(d) && !typed.has(d) && drafts[input.name]?.dims[k]?.trim() && Number.isInteger(n))
        typed.set(d, n);
    });
  }
  const next = { ...drafts };
  for (const input of summary.inputs) {
    const draft = next[input.name];
    if (!draft || input.rankUnknown) continue;
    const dims = draft.dims.map((text, k) => {
      const d = input.shape[k];
      const terms = isNamedDim(d) ? dimTerms(d, names) : undefined;
      const total = terms && sumOf(terms, (t) => typed.get(t));
      return total === undefined ? text : String(total);
    });
    if (dims.some((t, k) => t !== draft.dims[k])) next[input.name] = { ...draft, dims };
  }
  // A merged decoder's cache switch follows the past: on beside a cache of some steps, off at none; and positions
  // count on from it (the new tokens after a past of 7 are at 7, 8, ...).
  const past = pastLengthIn(summary.inputs, draftShapes(summary, next));
  if (past === undefined) return next;
  for (const input of summary.inputs) {
    const draft = next[input.name];
    if (!draft?.values) continue;
    const on = past > 0 ? '1' : '0';
    if (isCacheSwitchName(input.name) && (draft.values.kind !== 'constant' || draft.values.a !== on))
      next[input.name] = { ...draft, values: { kind: 'constant', a: on, b: '' } };
    if (draft.values.kind === 'positions' && draft.values.a !== String(past))
      next[input.name] = { ...draft, values: { ...draft.values, a: String(past) } };
  }
  return next;
}

/** The whole-number dims the drafts hold, by input (a field that holds no whole number is left out). */
function draftShapes(summary: ModelSummary, drafts: Record<string, InputDraft>): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const input of summary.inputs) {
    const dims = drafts[input.name]?.dims.map((t) => (t.trim() === '' ? NaN : Number(t)));
    if (dims && !input.rankUnknown && dims.every(Number.isInteger)) shapes[input.name] = dims;
  }
  return shapes;
}

/** `past_sequence_length (0) + sequence_length (128)` where `name` is a sum of dims the drafts size, else undefined. */
function sumNow(summary: ModelSummary, drafts: Record<string, InputDraft>, name: string): string | undefined {
  const terms = dimTerms(name, modelDimNames(summary.inputs));
  if (!terms) return undefined;
  const sizes = sizesByName(summary.inputs, draftShapes(summary, drafts));
  const sizeOf = (term: string) => sizes.get(term);
  return sumOf(terms, sizeOf) === undefined ? undefined : `the sum ${describeSum(terms, sizeOf)}`;
}

/** The named dims two or more inputs share, with those inputs: the form sets each in all of them at once. */
export function sharedNamedDims(summary: ModelSummary): Map<string, string[]> {
  const inputs = new Map<string, string[]>();
  for (const input of summary.inputs) {
    for (const d of new Set(input.shape)) {
      if (isNamedDim(d)) inputs.set(d, [...(inputs.get(d) ?? []), input.name]);
    }
  }
  return new Map([...inputs].filter(([, names]) => names.length > 1));
}

/** What the form says of the named dims inputs share (one field each, set together), or undefined without any. */
export function sharedDimsNote(summary: ModelSummary): string | undefined {
  const names = [...sharedNamedDims(summary).keys()].map((n) => `'${n}'`);
  if (names.length === 0) return undefined;
  const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return names.length === 1
    ? `The named dim ${listed} is one size in every input that has it: setting it in one input sets it in the others.`
    : `The named dims ${listed} are each one size in every input that has them: setting one in an input sets it in the others.`;
}

/**
 * The spec the form describes, or the first problem in it, with the field it is in (`also`: other fields the
 * problem involves, marked too).
 */
export function specFromDraft(
  summary: ModelSummary,
  drafts: Record<string, InputDraft>,
): { ok: true; spec: InputSpec } | { ok: false; message: string; field?: DraftField; also?: DraftField[] } {
  const shapes: Record<string, number[]> = {};
  const values: Record<string, InputValues> = {};
  // Positions that follow the past say so where they run past their table, and that a lower past fits.
  const past = pastLengthIn(summary.inputs, draftShapes(summary, drafts));
  for (const input of summary.inputs) {
    const draft = drafts[input.name];
    if (!draft) continue;
    // An input the model gives no shape is typed whole, `1x64`: its dims are the parts.
    const typed = input.rankUnknown ? wholeShapeDims(draft.dims[0] ?? '') : undefined;
    if (typed === null)
      return {
        ok: false,
        message: `Input '${input.name}': the model declares no shape for it; give its whole shape, like 1x64 (whole numbers of at least 1, joined by x).`,
        field: { input: input.name, part: 0 },
      };
    const dims = typed ?? draft.dims.map(Number);
    const bad = dims.findIndex(
      (d, i) => !Number.isInteger(d) || (d < 1 && !(d === 0 && dimMayBeEmpty(input, i))),
    );
    if (bad >= 0)
      return {
        ok: false,
        // The field's label (`W`), as the user sees it, not its position.
        message: `Input '${input.name}': ${dimLabel(input.shape, bad)} must be a whole number of at least 1${EMPTY_ONLY_PAST}.`,
        field: { input: input.name, part: bad },
      };
    shapes[input.name] = dims;
    if (draft.values) {
      // An empty field is no number (Number('') is 0); the rest is the shared rule, as the backend applies it.
      const number = (text: string) => (text.trim() === '' ? NaN : Number(text));
      const a = number(draft.values.a);
      const rule: InputValues =
        draft.values.kind === 'positions'
          ? { kind: 'positions', start: a }
          : draft.values.kind === 'constant'
            ? { kind: 'constant', value: a }
            : { kind: 'range', min: a, max: number(draft.values.b) };
      // With the dims: positions from 250 over 16 steps run past a 256-row position table.
      const problem = inputValuesProblem(input, rule, dims, past);
      // Positions from a good start that run past the table: the length along them is the other field to change.
      const tooLong = rule.kind === 'positions' && Number.isInteger(a) && a >= 0 && dims.length > 0;
      if (problem)
        return {
          ok: false,
          message: problem.message,
          field: { input: input.name, part: problem.part === 'max' ? 'b' : 'a' },
          ...(tooLong ? { also: lengthFields(summary, input, dims.length - 1) } : {}),
        };
      values[input.name] = rule;
    }
  }
  // The shared rule (inputSpecProblem, the engine's --shape): a spec saved before the form set a named dim in
  // every input at once may still give it two sizes. Said on the later field, both marked.
  const { conflict } = namedDimSizes(summary.inputs, shapes);
  if (conflict && conflict.later.source.kind === 'shape' && conflict.first.source.kind === 'shape') {
    const { later, first } = { later: conflict.later.source, first: conflict.first.source };
    return {
      ok: false,
      message: namedDimConflictMessage(conflict),
      field: { input: later.input, part: later.axis },
      also: [{ input: first.input, part: first.axis }],
    };
  }
  const sum = sumDimProblem(summary.inputs, shapes) ?? cacheSwitchProblem(summary.inputs, shapes, values);
  if (sum) return { ok: false, message: sum };
  return { ok: true, spec: Object.keys(values).length > 0 ? { shapes, values } : { shapes } };
}

/**
 * The fields of the length along positions, at `axis` of `input`: its own, then, where the dim is named, that dim's
 * field in every other input (a sequence typed in input_ids is the one position_ids runs along; only position_ids'
 * field was marked, and the user's own field looked fine: a user test).
 */
function lengthFields(
  summary: ModelSummary,
  input: ModelSummary['inputs'][number],
  axis: number,
): DraftField[] {
  const fields: DraftField[] = [{ input: input.name, part: axis }];
  const named = input.shape[axis];
  if (!isNamedDim(named)) return fields;
  for (const other of summary.inputs) {
    if (other.name === input.name || other.rankUnknown) continue;
    other.shape.forEach((d, k) => {
      if (d === named) fields.push({ input: other.name, part: k });
    });
  }
  return fields;
}

/** A field as the line beside the disabled button names it: its dim's label, or its values field's. */
function fieldLabel(summary: ModelSummary, drafts: Record<string, InputDraft>, field: DraftField): string {
  const input = summary.inputs.find((i) => i.name === field.input);
  if (typeof field.part === 'number')
    return input?.rankUnknown ? 'Shape' : dimLabel(input?.shape ?? [], field.part);
  if (field.part === 'b') return 'To';
  return drafts[field.input]?.values?.kind === 'constant' ? 'Value' : 'From';
}

/** `position_ids'`, `x's`: a name as the owner of its fields. */
const owning = (name: string) => (name.endsWith('s') ? `${name}'` : `${name}'s`);

/**
 * Why "Use these inputs" is disabled, said beside it: the marked fields by fieldset (the first holding the message)
 * and where the message is, or undefined while the form can be saved. The message is said in one fieldset, often
 * far from the button and from the field the user typed (a user test: the button was disabled with nothing beside
 * it). `groups`: the form's fieldsets (inputGroups), which name a field of a group by the group.
 */
export function saveBlockedNote(
  summary: ModelSummary,
  drafts: Record<string, InputDraft>,
  parsed: ReturnType<typeof specFromDraft>,
  groups: readonly (readonly string[])[],
): string | undefined {
  if (parsed.ok) return undefined;
  if (!parsed.field) return 'Fix what the message above says first.';
  const legend = (name: string) => groupNames(groups.find((g) => g.includes(name)) ?? [name]);
  const byFieldset = new Map<string, string[]>();
  for (const field of [parsed.field, ...(parsed.also ?? [])]) {
    const labels = byFieldset.get(legend(field.input)) ?? [];
    const label = fieldLabel(summary, drafts, field);
    if (!labels.includes(label)) labels.push(label);
    byFieldset.set(legend(field.input), labels);
  }
  const fields = [...byFieldset].map(([name, labels]) => `${owning(name)} ${listWords(labels)}`);
  const where = legend(parsed.field.input);
  return `Fix the marked fields first: ${fields.join('; ')} (the message is under ${where}).`;
}

export function InputSpecPanel({
  studio,
  summary,
  workspace,
}: {
  studio: Studio;
  summary: ModelSummary;
  workspace: Workspace | null;
}) {
  const id = useId();
  const state = inputSpecState(summary, workspace);
  const [drafts, setDrafts] = useState(() => draftOf(state.spec, summary));
  const [editing, setEditing] = useState(!state.ready);
  const [error, setError] = useState<StudioErrorInfo | null>(null);
  const [saving, setSaving] = useState(false);
  const specKey = JSON.stringify(state.spec);
  // The model the fields were made for: another model's fields are never kept.
  const draftsPath = useRef(summary.path);
  useEffect(() => {
    const sameModel = draftsPath.current === summary.path;
    draftsPath.current = summary.path;
    // A saved spec of another model, or a spec changed elsewhere, replaces the form; the spec this form just saved
    // keeps its fields, which know which sizes the user typed (draftOf).
    setDrafts((current) => draftOf(state.spec, summary, sameModel ? current : undefined));
  }, [summary.path, specKey]);
  useEffect(() => setEditing(!state.ready), [summary.path, state.ready]);
  // Whether onnxruntime can load the model: checked once per model in a task process, said first in the Model
  // view (above the spec: a model it refuses cannot be benchmarked whatever the shapes).
  const loadCheck = useModelLoadCheck(useContext(HostContext)?.host, summary);
  const loadWarning = <ModelLoadWarning state={loadCheck} />;

  if (!state.needed && !workspace?.experiment?.inputs) return loadWarning;
  const parsed = specFromDraft(summary, drafts);
  // Around what the user set: a sequence cut after the past they typed says so beside its number.
  const guesses = draftGuesses(summary, drafts);
  const sharedNote = sharedDimsNote(summary);
  // Alike inputs (a KV cache's past_key_values.N.key/value) in one fieldset, named by its first input.
  const groups = inputGroups(summary.inputs, state.spec);
  const groupOf = (name: string) => groups.find((members) => members.includes(name)) ?? [name];
  const saved = workspace?.experiment?.inputs;
  // A saved spec no job can use (one named dim at two sizes, saved before the form refused it) is not one to go
  // back to: the form stays open until it is corrected.
  const savedUsable = saved !== undefined && inputSpecProblem(summary.inputs, saved) === undefined;
  const blocked = saveBlockedNote(summary, drafts, parsed, groups);

  const save = async () => {
    if (!parsed.ok) return;
    setSaving(true);
    const result = await studio.actions.saveInputSpec(parsed.spec);
    setSaving(false);
    if (!result.ok) setError(result.error);
    else {
      setError(null);
      setEditing(false);
    }
  };

  if (!editing && saved) {
    const fed = summary.inputs.map((i) => ({ name: i.name, shape: saved.shapes[i.name] ?? [] }));
    return (
      <>
        {loadWarning}
        <section
          className="input-spec input-spec-set"
          aria-labelledby={`${id}-title`}
          data-testid="input-spec"
        >
          <h2 id={`${id}-title`}>Input spec</h2>
          <p>
            Every job of this model feeds <strong data-testid="input-spec-summary">{shortShapes(fed)}</strong>
            {saved.values && Object.keys(saved.values).length > 0 && (
              <>
                {' '}
                with{' '}
                {Object.entries(saved.values)
                  .map(([name, v]) =>
                    describeValues(name, summary.inputs.find((i) => i.name === name)?.dtype, v),
                  )
                  .join(', ')}
              </>
            )}
            .{' '}
            <button type="button" className="small" onClick={() => setEditing(true)}>
              Edit
            </button>
          </p>
        </section>
      </>
    );
  }

  return (
    <>
      {loadWarning}
      <section className="input-spec input-spec-ask" aria-labelledby={`${id}-title`} data-testid="input-spec">
        <h2 id={`${id}-title`}>Set the input shapes before running anything</h2>
        <p className="muted">
          This model leaves some input sizes open
          {state.guesses.some((g) => g.values) ? ' or takes inputs whose values matter' : ''}. Benchmarks,
          calibration and synthetic data use exactly what you set here; a wrong size gives a wrong latency.{' '}
          {prefillNote(saved !== undefined)}
          {sharedNote && ` ${sharedNote}`}
        </p>
        {groups.map((members) => {
          const guess = guesses.find((g) => g.name === members[0]);
          const draft = guess && drafts[guess.name];
          if (!guess || !draft) return null;
          const setDraft = (next: InputDraft) => setDrafts((d) => ({ ...d, [guess.name]: next }));
          const shapeless = summary.inputs.find((i) => i.name === guess.name)?.rankUnknown === true;
          // The problem of the form, said in the fieldset of its input and marked on its field (and on the
          // other fields it involves, which point to the same message).
          // A group's fieldset takes its members' problems.
          const ours = (f: DraftField | undefined) => f !== undefined && members.includes(f.input);
          const fault = !parsed.ok && ours(parsed.field) ? parsed.field!.part : undefined;
          const errorId = `${id}-${guess.name}-error`;
          const marked = (part: DraftField['part']) =>
            !parsed.ok && [parsed.field, ...(parsed.also ?? [])].some((f) => ours(f) && f!.part === part);
          const messageId =
            !parsed.ok && parsed.field ? `${id}-${groupOf(parsed.field.input)[0]}-error` : errorId;
          const invalid = (part: DraftField['part']) =>
            marked(part) ? { 'aria-invalid': true as const, 'aria-errormessage': messageId } : {};
          const valuesReason =
            draft.values && guess.values && valuesHoldGuess(draft.values, guess.values.values)
              ? guess.values.reason
              : undefined;
          return (
            <fieldset key={guess.name} className="input-spec-input">
              <legend>
                <code title={members.length > 1 ? members.join('\n') : undefined}>{groupNames(members)}</code>{' '}
                <span className="muted">
                  {members.length > 1 && `${members.length} inputs, each `}
                  {guess.dtype} {shapeless ? 'no shape declared' : formatShape(guess.declared)}
                </span>
              </legend>
              {shapeless && (
                <div className="input-spec-dims">
                  <div className="field input-dim open">
                    <label htmlFor={`${id}-${guess.name}-whole`}>Shape</label>
                    <input
                      id={`${id}-${guess.name}-whole`}
                      data-testid="input-spec-whole-shape"
                      type="text"
                      placeholder="1x64"
                      value={draft.dims[0] ?? ''}
                      aria-describedby={`${id}-${guess.name}-whole-why`}
                      {...invalid(0)}
                      onChange={(e) => setDraft({ ...draft, dims: [e.target.value] })}
                    />
                    <span id={`${id}-${guess.name}-whole-why`} className="field-hint">
                      The model declares no shape, not even a number of dims: nothing can be guessed.
                    </span>
                  </div>
                </div>
              )}
              <div className="input-spec-dims">
                {guess.dims.map((dim, i) => {
                  const declared = guess.declared[i] ?? null;
                  // A sum of other dims (`past_sequence_length + sequence_length`) follows them: set through its terms.
                  const sum = isNamedDim(declared) ? sumNow(summary, drafts, declared) : undefined;
                  const open = isOpenDim(declared) && sum === undefined;
                  const label = dimLabel(guess.declared, i);
                  const fieldId = `${id}-${guess.name}-${i}`;
                  // The guess's reason only beside the guessed size: under another, it read as describing that. A
                  // size the user gave has no reason to give.
                  const guessHere = dim.source !== 'set' && holdsGuess(draft.dims[i] ?? '', dim.value);
                  // An emptied field goes back to the guess when left (withDimGuessed): said while it is empty.
                  const emptied = open && (draft.dims[i] ?? '').trim() === '';
                  const why =
                    sum ??
                    (open && guessHere
                      ? dim.reason
                      : emptied
                        ? `Empty: it goes back to ${dim.value} when you leave it.`
                        : undefined);
                  return (
                    <div key={i} className={open ? 'field input-dim open' : 'field input-dim'}>
                      <label htmlFor={fieldId}>{label}</label>
                      <input
                        id={fieldId}
                        type="number"
                        min={
                          dimMayBeEmpty(
                            summary.inputs.find((x) => x.name === guess.name)!,
                            i,
                          )
                            ? 0
                            : 1
                        }
                        step={1}
                        inputMode="numeric"
                        disabled={!open}
                        value={draft.dims[i] ?? ''}
                        aria-describedby={why ? `${fieldId}-why` : undefined}
                        {...(shapeless ? {} : invalid(i))}
                        // Emptied, it shows the number it goes back to when left (withDimGuessed).
                        placeholder={open ? String(dim.value) : undefined}
                        onChange={(e) => {
                          const text = e.target.value;
                          setDrafts((d) => withDimSet(summary, d, members, i, text));
                        }}
                        onBlur={() => setDrafts((d) => withDimGuessed(summary, d, members, i))}
                      />
                      {why && (
                        <span id={`${fieldId}-why`} className="field-hint">
                          {why}
                        </span>
                      )}
                    </div>
                  );
                })}
              </div>
              {draft.values && guess.dtype === 'bool' && (
                <div className="input-spec-values">
                  <div className="field">
                    <label htmlFor={`${id}-${guess.name}-kind`}>Values</label>
                    <select
                      id={`${id}-${guess.name}-kind`}
                      data-testid="bool-values"
                      value={boolChoiceOf(draft.values)}
                      onChange={(e) =>
                        setDraft({
                          ...draft,
                          values: { ...BOOL_CHOICES.find((c) => c.choice === e.target.value)!.values },
                        })
                      }
                    >
                      {BOOL_CHOICES.map((c) => (
                        <option key={c.choice} value={c.choice}>
                          {c.label}
                        </option>
                      ))}
                    </select>
                  </div>
                  {valuesReason && (
                    <p className="field-hint" data-testid="input-spec-values-why">
                      {valuesReason}
                    </p>
                  )}
                </div>
              )}
              {draft.values && guess.dtype !== 'bool' && (
                <div className="input-spec-values">
                  <div className="field">
                    <label htmlFor={`${id}-${guess.name}-kind`}>Values</label>
                    <select
                      id={`${id}-${guess.name}-kind`}
                      value={draft.values.kind}
                      onChange={(e) =>
                        setDraft({
                          ...draft,
                          values: { ...draft.values!, kind: e.target.value as InputValues['kind'] },
                        })
                      }
                    >
                      {valuesKindChoices(guess.dtype).map((c) => (
                        <option key={c.kind} value={c.kind}>
                          {c.label}
                        </option>
                      ))}
                    </select>
                  </div>
                  <NumberField
                    id={`${id}-${guess.name}-a`}
                    label={draft.values.kind === 'constant' ? 'Value' : 'From'}
                    value={draft.values.a}
                    onChange={(a) => setDraft({ ...draft, values: { ...draft.values!, a } })}
                    invalid={invalid('a')}
                  />
                  {draft.values.kind === 'range' && (
                    <NumberField
                      id={`${id}-${guess.name}-b`}
                      label="To"
                      value={draft.values.b}
                      onChange={(b) => setDraft({ ...draft, values: { ...draft.values!, b } })}
                      invalid={invalid('b')}
                    />
                  )}
                  {valuesReason && (
                    <p className="field-hint" data-testid="input-spec-values-why">
                      {valuesReason}
                    </p>
                  )}
                </div>
              )}
              {fault !== undefined && !parsed.ok && (
                <p id={errorId} className="field-error" role="alert">
                  {parsed.message}
                </p>
              )}
            </fieldset>
          );
        })}
        {!parsed.ok && parsed.field === undefined && (
          <p className="field-error" role="alert">
            {parsed.message}
          </p>
        )}
        {parsed.ok &&
          largeInputWarnings(summary.inputs, parsed.spec).map((warning) => (
            <p key={warning} className="field-warning" role="status" data-testid="input-spec-large">
              {warning}
            </p>
          ))}
        {error && <ErrorPanel title="The input spec was not saved" error={error} compact />}
        <div className="queue-row">
          <button
            type="button"
            className="primary"
            disabled={!parsed.ok || saving}
            onClick={() => void save()}
            data-testid="save-input-spec"
            aria-describedby={blocked ? `${id}-blocked` : undefined}
          >
            Use these inputs
          </button>
          {blocked && (
            <p id={`${id}-blocked`} className="field-hint" data-testid="save-input-spec-why">
              {blocked}
            </p>
          )}
          {savedUsable && (
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          )}
        </div>
      </section>
    </>
  );
}

function NumberField({
  id,
  label,
  value,
  onChange,
  invalid,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  /** `aria-invalid` and `aria-errormessage` while the form's problem is in this field. */
  invalid: { 'aria-invalid'?: true; 'aria-errormessage'?: string };
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" value={value} onChange={(e) => onChange(e.target.value)} {...invalid} />
    </div>
  );
}

/** Shown on Optimize and Compare while the input spec is missing: nothing runs on a guessed shape. */
export function InputSpecRequired({
  summary,
  onGoToModel,
}: {
  summary: ModelSummary;
  onGoToModel: () => void;
}) {
  const open = summary.inputs.filter(inputNeedsSpec);
  return (
    <section className="banner banner-warn" role="status" data-testid="input-spec-required">
      <p>
        <strong>Set the input shapes first.</strong>{' '}
        {open
          .map((i) => `${i.name} ${i.dtype} ${i.rankUnknown ? '(no shape declared)' : formatShape(i.shape)}`)
          .join(', ')}{' '}
        {open.length === 1 ? 'needs' : 'need'} sizes or values that the model does not fix. Jobs stay off
        until you set them, so no figure is measured on a guessed shape.
      </p>
      <button type="button" className="primary" onClick={onGoToModel}>
        Set input shapes
      </button>
    </section>
  );
}
