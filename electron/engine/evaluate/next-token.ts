/*
 * Next-token metrics of a language model, measured on its own token ids: the scores at each position are graded
 * on the id at the position after it. An LM user's data is token ids without labels (finding 4 of the 1 GB LM user
 * test): the ids are the labels, one position on, so accuracy and perplexity need nothing more than the ids.
 * Which input and output are read: next-token-plan.ts.
 *
 * Conventions (those of Hugging Face's causal LM loss where nothing is padding, so figures can be checked): the
 * scores at position t are graded on ids[t + 1]; the last position has nothing after it. Cross-entropy is the mean
 * over the graded positions of logsumexp(scores) - scores[target], in nats; perplexity is exp of it. Ties of the top
 * score go to the lowest id, and NaN scores rank lowest (classification-metrics.ts). Where an attention mask marks
 * padding, a position is graded only when it and the position after it are both real tokens.
 */
import type { NextTokenInfo } from '../../../shared/job-reports.js';
import { StudioError } from '../errors.js';
import type { NextTokenPlan } from './next-token-plan.js';

export { type IdsCandidate, type NextTokenPlan, planNextToken } from './next-token-plan.js';

/** The figures (shared/job-reports.ts NextTokenInfo, less the ids input, which the plan names). */
export type NextTokenMetrics = Omit<NextTokenInfo, 'idsInput'>;

/** One position graded: whether the next id is the top score, whether among the top 5, its -log p. */
interface Graded {
  top: number;
  above: number;
  nll: number;
}

/**
 * Grades `scores[from, from + vocab)` on `target`: one pass for the top score and how many ids rank above the
 * target, one for the sum of exponentials (a vocabulary of 32,000 at 128 positions per sample made the scoring,
 * in four passes over float64 copies, cost more than the model).
 */
export function gradePosition(
  scores: ArrayLike<number>,
  from: number,
  vocab: number,
  target: number,
  probabilities: boolean,
): Graded {
  const raw = scores[from + target]!;
  const mine = Number.isNaN(raw) ? -Infinity : raw;
  let top = -1;
  let max = -Infinity;
  let above = 0;
  let nan = false;
  for (let i = 0; i < vocab; i++) {
    const v = scores[from + i]!;
    if (v !== v) {
      nan = true;
      continue;
    }
    // The first of the highest (numpy's argmax); an all -Infinity row still has a top.
    if (v > max || (top < 0 && v === -Infinity)) {
      max = v;
      top = i;
    }
    if (v > mine || (v === mine && i < target)) above++;
  }
  if (top < 0) top = 0;
  if (probabilities) return { top, above, nll: -Math.log(raw) };
  if (nan) return { top, above, nll: NaN };
  if (max === Infinity || max === -Infinity) return { top, above, nll: max === Infinity ? NaN : Infinity };
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(scores[from + i]! - max);
  return { top, above, nll: max + Math.log(sum) - raw };
}

/** Where a position's cross-entropy was first not finite, and how many were. */
export interface NonFinitePositions {
  positions: number;
  sample: number;
  position: number;
}

/** Accumulates next-token figures one sample at a time (counts and a sum; no outputs kept). */
export class NextTokenAccumulator {
  private positions = 0;
  private correct = 0;
  private inTop5 = 0;
  private ownId = 0;
  private nll = 0;
  private padded = 0;
  private nonFinite: NonFinitePositions | undefined;

  constructor(
    private readonly plan: NextTokenPlan,
    /** The attention mask's name, when padding is read from one. */
    private readonly maskName?: string,
  ) {}

  /**
   * One sample: `scores` is the output flattened ([..., T, V]), `ids` the ids input ([..., T]), `keep` which of its
   * positions are real tokens (padding-mask.ts), or undefined when all are.
   */
  add(
    scores: ArrayLike<number>,
    ids: ArrayLike<number | bigint>,
    tokens: number,
    sample: { index: number; where: string },
    keep?: Uint8Array,
  ): void {
    const { vocab, probabilities } = this.plan;
    if (scores.length !== ids.length * vocab)
      throw new StudioError(
        'BAD_REQUEST',
        `${sample.where}: output '${this.plan.output}' has ${scores.length} values for ${ids.length} ids of '${this.plan.idsInput}'; it must score ${vocab} ids at each of them.`,
      );
    for (let row = 0; row + tokens <= ids.length; row += tokens) {
      for (let t = row; t < row + tokens - 1; t++) {
        if (keep && (!keep[t] || !keep[t + 1])) {
          this.padded++;
          continue;
        }
        const target = Number(ids[t + 1]);
        if (!Number.isInteger(target) || target < 0 || target >= vocab)
          throw new StudioError(
            'BAD_REQUEST',
            `${sample.where}: id ${target} of '${this.plan.idsInput}' is outside the ${vocab} ids output '${this.plan.output}' scores (0 to ${vocab - 1}).`,
          );
        const graded = gradePosition(scores, t * vocab, vocab, target, probabilities);
        this.positions++;
        if (graded.top === target) this.correct++;
        if (graded.above < 5) this.inTop5++;
        if (graded.top === Number(ids[t])) this.ownId++;
        this.nll += graded.nll;
        if (!Number.isFinite(graded.nll)) {
          this.nonFinite ??= { positions: 0, sample: sample.index, position: t - row };
          this.nonFinite.positions++;
        }
      }
    }
  }

  /** Positions whose cross-entropy is Inf or NaN, where any was (the figures then say so). */
  get nonFinitePositions(): NonFinitePositions | undefined {
    return this.nonFinite;
  }

  result(): NextTokenMetrics {
    if (this.positions === 0)
      throw new StudioError(
        'BAD_REQUEST',
        `No position could be graded on a next id: every sequence is a single token${this.padded > 0 ? ' or padding' : ''}.`,
      );
    const crossEntropy = this.nll / this.positions;
    return {
      positions: this.positions,
      correct: this.correct,
      accuracy: this.correct / this.positions,
      ...(this.plan.vocab > 5 ? { top5: this.inTop5 / this.positions } : {}),
      crossEntropy,
      perplexity: Math.exp(crossEntropy),
      ownIdShare: this.ownId / this.positions,
      vocab: this.plan.vocab,
      probabilities: this.plan.probabilities,
      ...(this.padded > 0 && this.maskName ? { padded: { positions: this.padded, by: this.maskName } } : {}),
    };
  }
}
