import path from 'node:path';
import { z } from 'zod';
import { shellQuote } from '../../../shared/cli-command.js';
import { fieldsOf } from '../../../shared/options/method-catalog.js';
import {
  SWEEP_TARGETS,
  type SweepOptions,
  type SweepTarget,
  sweepOptionsSchema,
} from '../../../shared/options/sweep-options.js';
import { collectSweep } from '../../engine/sweep/collect-sweep.js';
import { emitSweep, type EmitRequest } from '../../engine/sweep/emit-sweep.js';
import { StudioError } from '../../engine/errors.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../cli-context.js';
import { optionsFromFieldFlags } from '../method-flags.js';
import { cliVersion } from '../version.js';
import { checkCollectOutput, writeCollectedChoice } from './collect-output.js';
import { cliTuneSetting, EXIT_BUDGET_NOT_MET, noChoiceMessage, printTuneOutcome } from './tune-print.js';

/** `tune --emit` and `tune --collect`: a sweep for a cluster, and its results merged. */

export const SWEEP_FIELDS = fieldsOf(
  z.toJSONSchema(sweepOptionsSchema, { io: 'input' }) as Parameters<typeof fieldsOf>[0],
);

/** Which scheduler each sweep option is for (a Record, so a new option must say). */
const OPTION_TARGET: Record<keyof SweepOptions, SweepTarget> = {
  partition: 'slurm',
  time: 'slurm',
  cpusPerTask: 'slurm',
  image: 'k8s',
  parallelism: 'k8s',
  volumeClaim: 'k8s',
  mountPath: 'k8s',
  cpu: 'k8s',
  memory: 'k8s',
};

/**
 * Refuses the sweep flags that do nothing here: any of them without --emit, and the other scheduler's with it
 * (`--emit slurm --image ...` would otherwise be dropped without a word).
 */
export function refuseSweepFlags(ctx: CliContext, target: SweepTarget | undefined): void {
  for (const field of SWEEP_FIELDS) {
    const flag = field.flag;
    const wants = OPTION_TARGET[field.name as keyof SweepOptions];
    if (!flag || ctx.values[flag] === undefined || wants === target) continue;
    const name = wants === 'k8s' ? 'Kubernetes' : 'Slurm';
    throw new StudioError(
      'BAD_REQUEST',
      target
        ? `--${flag} is for a ${name} sweep (--emit ${wants}), not --emit ${target}: leave it out.`
        : `--${flag} is for a ${name} sweep: use it with --emit ${wants} DIR, or leave it out.`,
    );
  }
}

/** `--emit slurm|k8s DIR`: the target and the folder (the positional after MODEL), or undefined. */
export function emitTarget(
  ctx: CliContext,
): { target: SweepTarget; dir: string; dirArg: string } | undefined {
  const raw = ctx.values.emit;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !(SWEEP_TARGETS as readonly string[]).includes(raw))
    throw new StudioError(
      'BAD_REQUEST',
      `--emit takes ${SWEEP_TARGETS.join(' or ')}, then the sweep folder: --emit slurm DIR.`,
    );
  // DIR is the word after --emit's value, wherever MODEL is (`tune --emit slurm DIR MODEL` too).
  const dirArg = ctx.positionalAfter?.emit;
  if (!dirArg || ctx.positionals.length > 2)
    throw new StudioError(
      'BAD_REQUEST',
      `Give the sweep folder right after --emit ${raw}, and one MODEL: onnx-studio tune MODEL --emit ${raw} DIR --data ...`,
    );
  if (ctx.values.output !== undefined)
    throw new StudioError(
      'BAD_REQUEST',
      '--emit writes a sweep folder, not a variant: leave out -o (give it to --collect).',
    );
  return { target: raw as SweepTarget, dir: path.resolve(dirArg), dirArg };
}

export async function emitCommand(
  ctx: CliContext,
  request: Omit<EmitRequest, 'sweepOptions' | 'version'>,
): Promise<number> {
  const sweepOptions = optionsFromFieldFlags(sweepOptionsSchema, SWEEP_FIELDS, ctx.values);
  const emitted = await emitSweep({
    ...request,
    sweepOptions,
    version: cliVersion(),
    nameSetting: cliTuneSetting,
  });
  if (ctx.json) {
    writeJson(ctx, {
      dir: emitted.dir,
      trials: emitted.trials,
      skipped: emitted.skipped,
      beyondMaxTrials: emitted.beyondMaxTrials,
      schedulerFile: emitted.schedulerFile,
      submit: emitted.submit,
    });
    return 0;
  }
  ctx.stdout.write(
    [
      `Wrote a sweep of ${emitted.trials.length} trials to ${emitted.dir}:`,
      ...emitted.trials.map((t) => `  ${String(t.index).padStart(3)}  ${t.name}`),
      ...emitted.skipped.map((s) => `  not ${s.name}: ${s.why}`),
      ...emitted.beyondMaxTrials.map(
        (name) => `  not ${name}: beyond --max-trials ${request.options.maxTrials}, as in a local tune`,
      ),
      '',
      `Scheduler file: ${emitted.schedulerFile}`,
      `Submit:         ${emitted.submit}`,
      `Each task runs: onnx-studio trial ${shellQuote(emitted.dir)} --index I`,
      `Then:           onnx-studio tune --collect ${shellQuote(emitted.dir)} -o tuned.onnx`,
      'The fallback of sensitive nodes to float depends on earlier results: run a local tune for it.',
      '',
    ].join('\n'),
  );
  return 0;
}

export async function collectCommand(ctx: CliContext, dirArg: string): Promise<number> {
  if (ctx.positionals.length > 0)
    throw new StudioError(
      'BAD_REQUEST',
      `--collect reads the sweep folder only, got also: ${ctx.positionals.join(' ')}.`,
    );
  refuseSweepFlags(ctx, undefined);
  const dir = path.resolve(dirArg);
  const output =
    typeof ctx.values.output === 'string'
      ? checkCollectOutput(ctx.values.output, dir, ctx.values.force === true)
      : undefined;
  const collected = await collectSweep(dir);
  const first = collected.machines[0];
  let written: string | undefined;
  if (output && first?.chosenVariant) {
    await writeCollectedChoice(first.chosenVariant, output, ctx.values.force === true, ctx.signal);
    written = output;
  }
  if (ctx.json) {
    // Each machine's outcome as `tune --json` has it: `output` is where its choice was copied (only the first
    // machine's is), `message` why nothing was chosen. No `outcomeFile`: --collect writes no .tune.json.
    const machines = collected.machines.map((m) => {
      const copied = m === first ? written : undefined;
      return {
        ...m,
        outcome: {
          ...m.outcome,
          output: copied ?? null,
          message: m.chosenVariant ? null : noChoiceMessage(m.outcome),
        },
      };
    });
    writeJson(ctx, { ...collected, machines, output: written ?? null });
  } else {
    const lines: string[] = [
      `Sweep ${dir}: ${collected.trials} trials, ${collected.trials - collected.missing.length} finished.`,
    ];
    if (collected.missing.length > 0)
      lines.push(
        `Missing (not run, running, or killed): ${collected.missing.join(', ')}. Run them with: onnx-studio trial ${shellQuote(dir)} --index I`,
      );
    for (const f of collected.failed) lines.push(`Failed: #${f.index}: ${f.error}`);
    for (const note of collected.notes) lines.push(`Note: ${note}`);
    ctx.stdout.write(`${lines.join('\n')}\n`);
    for (const m of collected.machines) {
      ctx.stdout.write(
        `\nMeasured on ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.ep} (${m.machine.host}):\n`,
      );
      printTuneOutcome(
        ctx.stdout,
        m.outcome,
        m === first ? written : undefined,
        m.chosenVariant,
        collected.missing,
      );
    }
  }
  return first?.chosenVariant ? 0 : EXIT_BUDGET_NOT_MET;
}
