import path from 'node:path';
import { StudioError } from '../../engine/errors.js';
import { runTrial } from '../../engine/sweep/run-trial.js';
import { readSweep } from '../../engine/sweep/sweep-format.js';
import type { CliCommand } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { cliVersion } from '../version.js';

/** The scheduler variables a task's index comes from when --index is not given. */
const INDEX_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'] as const;

function whole(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()))
    throw new StudioError('BAD_REQUEST', `${flag} must be a whole number, got '${raw}'.`);
  return Number(raw);
}

export const trialCommand: CliCommand = {
  usage: 'onnx-studio trial DIR [--index I] [--threads N] [--json]',
  help: [
    'Run one trial of a sweep written by `tune --emit` (a cluster task runs this): make the variant, evaluate it',
    'against the original, benchmark it interleaved with the original on this machine, and write DIR/results/I/',
    'atomically. A finished index is left alone; a half-written one is removed and run again.',
    `  --index I      the trial (default: $${INDEX_VARIABLES.join(' or $')}, as Slurm and Kubernetes set it)`,
    "  --threads N    intra-op threads for the benchmark (default: the sweep's --threads)",
    '  --json         print {index, skipped, result}',
  ].join('\n'),
  options: { index: { type: 'string' }, threads: { type: 'string' } },
  async run(ctx) {
    const [dirArg, ...extra] = ctx.positionals;
    if (!dirArg)
      throw new StudioError('BAD_REQUEST', 'Missing DIR: pass the sweep folder `tune --emit` wrote.');
    if (extra.length > 0)
      throw new StudioError('BAD_REQUEST', `trial takes one folder, got also: ${extra.join(' ')}.`);
    const dir = path.resolve(dirArg);
    // The folder first: a missing --index matters only once DIR holds a sweep.
    readSweep(dir);
    const fromEnv = INDEX_VARIABLES.find((v) => process.env[v] !== undefined);
    const rawIndex =
      typeof ctx.values.index === 'string' ? ctx.values.index : fromEnv ? process.env[fromEnv]! : undefined;
    if (rawIndex === undefined)
      throw new StudioError(
        'BAD_REQUEST',
        `Missing --index I (and neither ${INDEX_VARIABLES.join(' nor ')} is set).`,
      );
    const index = whole('--index', rawIndex);
    const threads =
      typeof ctx.values.threads === 'string' ? whole('--threads', ctx.values.threads) : undefined;
    const run = await runTrial({
      dir,
      index,
      version: cliVersion(),
      signal: ctx.signal,
      say: (text) => ctx.stderr.write(`trial ${index}: ${text}\n`),
      ...(threads ? { threads } : {}),
    });
    const t = run.result.trial;
    if (ctx.json) writeJson(ctx, { index, skipped: run.skipped, result: run.result });
    else if (run.skipped)
      ctx.stdout.write(
        `Trial ${index} (${t.name}) is already finished: ${path.join(dir, 'results', String(index))}. Nothing to do.\n`,
      );
    else if (t.status === 'failed')
      ctx.stdout.write(`Trial ${index} (${t.name}) failed: ${t.error}. Recorded; --collect lists it.\n`);
    else
      ctx.stdout.write(
        `Trial ${index} (${t.name}): size ${t.sizeRatio?.toFixed(3)}x, ${t.p50Ratio !== undefined ? `p50 ${t.p50Ratio.toFixed(3)}x, ` : ''}` +
          `${t.accuracy !== undefined ? `accuracy ${(t.accuracy * 100).toFixed(2)}%, ` : ''}cosine ${t.cosine?.toFixed(5)}, budget ${t.meetsBudget ? 'met' : 'broken'}.\n`,
      );
    return 0;
  },
};
