/**
 * Padded positions in per-position fidelity. A language model's batch pads short sequences and marks the padding
 * with `attention_mask` = 0; the outputs at those positions are whatever the model makes of nothing, and
 * counting them in top-1 agreement and cosine measures noise (a user test: 4 of 192 positions were padding).
 * The rule: an input named as an attention mask, of an integer or bool type, whose shape is the output's
 * position axes (all but the last: [batch, seq] for logits [batch, seq, vocab]), leaves its 0 positions out of
 * that output's figures. Where the shapes do not match, nothing is left out and a note says so: never a guess.
 */
import type * as ort from 'onnxruntime-node';
import { isDiscreteType } from './fidelity-metrics.js';

/** Input names that say an attention mask: `attention_mask`, `encoder_attention_mask`, `attention-mask`. */
const MASK_NAME = /attention[_-]?mask$/i;

/** Whether an input's name says it is an attention mask. */
export function isMaskName(name: string): boolean {
  return MASK_NAME.test(name);
}

/** The input of these that is an attention mask by its name, if exactly one is. */
export function paddingMaskInput(inputNames: readonly string[]): string | undefined {
  const named = inputNames.filter((n) => MASK_NAME.test(n));
  return named.length === 1 ? named[0] : undefined;
}

/** What names a set of ids, after its owner's prefix: `input_ids`, `ids`, `tokens`, `token_ids`. */
const IDS_NAME = /(input_?ids|ids|tokens?|token_?ids)$/i;

/**
 * The attention mask of a token-ids input: the mask-named input whose prefix is the ids' (`attention_mask` for
 * `input_ids`, `decoder_attention_mask` for `decoder_input_ids`), else, of several, the one fed in the ids' shape.
 * A lone mask of another prefix (`encoder_attention_mask` beside a decoder's `input_ids`) is another input's:
 * `ambiguous` lists the masks where none is told to be the ids'.
 */
export function maskOfIds(
  inputNames: readonly string[],
  idsInput: string,
  fed: Readonly<Record<string, { dims: readonly number[] }>>,
): { mask?: string; ambiguous?: string[] } {
  const named = inputNames.filter((n) => MASK_NAME.test(n));
  if (named.length === 0) return {};
  const prefix = idsInput.replace(IDS_NAME, '');
  const alike = named.filter((n) => n.replace(MASK_NAME, '') === prefix);
  if (alike.length === 1) return { mask: alike[0]! };
  const ids = fed[idsInput]?.dims ?? [];
  const shaped = named.filter((n) => sameDims(fed[n]?.dims, ids));
  if (named.length > 1 && shaped.length === 1) return { mask: shaped[0]! };
  return { ambiguous: named };
}

function sameDims(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Which of `positions` count (1) and which are padding (0), by a mask of exactly that shape; else undefined. */
export function maskKeep(mask: ort.Tensor, positions: readonly number[]): Uint8Array | undefined {
  if (!isDiscreteType(mask.type) || !sameDims(mask.dims, positions)) return undefined;
  const data = mask.data as ArrayLike<number | bigint | boolean>;
  const keep = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) keep[i] = data[i] ? 1 : 0;
  return keep;
}

/** Whether the mask marks any position as padding (a 0). */
export function hasPadding(mask: ort.Tensor): boolean {
  const data = mask.data as ArrayLike<number | bigint | boolean>;
  for (let i = 0; i < data.length; i++) if (!data[i]) return true;
  return false;
}

/**
 * Which positions of an output of `dims` count (1) and which are padding (0), by the mask; undefined where the
 * mask cannot tell: not an integer or bool tensor, or its shape is not the output's position axes.
 */
export function positionsKept(mask: ort.Tensor, dims: readonly number[]): Uint8Array | undefined {
  return dims.length < 3 ? undefined : maskKeep(mask, dims.slice(0, -1));
}

/** The note for an output the mask could not be applied to, though it marks padding. */
export function paddingCountedNote(
  output: string,
  dims: string,
  mask: { name: string; dims: string },
): string {
  return (
    `output '${output}' ${dims} does not have ${mask.name}'s shape ${mask.dims} as its axes before the last, so ` +
    `its figures count the positions ${mask.name} marks as padding: which of its values are padding cannot be told`
  );
}

/** The note for positions left out: `4 padded positions left out, by attention_mask`. */
export function paddingLeftOutNote(padded: { positions: number; by: string }, output: string): string {
  const { positions, by } = padded;
  const counted = `${positions} padded position${positions === 1 ? '' : 's'}`;
  return `${counted} left out, by ${by}: the fidelity figures of output '${output}' (cosine, SQNR, errors, top-1 agreement) cover the other positions`;
}
