import { counted } from '../../../shared/counted.js';
import type * as ort from 'onnxruntime-node';
import { DATASET_DTYPES } from '../../../shared/dataset-spec.js';
import { isFloatDtype, tensorToFloat64 } from '../datasets/element-convert.js';
import { argmax } from './classification-metrics.js';
import { StudioError } from '../errors.js';
import { RunningSum } from './running-sum.js';
import { isVector } from './task.js';

/** How closely one output of a model follows the same output of a reference model, over all samples. */
export interface OutputFidelity {
  output: string;
  /**
   * Cosine similarity of all the output's values (every sample, flattened) with the reference's: 1 is
   * identical direction. 1 when both are all zeros, 0 when only one is.
   */
  cosine: number;
  /** Lowest cosine similarity of a single sample (the worst case behind the average). */
  worstSampleCosine: number;
  /**
   * Signal-to-quantization-noise ratio in dB: 10 log10(sum ref^2 / sum (out - ref)^2). `null` when the
   * outputs are identical (infinite SQNR).
   */
  sqnrDb: number | null;
  maxAbsErr: number;
  meanAbsErr: number;
  /**
   * Share of samples whose top-1 class (argmax) matches the reference's; for an output of several score vectors
   * per sample ([batch, positions, classes]: per-token scores), the share of positions, each argmax taken over the
   * last axis (`top1Positions` counts them). `null` for a bool or integer output (`valueAgreement` is its figure)
   * and for a float output that is not class scores by its shape (top1ClassesOf).
   */
  top1Agreement: number | null;
  /**
   * Where top-1 agreement is per position: how many positions it covers, over every sample compared. Absent
   * where it is per sample (one score vector per sample) or absent.
   */
  top1Positions?: number;
  /**
   * Positions left out of every figure above because the model's attention mask marks them padding (0), and the
   * input that said so (padding-mask.ts). Absent where none was left out.
   */
  padded?: { positions: number; by: string };
  /** Whether every value equals the reference's exactly. */
  exact: boolean;
  /**
   * For a bool or integer output (a mask, a class id, a count): the share of its values equal to the
   * reference's. `null` for a float output. Such values are categories, not measurements, so their cosine says
   * little (one flipped bit of 40 costs 0.974; class ids 3 and 4 are 0.99 alike): budgets on cosine leave them
   * out and judge them by this instead (worstFidelity).
   */
  valueAgreement: number | null;
}

const DISCRETE_TYPES: ReadonlySet<string> = new Set([
  // The element types a dataset can hold that are not floats, and the packed 4-bit ones it cannot.
  ...DATASET_DTYPES.filter((t) => !t.startsWith('float')),
  'int4',
  'uint4',
]);

/** Whether an output of this element type (onnxruntime's name: `bool`, `int64`) holds bool or integer values. */
export function isDiscreteType(type: string): boolean {
  return DISCRETE_TYPES.has(type);
}

/**
 * The figures a fidelity budget reads from every output of a model: the worst cosine over its float outputs
 * (`undefined` when it has none) and the worst share of equal values over its bool and integer ones
 * (`undefined` when it has none), with the names of those.
 */
export function worstFidelity(
  outputs: readonly { output: string; cosine: number; valueAgreement?: number | null }[],
): { cosine?: number; agreement?: number; discreteOutputs: string[] } {
  const discrete = outputs.filter((o) => typeof o.valueAgreement === 'number');
  const float = outputs.filter((o) => typeof o.valueAgreement !== 'number');
  return {
    ...(float.length > 0 ? { cosine: Math.min(...float.map((o) => o.cosine)) } : {}),
    ...(discrete.length > 0 ? { agreement: Math.min(...discrete.map((o) => o.valueAgreement!)) } : {}),
    discreteOutputs: discrete.map((o) => o.output),
  };
}

/** top1ClassesOf's answer for one score vector per sample: the argmax runs over each sample's whole length. */
export const WHOLE_SAMPLE = -1;

/** Output names that say class scores: `logits`, `start_logits`, `scores`, `probs`, `class_probabilities`. */
export const SCORES_NAME = /logit|score|prob|class/i;

/**
 * Output names that say features, not classes: `emb`, `embedding`, `features`, `last_hidden_state`,
 * `pooler_output`, `encoder_out`. An audio embedding `emb [1, 8]` is one vector per sample like class scores, and
 * its argmax (the largest feature) got a Top-1 agreement of 100% that meant nothing. Not `pooled`: scores
 * averaged over tokens are still scores.
 */
const FEATURES_NAME = /emb|feat|hidden|pooler|encod/i;

/**
 * The class count top-1 agreement reads an output by (its argmax runs over each consecutive run of that many
 * values), or 0 where top-1 agreement does not apply. A bool or integer output has none: its values are class
 * ids, masks or counts, whose argmax means nothing (its share of equal values is the figure). A float output
 * that is one vector per sample (at most one dim above 1: [1, 10]) is one score vector, unless its name says
 * features (FEATURES_NAME: `emb [1, 8]`, an embedding, whose argmax means nothing). One of 2 or 3 dims with a
 * last axis of 2 or more ([1, 16, 10]: per-token scores) has a score vector at every position of its leading
 * axes, read over its last axis, but only where its name says scores (SCORES_NAME): by shape alone it is also an
 * encoder's hidden states ([1, 128, 768]), whose argmax over features means nothing and would stand in for the
 * cosine as the variant's quality. One of 4 or more dims ([1, 64, 8, 8]: a feature map) has none.
 */
export function top1ClassesOf(type: string, dims: readonly number[], name: string): number {
  if (isDiscreteType(type)) return 0;
  const values = dims.reduce((a, b) => a * b, 1);
  // One vector per sample: its argmax over each sample's whole length, which a dynamic dim may vary ([1, seq]
  // start logits), so not a count fixed from the first sample.
  if (isVector(dims)) return values >= 2 && !featuresByName(name) ? WHOLE_SAMPLE : 0;
  const last = dims.at(-1) ?? 0;
  return dims.length <= 3 && last >= 2 && SCORES_NAME.test(name) ? last : 0;
}

/** Whether the name says features (FEATURES_NAME) and not scores (SCORES_NAME), which wins: `feature_logits` are scores. */
function featuresByName(name: string): boolean {
  return FEATURES_NAME.test(name) && !SCORES_NAME.test(name);
}

/** The reason a decoder's KV cache outputs (`present.N.key/value`) have no top-1 agreement. */
export const CACHE_OUTPUT_REASON = 'a KV cache output: its values are compared, not argmaxed';

/**
 * Why an output of several score-like vectors per sample has no top-1 agreement (a note), if it has none.
 * `cacheOutput`: the output is a KV cache's (cache-dims.ts isCacheOutput), whose 4 dims were called a feature map.
 */
export function noTop1Reason(
  type: string,
  dims: readonly number[],
  name: string,
  cacheOutput = false,
): string | undefined {
  if (isDiscreteType(type) || top1ClassesOf(type, dims, name) !== 0) return undefined;
  if (cacheOutput) return CACHE_OUTPUT_REASON;
  if (isVector(dims)) {
    const values = dims.reduce((a, b) => a * b, 1);
    return values >= 2 ? 'its name says features or an embedding, not class scores: it is compared by cosine' : undefined;
  }
  if (dims.length >= 4)
    return 'with 4 or more dims it is taken for a feature map, whose last axis is not classes';
  if ((dims.at(-1) ?? 0) < 2)
    return 'its last axis holds one value, so there is no class to pick: it is compared by cosine';
  return 'its name does not say class scores (logits, scores, probs), and by its shape it may be hidden features: it is compared by cosine';
}

/** `NaN` or `Inf` for the first value of `values` that is not finite, undefined when all are. */
export function nonFinite(values: ArrayLike<number>): 'NaN' | 'Inf' | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : 'Inf';
  }
  return undefined;
}

function cosineOf(dot: number, a: number, b: number): number {
  if (a === 0 && b === 0) return 1;
  if (a === 0 || b === 0) return 0;
  return dot / Math.sqrt(a * b);
}

/** Cosine similarity of two vectors of the same length: 1 when both are all zeros, 0 when only one is. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  return cosineOf(dot, aa, bb);
}

/** Accumulates fidelity for one output, one sample at a time, in float64. */
export class FidelityAccumulator {
  private readonly dot = new RunningSum();
  private readonly actualSq = new RunningSum();
  private readonly referenceSq = new RunningSum();
  private readonly errorSq = new RunningSum();
  private readonly absErr = new RunningSum();
  private maxAbs = 0;
  private worstCosine = 1;
  private values = 0;
  private samples = 0;
  private positions = 0;
  private agree = 0;
  /** A sample whose length is not a whole number of score vectors: top-1 agreement is not measured. */
  private top1Broken = false;
  private equalValues = 0;
  private nan = false;
  private paddedPositions = 0;
  private paddedBy: string | undefined;

  /**
   * `top1Classes`: the length of the score vectors top-1 agreement compares (top1ClassesOf: the whole sample for
   * one vector, the last axis for one per position), 0 where it does not apply. `discrete`: whether the output
   * holds bool or integer values (isDiscreteType), whose share of equal values is measured.
   */
  constructor(
    readonly output: string,
    private readonly top1Classes: number,
    private readonly discrete = false,
  ) {}

  /**
   * One sample. `padding`: which of its positions count (keep[p] 0: padding, left out of every figure), each
   * position a run of `actual.length / keep.length` values, and the input that said so (positionsKept).
   */
  add(
    actual: ArrayLike<number>,
    reference: ArrayLike<number>,
    padding?: { keep: ArrayLike<number>; by: string },
  ): void {
    if (padding && padding.keep.length > 0 && actual.length % padding.keep.length === 0) {
      const kept = keptValues(actual, reference, padding.keep);
      const left = padding.keep.length - kept.positions;
      if (left > 0) {
        this.paddedPositions += left;
        this.paddedBy = padding.by;
      }
      // A sample that is all padding says nothing: left out, as a sample the reference cannot compare is.
      if (kept.positions === 0) return;
      if (left > 0) [actual, reference] = [kept.actual, kept.reference];
    }
    let dot = 0;
    let aa = 0;
    let rr = 0;
    let ee = 0;
    let abs = 0;
    for (let i = 0; i < actual.length; i++) {
      const a = actual[i]!;
      const r = reference[i]!;
      const e = a - r;
      dot += a * r;
      aa += a * a;
      rr += r * r;
      ee += e * e;
      const ae = Math.abs(e);
      if (ae === 0) this.equalValues++;
      abs += ae;
      if (ae > this.maxAbs) this.maxAbs = ae;
      else if (Number.isNaN(ae)) this.nan = true;
    }
    this.dot.add(dot);
    this.actualSq.add(aa);
    this.referenceSq.add(rr);
    this.errorSq.add(ee);
    this.absErr.add(abs);
    const cosine = cosineOf(dot, aa, rr);
    // A NaN stays the worst, as it stays in the cosine of all samples: the two figures never disagree on it.
    if (!(cosine >= this.worstCosine) && !Number.isNaN(this.worstCosine)) this.worstCosine = cosine;
    this.values += actual.length;
    this.samples++;
    const classes = this.top1Classes === WHOLE_SAMPLE ? actual.length : this.top1Classes;
    if (classes >= 2 && !this.top1Broken) {
      if (actual.length % classes !== 0) this.top1Broken = true;
      for (let at = 0; at + classes <= actual.length; at += classes) {
        if (argmax(actual, at, at + classes) === argmax(reference, at, at + classes)) this.agree++;
        this.positions++;
      }
    }
  }

  result(): OutputFidelity {
    const err = this.errorSq.value;
    const exact = err === 0 && !this.nan;
    return {
      output: this.output,
      cosine: cosineOf(this.dot.value, this.actualSq.value, this.referenceSq.value),
      worstSampleCosine: this.worstCosine,
      sqnrDb: exact ? null : 10 * Math.log10(this.referenceSq.value / err),
      maxAbsErr: this.nan ? NaN : this.maxAbs,
      meanAbsErr: this.values === 0 ? 0 : this.absErr.value / this.values,
      top1Agreement:
        (this.top1Classes >= 2 || (this.top1Classes === WHOLE_SAMPLE && this.positions > 0)) &&
        !this.top1Broken
          ? this.positions === 0
            ? 0
            : this.agree / this.positions
          : null,
      ...(this.top1Classes >= 2 && !this.top1Broken && this.positions > this.samples
        ? { top1Positions: this.positions }
        : {}),
      ...(this.paddedPositions > 0
        ? { padded: { positions: this.paddedPositions, by: this.paddedBy! } }
        : {}),
      exact,
      valueAgreement: this.discrete ? (this.values === 0 ? 1 : this.equalValues / this.values) : null,
    };
  }
}

/** The values of the positions `keep` keeps (each position a run of `actual.length / keep.length` values). */
function keptValues(
  actual: ArrayLike<number>,
  reference: ArrayLike<number>,
  keep: ArrayLike<number>,
): { actual: Float64Array; reference: Float64Array; positions: number } {
  const stride = actual.length / keep.length;
  let positions = 0;
  for (let p = 0; p < keep.length; p++) if (keep[p]) positions++;
  const a = new Float64Array(positions * stride);
  const r = new Float64Array(positions * stride);
  let at = 0;
  for (let p = 0; p < keep.length; p++) {
    if (!keep[p]) continue;
    for (let i = p * stride; i < (p + 1) * stride; i++, at++) {
      a[at] = actual[i]!;
      r[at] = reference[i]!;
    }
  }
  return { actual: a, reference: r, positions };
}

/** A sample where an output holds NaN or Inf: which output, which value, and the input holding one, if any. */
interface NonFiniteAt {
  sample: number;
  output: string;
  value: 'NaN' | 'Inf';
  input?: { name: string; value: 'NaN' | 'Inf' };
}


/**
 * The rule for NaN and Inf in fidelity, kept here: a sample where an output of the reference holds NaN or Inf
 * (most often because its input does: garbage in, NaN out of both models) has nothing to compare with, so it is
 * left out of every output's figures (cosine, worst cosine, SQNR, errors, top-1 and value agreement alike) and
 * a note names the first such sample, the output and the input holding NaN or Inf; the figures cover the other
 * samples. A sample where only the model's output holds NaN or Inf stays in: that is the model's fault, its
 * figures are NaN (null in JSON), and a note says where it started. When every sample is left out there is no
 * figure at all: an error says why.
 */
export class NonFiniteSamples {
  /** Samples left out of the figures. */
  leftOut = 0;
  private firstLeftOut: NonFiniteAt | undefined;
  private modelOnly = 0;
  private firstModelOnly: NonFiniteAt | undefined;

  /**
   * Whether a sample's outputs go into the figures (`compared`: the model's and the reference's values of each
   * output compared). Records the sample where they do not, or where only the model's hold NaN or Inf.
   */
  admit(
    sample: number,
    inputs: Readonly<Record<string, ort.Tensor>>,
    compared: readonly { name: string; actual: ArrayLike<number>; expected: ArrayLike<number> }[],
  ): boolean {
    for (const c of compared) {
      const value = nonFinite(c.expected);
      if (value === undefined) continue;
      this.leftOut++;
      this.firstLeftOut ??= { sample, output: c.name, value, ...inputHolding(inputs) };
      return false;
    }
    for (const c of compared) {
      const value = nonFinite(c.actual);
      if (value === undefined) continue;
      this.modelOnly++;
      this.firstModelOnly ??= { sample, output: c.name, value, ...inputHolding(inputs) };
      break;
    }
    return true;
  }

  /** Refuses a measurement where every one of `samples` was left out: there is no figure to give. */
  check(samples: number, data: string): void {
    const first = this.firstLeftOut;
    if (samples === 0 || this.leftOut < samples || !first) return;
    throw new StudioError(
      'BAD_REQUEST',
      `The reference's outputs hold NaN or Inf for every sample of ${data} (the first: ${where(first)}): there is nothing to compare with. ` +
        (first.input ? 'Check the data: its values must be finite.' : 'Check the reference model.'),
    );
  }

  /** What the figures of `samples` samples leave out, or hold NaN from, in words (none when nothing did). */
  notes(samples: number): string[] {
    const notes: string[] = [];
    const first = this.firstLeftOut;
    if (first) {
      notes.push(
        this.leftOut === 1
          ? `${where(first)}: the fidelity figures leave that sample out (nothing to compare with) and cover the other ${counted(samples - 1, 'sample')}.`
          : `${this.leftOut} of ${samples} samples give NaN or Inf in the reference's outputs (the first: ${where(first)}): ` +
              `the fidelity figures leave those ${this.leftOut} out (nothing to compare with) and cover the other ${counted(samples - this.leftOut, 'sample')}.`,
      );
    }
    const model = this.firstModelOnly;
    if (model) {
      notes.push(
        `the model's output '${model.output}' holds ${model.value} where the reference's is finite, at ${counted(this.modelOnly, 'sample')} ` +
          `(the first: sample ${model.sample}${model.input ? `, whose input '${model.input.name}' holds ${model.input.value}` : ''}): ` +
          'its cosine, SQNR and errors are NaN (null in --json).',
      );
    }
    return notes;
  }
}

/** "sample 0 of input 'x' holds NaN, so the reference's output 'y' is NaN", or without the input where it is finite. */
function where(at: NonFiniteAt): string {
  return at.input
    ? `sample ${at.sample} of input '${at.input.name}' holds ${at.input.value}, so the reference's output '${at.output}' is ${at.value}`
    : `the reference's output '${at.output}' is ${at.value} at sample ${at.sample} (its inputs are finite)`;
}

/** The first float input of a sample holding NaN or Inf, as `{ input }`, or nothing where all are finite. */
function inputHolding(inputs: Readonly<Record<string, ort.Tensor>>): {
  input?: NonNullable<NonFiniteAt['input']>;
} {
  for (const [name, tensor] of Object.entries(inputs)) {
    if (!isFloatDtype(tensor.type)) continue;
    const value = nonFinite(tensorToFloat64(tensor));
    if (value !== undefined) return { input: { name, value } };
  }
  return {};
}
