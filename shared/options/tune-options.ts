/**
 * The options of `onnx-studio tune` (and the app's Auto-optimize form), declared once (see option-spec.ts): the
 * CLI's flags and `--help`, the form and the JSON the search records derive from this schema.
 */
import { z } from 'zod';
import { EXECUTION_PROVIDERS } from '../bench.js';
import { option } from './option-spec.js';

export const TUNE_OBJECTIVES = ['latency', 'size'] as const;
export type TuneObjective = (typeof TUNE_OBJECTIVES)[number];

export const tuneOptionsSchema = z
  .object({
    maxAccuracyDrop: option(z.number().min(0).max(100).optional(), {
      description:
        "Budget: accuracy may drop at most this many points (absolute; needs labelled data, or a language model's real token ids: next-token accuracy).",
      flag: 'max-accuracy-drop',
      example: '0.5',
    }),
    minCosine: option(z.number().gt(0).lte(1).optional(), {
      description:
        "Budget: every output's cosine similarity to the original's must stay at least this (no labels needed).",
      flag: 'min-cosine',
      example: '0.99',
    }),
    objective: option(z.enum(TUNE_OBJECTIVES).default('latency'), {
      description:
        'What the chosen variant minimizes within the budget: p50 latency on this machine, or file size.',
      flag: 'objective',
    }),
    maxTrials: option(z.number().int().min(1).max(1000).default(24), {
      description: 'Make and measure at most this many variants.',
      flag: 'max-trials',
    }),
    timeLimit: option(z.number().positive().optional(), {
      description: 'Start no trial after this many seconds (trials already running finish).',
      flag: 'time-limit',
      example: '600',
    }),
    allowPruning: option(z.boolean().default(false), {
      description:
        'Also try structured pruning (10%, 20%, 30% of the channels); one-shot pruning usually costs accuracy.',
      flag: 'allow-pruning',
    }),
    ep: option(z.enum(EXECUTION_PROVIDERS).default('cpu'), {
      description: 'Execution provider latency is measured on.',
      flag: 'ep',
    }),
    threads: option(z.number().int().min(0).max(4096).default(0), {
      description: "Intra-op threads for latency (0: onnxruntime's default).",
      flag: 'threads',
    }),
    iterations: option(z.number().int().min(10).max(100000).default(200), {
      description:
        'Timed runs per model in each latency benchmark (the variant interleaved with the original).',
      flag: 'iterations',
    }),
    evalSamples: option(z.number().int().min(1).optional(), {
      description: 'Evaluate each trial on at most this many samples of the evaluation data (default: all).',
      flag: 'eval-samples',
    }),
  })
  .strict();

export type TuneOptionsInput = z.input<typeof tuneOptionsSchema>;
export type TuneOptions = z.infer<typeof tuneOptionsSchema>;

/** What a variant must keep to count: accuracy within a drop, or output cosine above a floor. */
export type TuneBudget = { kind: 'accuracy-drop'; points: number } | { kind: 'min-cosine'; cosine: number };

/** The budget the options set, or a message saying what is wrong (none or both set). */
export function budgetOf(
  options: TuneOptions,
): { ok: true; budget: TuneBudget } | { ok: false; message: string } {
  const drop = options.maxAccuracyDrop;
  const cosine = options.minCosine;
  if (drop !== undefined && cosine !== undefined)
    return {
      ok: false,
      message: 'Give one budget: --max-accuracy-drop P (with labels) or --min-cosine C, not both.',
    };
  if (drop !== undefined) return { ok: true, budget: { kind: 'accuracy-drop', points: drop } };
  if (cosine !== undefined) return { ok: true, budget: { kind: 'min-cosine', cosine } };
  return {
    ok: false,
    message:
      'Give a budget: --max-accuracy-drop P (accuracy points the variant may lose; needs --labels) or --min-cosine C (e.g. 0.99).',
  };
}
