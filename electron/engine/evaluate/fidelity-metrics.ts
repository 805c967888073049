import { DATASET_DTYPES } from '../../../shared/dataset-spec.js';
import { argmax } from './classification-metrics.js';
import { RunningSum } from './running-sum.js';

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
   * Share of samples whose top-1 class matches the reference's; `null` when the output is not class scores
   * (one vector of at least 2 values per sample).
   */
  top1Agreement: number | null;
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
  private agree = 0;
  private equalValues = 0;
  private nan = false;

  /**
   * `classScores`: whether top-1 agreement applies (the output is one score vector per sample). `discrete`:
   * whether the output holds bool or integer values (isDiscreteType), whose share of equal values is measured.
   */
  constructor(
    readonly output: string,
    private readonly classScores: boolean,
    private readonly discrete = false,
  ) {}

  add(actual: ArrayLike<number>, reference: ArrayLike<number>): void {
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
    if (!(cosine >= this.worstCosine)) this.worstCosine = cosine;
    this.values += actual.length;
    this.samples++;
    if (this.classScores && argmax(actual) === argmax(reference)) this.agree++;
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
      top1Agreement: this.classScores ? (this.samples === 0 ? 0 : this.agree / this.samples) : null,
      exact,
      valueAgreement: this.discrete ? (this.values === 0 ? 1 : this.equalValues / this.values) : null,
    };
  }
}
