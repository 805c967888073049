/*
 * Next-token metrics of a language model, measured on its own token ids: the scores at each position are graded
 * on the id at the position after it. An LM user's data is token ids without labels (finding 4 of the 1 GB LM user
 * test): the ids are the labels, one position on, so accuracy and perplexity need nothing more than the ids.
 *
 * Which input holds the ids and which output scores them is read from the model and the first sample, never
 * guessed by name alone: an integer input fed as [..., T] beside an output of [..., T, V] with the same leading
 * dims, and (for `--task auto`) a constant table of V rows that the input indexes: the output scores the rows of
 * the table the ids look up, the vocabulary. The reason says which input, table and output were read.
 *
 * Conventions (those of Hugging Face's causal LM loss where nothing is padding, so figures can be checked): the scores at
 * position t are graded on ids[t + 1]; the last position has nothing after it. Cross-entropy is the mean over the
 * graded positions of logsumexp(scores) - scores[target], in nats; perplexity is exp of it. Where an attention mask
 * marks padding, a position is graded only when it and the position after it are both real tokens.
 */
import type { NextTokenInfo } from '../../../shared/job-reports.js';
import type { IndexedTable } from '../../../shared/model-summary.js';
import { StudioError } from '../errors.js';
import { formatDims } from '../datasets/input-match.js';
import { INTEGER_TYPES } from './task.js';
import { argmax, rankOf } from './classification-metrics.js';

/** An input of the model that may hold token ids, with the table it indexes where the graph says. */
export interface IdsCandidate {
  name: string;
  /** Its element type (`int64`). */
  type: string;
  /** The constant table it indexes (inspect/index-bounds.ts), if any. */
  indexes?: IndexedTable;
}

/** An output of the first sample, as run. */
export interface RunOutput {
  name: string;
  type: string;
  dims: readonly number[];
}

export interface NextTokenPlan {
  task: 'next-token';
  /** The input whose ids are graded (and shifted into targets). */
  idsInput: string;
  /** The output whose last axis scores the vocabulary. */
  output: string;
  /** Vocabulary size: the output's last dim. */
  vocab: number;
  /** The scores are probabilities (softmax already applied), so cross-entropy is -log p, not from logits. */
  probabilities: boolean;
  reason: string;
}

/** The `--task` value that asks for these metrics. */
export const NEXT_TOKEN = 'next-token';

const ID_NAME = /(^|[_.-])(input_?ids|ids|tokens?|token_?ids)$/i;

/** Whether `output` scores next ids of `input` as fed: [..., T] beside [..., T, V], T >= 2, V >= 2. */
function fits(inputDims: readonly number[], output: RunOutput): boolean {
  const dims = output.dims;
  if (dims.length !== inputDims.length + 1 || (dims.at(-1) ?? 0) < 2 || (inputDims.at(-1) ?? 0) < 2)
    return false;
  return inputDims.every((d, i) => d === dims[i]);
}

/**
 * Which input and output next-token metrics read, from the model's integer inputs and the first sample's inputs and
 * outputs. `explicit` (`--task next-token`): the first output that fits (or `output`), else a typed error saying what
 * is missing. Auto: only where an input indexes a table of exactly as many rows as the output scores; else undefined.
 */
export function planNextToken(args: {
  explicit: boolean;
  candidates: readonly IdsCandidate[];
  fed: Readonly<Record<string, { dims: readonly number[] }>>;
  outputs: readonly RunOutput[];
  /** The output asked for (`--output`); else every output is tried in order. */
  output?: string;
  /** The first position's scores of the chosen output are read to tell logits from probabilities. */
  firstScores: (output: string) => ArrayLike<number>;
}): NextTokenPlan | undefined {
  const ints = args.candidates.filter((c) => INTEGER_TYPES.has(c.type) && args.fed[c.name] !== undefined);
  const outputs =
    args.output !== undefined ? args.outputs.filter((o) => o.name === args.output) : args.outputs;
  for (const output of outputs) {
    const vocab = output.dims.at(-1)!;
    const fitting = ints.filter((c) => fits(args.fed[c.name]!.dims, output));
    // The vocabulary's own table first: the output scores the rows the ids look up.
    const byTable = fitting.filter((c) => c.indexes?.rows === vocab);
    const pool =
      byTable.length > 0 ? byTable : args.explicit ? fitting.filter((c) => c.indexes === undefined) : [];
    const named = pool.filter((c) => ID_NAME.test(c.name));
    const chosen = pool.length === 1 ? pool[0] : named.length === 1 ? named[0] : undefined;
    if (!chosen) {
      if (pool.length > 1 && args.explicit)
        throw new StudioError(
          'BAD_REQUEST',
          `Next-token metrics cannot tell which input holds the token ids: ${pool.map((c) => `'${c.name}'`).join(', ')} all fit output '${output.name}' ${formatDims(output.dims)}.`,
        );
      continue;
    }
    const ids = args.fed[chosen.name]!.dims;
    const probabilities = looksLikeProbabilities(args.firstScores(output.name), vocab);
    const source = chosen.indexes
      ? `input '${chosen.name}' ${formatDims(ids)} looks up '${chosen.indexes.table}' (${chosen.indexes.rows} rows)`
      : `input '${chosen.name}' ${formatDims(ids)} (it indexes no table the graph shows; --task next-token says it holds the ids)`;
    const first =
      args.outputs[0]!.name !== output.name ? `, not the first output '${args.outputs[0]!.name}'` : '';
    const reading = probabilities
      ? 'its scores sum to 1 and are read as probabilities'
      : 'its scores are read as logits, before softmax';
    return {
      task: 'next-token',
      idsInput: chosen.name,
      output: output.name,
      vocab,
      probabilities,
      reason:
        `next-token: ${args.explicit ? '' : 'the data has no labels; '}${source} and output '${output.name}'${first} ` +
        `${formatDims(output.dims)} scores ${vocab} ids at each position; each position is graded on the id after it; ` +
        reading,
    };
  }
  if (!args.explicit) return undefined;
  const fed = ints.map((c) => `'${c.name}' ${formatDims(args.fed[c.name]!.dims)}`).join(', ') || 'none';
  throw new StudioError(
    'BAD_REQUEST',
    `Next-token metrics need an integer input of token ids [..., T] and an output scoring the vocabulary at each ` +
      `position [..., T, V] (T of 2 or more). Integer inputs: ${fed}; outputs: ` +
      `${outputs.map((o) => `'${o.name}' ${formatDims(o.dims)}`).join(', ') || 'none'}.`,
    { cliHint: 'Pick the output with --output NAME, or measure fidelity with --reference MODEL.' },
  );
}

/** Whether one position's scores are a probability distribution: none negative or above 1, summing to 1. */
function looksLikeProbabilities(scores: ArrayLike<number>, vocab: number): boolean {
  let sum = 0;
  for (let i = 0; i < vocab && i < scores.length; i++) {
    const v = scores[i]!;
    if (!(v >= 0 && v <= 1)) return false;
    sum += v;
  }
  return Math.abs(sum - 1) < 1e-3;
}

/** The figures (shared/job-reports.ts NextTokenInfo, less the ids input, which the plan names). */
export type NextTokenMetrics = Omit<NextTokenInfo, 'idsInput'>;

/** Accumulates next-token figures one sample at a time (counts and a sum; no outputs kept). */
export class NextTokenAccumulator {
  private positions = 0;
  private correct = 0;
  private inTop5 = 0;
  private nll = 0;
  private padded = 0;

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
    scores: Float64Array,
    ids: ArrayLike<number | bigint>,
    tokens: number,
    where: string,
    keep?: Uint8Array,
  ): void {
    const vocab = this.plan.vocab;
    if (scores.length !== ids.length * vocab)
      throw new StudioError(
        'BAD_REQUEST',
        `${where}: output '${this.plan.output}' has ${scores.length} values for ${ids.length} ids of '${this.plan.idsInput}'; it must score ${vocab} ids at each of them.`,
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
            `${where}: id ${target} of '${this.plan.idsInput}' is outside the ${vocab} ids output '${this.plan.output}' scores (0 to ${vocab - 1}).`,
          );
        const at = scores.subarray(t * vocab, (t + 1) * vocab);
        this.positions++;
        if (argmax(at) === target) this.correct++;
        if (rankOf(at, target) < 5) this.inTop5++;
        this.nll += this.plan.probabilities ? -Math.log(at[target]!) : logSumExp(at) - at[target]!;
      }
    }
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
      ...(this.padded > 0 && this.maskName ? { padded: { positions: this.padded, by: this.maskName } } : {}),
    };
  }
}

/** log(sum(exp(v))), without overflow: the largest value taken out first. NaN when any value is NaN. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return NaN;
    if (v > max) max = v;
  }
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}
