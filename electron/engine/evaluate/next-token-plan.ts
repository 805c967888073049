/*
 * Which input of a language model holds the token ids and which output scores them, for next-token metrics
 * (next-token.ts). Read from the model and the first sample, never from names alone: an integer input fed as
 * [..., T] beside an output of [..., T, V] with the same leading dims, and (for `--task auto`) a constant table of
 * V rows that the input looks up: the output scores the rows of the table the ids index, the vocabulary. Masks and
 * positions (`position_ids`) never hold the ids; names break other ties (`input_ids` over `token_type_ids`; a
 * decoder's ids over an encoder's), and the reason says so.
 */
import type { IndexedTable } from '../../../shared/model-summary.js';
import { StudioError } from '../errors.js';
import { formatDims } from '../datasets/input-match.js';
import { isPositionIdsName } from '../../../shared/input-spec.js';
import { isMaskName } from './padding-mask.js';
import { INTEGER_TYPES } from './task.js';

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

/** The first sample fits but holds one token: nothing to grade yet (a .jsonl line of one token); a later may. */
export interface ShortSample {
  short: string;
}

/** Auto found several inputs that may hold the ids and nothing to tell them apart. */
export interface AmbiguousIds {
  ambiguous: string[];
}

const ID_NAME = /(^|[_.-])(input_?ids|ids|tokens?|token_?ids)$/i;
const DECODER_NAME = /^decoder[_.-]/i;

/** Whether `output` scores ids of `input` as fed: [..., T] beside [..., T, V] with the same leading dims, V >= 2. */
function fits(inputDims: readonly number[], output: RunOutput): boolean {
  const dims = output.dims;
  if (dims.length !== inputDims.length + 1 || (dims.at(-1) ?? 0) < 2 || inputDims.length === 0) return false;
  return inputDims.every((d, i) => d === dims[i]);
}

export interface PlanArgs {
  explicit: boolean;
  candidates: readonly IdsCandidate[];
  fed: Readonly<Record<string, { dims: readonly number[] }>>;
  outputs: readonly RunOutput[];
  /** The output asked for (`--output`); else every output is tried in order. */
  output?: string;
  /** The ids input asked for (`--ids-input`). */
  idsInput?: string;
  /** The first position's scores of an output, read to tell logits from probabilities. */
  firstScores: (output: string) => ArrayLike<number>;
}

/** The candidates that may hold the ids an output scores, best first, with why the first won where names decided. */
function ranked(args: PlanArgs, output: RunOutput): { pool: IdsCandidate[]; why?: string } {
  const vocab = output.dims.at(-1)!;
  const fitting = args.candidates.filter(
    (c) =>
      INTEGER_TYPES.has(c.type) &&
      args.fed[c.name] !== undefined &&
      !isMaskName(c.name) &&
      // Positions look up a position table as ids look up the vocabulary, and fit every shape the ids fit.
      !isPositionIdsName(c.name) &&
      fits(args.fed[c.name]!.dims, output) &&
      (args.idsInput === undefined || c.name === args.idsInput),
  );
  // The vocabulary's own table first; asked for, a table of more rows (a padded vocabulary), or none the graph shows.
  const tiers = [
    fitting.filter((c) => c.indexes?.rows === vocab),
    ...(args.explicit || args.idsInput !== undefined
      ? [
          fitting.filter((c) => c.indexes !== undefined && c.indexes.rows > vocab),
          fitting.filter((c) => !c.indexes),
        ]
      : []),
  ];
  const pool = tiers.find((t) => t.length > 0) ?? [];
  if (pool.length <= 1) return { pool };
  const named = pool.filter((c) => ID_NAME.test(c.name));
  if (named.length === 1) return { pool: named, why: `named as token ids, of ${listed(pool)}` };
  const decoder = (named.length > 0 ? named : pool).filter((c) => DECODER_NAME.test(c.name));
  if (decoder.length === 1) return { pool: decoder, why: `the decoder's, of ${listed(pool)}` };
  return { pool };
}

const listed = (pool: readonly IdsCandidate[]) => pool.map((c) => `'${c.name}'`).join(', ');

/**
 * Which input and output next-token metrics read, from the model's integer inputs and the first sample's inputs and
 * outputs. Explicit (`--task next-token`): the first output that fits (or `--output`), else a typed error saying
 * what is missing. Auto: only where an input looks up a table of exactly as many rows as the output scores; else
 * undefined. `{ short }` when the only fit holds a single token (nothing to grade in this sample).
 */
export function planNextToken(args: PlanArgs): NextTokenPlan | ShortSample | AmbiguousIds | undefined {
  const outputs =
    args.output !== undefined ? args.outputs.filter((o) => o.name === args.output) : args.outputs;
  let ambiguous: string[] | undefined;
  for (const output of outputs) {
    const { pool, why } = ranked(args, output);
    if (pool.length > 1) {
      if (!args.explicit && args.idsInput === undefined) {
        ambiguous ??= pool.map((c) => c.name);
        continue;
      }
      throw new StudioError(
        'BAD_REQUEST',
        `Next-token metrics cannot tell which input holds the token ids: ${listed(pool)} all fit output '${output.name}' ${formatDims(output.dims)}.`,
        { cliHint: `Name it with --ids-input ${pool[0]!.name}.` },
      );
    }
    const chosen = pool[0];
    if (!chosen) continue;
    const ids = args.fed[chosen.name]!.dims;
    if (ids.at(-1)! < 2)
      return {
        short: `input '${chosen.name}' holds ${formatDims(ids)}: one token, with no next one to grade`,
      };
    return planOf(args, chosen, output, why);
  }
  if (!args.explicit) return ambiguous ? { ambiguous } : undefined;
  throw notFitting(args, outputs);
}

function planOf(
  args: PlanArgs,
  chosen: IdsCandidate,
  output: RunOutput,
  why: string | undefined,
): NextTokenPlan {
  const vocab = output.dims.at(-1)!;
  const ids = formatDims(args.fed[chosen.name]!.dims);
  const table = chosen.indexes
    ? ` looks up '${chosen.indexes.table}' (${chosen.indexes.rows} rows${chosen.indexes.rows > vocab ? `, of which the output scores the first ${vocab}` : ''})`
    : ' (it looks up no table the graph shows; it was named the ids)';
  const first =
    args.outputs[0]!.name !== output.name ? ` (not the first output, '${args.outputs[0]!.name}')` : '';
  const probabilities = looksLikeProbabilities(args.firstScores(output.name), vocab);
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
      `next-token: ${args.explicit ? '' : 'the data has no labels; '}input '${chosen.name}' (${ids} in the first sample)` +
      `${table}${why ? `, ${why}` : ''}, and output '${output.name}' ${formatDims(output.dims)}${first} scores ` +
      `${vocab} ids at each position; each position is graded on the id after it; ${reading}`,
  };
}

/** Why no input and output fit, naming what the model has and, where another output would fit, that one. */
function notFitting(args: PlanArgs, tried: readonly RunOutput[]): StudioError {
  const ints = args.candidates.filter((c) => INTEGER_TYPES.has(c.type) && args.fed[c.name] !== undefined);
  const fed =
    ints
      .map(
        (c) =>
          `'${c.name}' ${formatDims(args.fed[c.name]!.dims)}${c.indexes ? ` (looks up ${c.indexes.rows} rows)` : ''}${isMaskName(c.name) ? ' (a mask)' : ''}`,
      )
      .join(', ') || 'none';
  const { output: asked, ...anyOutput } = args;
  const elsewhere =
    asked !== undefined
      ? args.outputs.find((o) => o.name !== asked && ranked(anyOutput, o).pool.length === 1)
      : undefined;
  return new StudioError(
    'BAD_REQUEST',
    `Next-token metrics need an integer input of token ids [..., T] and an output scoring the vocabulary at each ` +
      `position [..., T, V] (T of 2 or more), the ids looking up at least V rows. Integer inputs: ${fed}; outputs: ` +
      `${tried.map((o) => `'${o.name}' ${formatDims(o.dims)}`).join(', ') || 'none'}.`,
    {
      cliHint: elsewhere
        ? `Output '${elsewhere.name}' ${formatDims(elsewhere.dims)} fits: --output ${elsewhere.name}.`
        : 'Name the ids with --ids-input NAME, or measure fidelity with --reference MODEL.',
    },
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
