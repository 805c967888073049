/**
 * A sweep folder: what `tune --emit` writes for a cluster, what `trial DIR --index I` reads, and what
 * `tune --collect DIR` merges. Everything a trial needs is inside the folder, named by file name and sha256:
 *
 *   DIR/sweep.json          the model and datasets by sha256, the input spec, the tune options and budget
 *   DIR/inputs/             the model (with its external data) and the data files
 *   DIR/trials/I.json       trial I: a recipe
 *   DIR/results/I/          written by trial I, atomically: result.json and variant.onnx
 *   DIR/sweep.sbatch or DIR/job.yaml   the scheduler's file
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { tuneOptionsSchema } from '../../../shared/options/tune-options.js';
import { datasetRefSchema, fileRefSchema, inputSpecSchema } from '../../../shared/recipe.js';
import type { MachineInfo } from '../../../shared/sweep.js';
import type { TuneTrial } from '../../../shared/tune.js';
import { StudioError } from '../errors.js';

export const SWEEP_VERSION = 1;
export const SWEEP_FILE = 'sweep.json';
export const INPUTS_DIR = 'inputs';
export const TRIALS_DIR = 'trials';
export const RESULTS_DIR = 'results';
export const RESULT_FILE = 'result.json';
export const VARIANT_FILE = 'variant.onnx';

const budgetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('accuracy-drop'), points: z.number().min(0) }),
  z.strictObject({ kind: z.literal('min-cosine'), cosine: z.number().gt(0).lte(1) }),
]);

export const sweepSchema = z.strictObject({
  version: z.literal(SWEEP_VERSION),
  model: fileRefSchema,
  calibration: datasetRefSchema,
  evaluation: datasetRefSchema,
  /** Whether the evaluation data has labels (accuracy); without, trials are judged by fidelity. */
  labelled: z.boolean(),
  /** `next-token`: the accuracy is a language model's on its own ids (no labels; shared/own-ids.ts). */
  accuracyTask: z.literal('next-token').optional(),
  inputs: inputSpecSchema.optional(),
  options: tuneOptionsSchema,
  budget: budgetSchema,
  trials: z.number().int().min(1),
  /** The candidates that do not suit the model, with why (the notes of a local tune). Optional: older sweeps. */
  skipped: z.array(z.strictObject({ name: z.string(), why: z.string() })).optional(),
  /** Candidates not emitted because --max-trials was reached before them. */
  beyondMaxTrials: z.array(z.string()).optional(),
  /** The onnx-studio version that wrote it. */
  createdBy: z.string(),
});
export type Sweep = z.infer<typeof sweepSchema>;

export const trialSpecSchema = z.strictObject({
  index: z.number().int().min(0),
  name: z.string().min(1),
  recipe: z.strictObject({
    kind: z.enum(['quantize', 'prune']),
    method: z.string().min(1),
    common: z.record(z.string(), z.unknown()),
    options: z.record(z.string(), z.unknown()),
  }),
});
export type TrialSpec = z.infer<typeof trialSpecSchema>;

export type { MachineInfo };

/** What `trial` writes: the trial as a local tune records it, and where it was measured. */
export interface TrialResult {
  trial: TuneTrial;
  machine: MachineInfo;
  /** The original's accuracy on this machine's run of the evaluation data (with labels). */
  originalAccuracy?: number;
  /** onnx-studio version. */
  version: string;
  finishedAt: string;
}

/** Reads and validates a JSON file of the sweep, naming the file in every error. */
export function readSweepJson<T>(file: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message;
    throw new StudioError('BAD_REQUEST', `Cannot read the ${what} ${file}: ${reason}.`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new StudioError(
      'BAD_REQUEST',
      `The ${what} ${file} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
    );
  return parsed.data;
}

export function readSweep(dir: string): Sweep {
  const file = path.join(dir, SWEEP_FILE);
  if (!fs.existsSync(file))
    throw new StudioError(
      'BAD_REQUEST',
      fs.existsSync(dir)
        ? `${dir} holds no sweep (it has no ${SWEEP_FILE}): give the folder \`tune --emit\` wrote.`
        : `No such folder: ${dir}. Give the folder \`tune --emit\` wrote.`,
    );
  return readSweepJson(file, sweepSchema, 'sweep file');
}

export function trialFile(dir: string, index: number): string {
  return path.join(dir, TRIALS_DIR, `${index}.json`);
}

export function resultDir(dir: string, index: number): string {
  return path.join(dir, RESULTS_DIR, String(index));
}

/** Writes JSON through a temporary file renamed into place. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temp, file);
}
