/**
 * `tune --collect DIR`: merges a sweep's results into the outcome a local `tune` prints (trials, Pareto front,
 * choice, or the closest miss), applying the budget again. Missing and failed indexes are listed, not fatal.
 * Latency measured on different machines is not comparable, so the results are grouped by machine (CPU model,
 * cores, provider) and each group gets its own front and choice; size and quality compare across all of them.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  chooseTrial,
  closestTrial,
  paretoFront,
  type TuneOutcome,
  type TuneStop,
  type TuneTrial,
  withinBudget,
} from '../../../shared/tune.js';
import type { CollectedSweep, MachineInfo, MachineOutcome } from '../../../shared/sweep.js';
import { StudioError } from '../errors.js';

export type { CollectedSweep, MachineOutcome };
import { inspectModel } from '../inspect/inspect-model.js';
import {
  INPUTS_DIR,
  readSweep,
  RESULT_FILE,
  resultDir,
  type TrialResult,
  VARIANT_FILE,
} from './sweep-format.js';

/** What Agreement means (a sweep's results keep the figure, not the names of the outputs behind it). */
const DISCRETE_OUTPUTS_NOTE =
  "Agreement is the lowest share of values equal to the original's over the model's bool and integer outputs, " +
  'which are compared value by value: Cosine (and a cosine budget) covers the float outputs only.';

const machineKey = (m: MachineInfo) => `${m.cpu}\t${m.cores}\t${m.ep}`;

export async function collectSweep(dir: string): Promise<CollectedSweep> {
  const sweep = readSweep(dir);
  const results: TrialResult[] = [];
  const missing: number[] = [];
  for (let index = 0; index < sweep.trials; index++) {
    const file = path.join(resultDir(dir, index), RESULT_FILE);
    if (!fs.existsSync(file)) {
      missing.push(index);
      continue;
    }
    try {
      results.push(JSON.parse(fs.readFileSync(file, 'utf8')) as TrialResult);
    } catch (error) {
      throw new StudioError(
        'BAD_REQUEST',
        `The result ${file} is not valid JSON (${(error as Error).message}). Delete its folder and run trial ${index} again.`,
      );
    }
  }
  const failed = results
    .filter((r) => r.trial.status === 'failed')
    .map((r) => ({ index: r.trial.index, error: r.trial.error ?? 'unknown error' }));
  const summary = await inspectModel(path.join(dir, INPUTS_DIR, sweep.model.name));
  const bytes = summary.fileBytes + summary.externalDataBytes;
  const groups = new Map<string, TrialResult[]>();
  for (const r of results)
    groups.set(machineKey(r.machine), [...(groups.get(machineKey(r.machine)) ?? []), r]);
  const notes: string[] = [];
  // What a local tune's outcome says about the candidates it did not try.
  const skipped = (sweep.skipped ?? []).map((s) => `Not ${s.name}: ${s.why}.`);
  const stoppedBy: TuneStop =
    missing.length > 0 ? 'incomplete' : sweep.beyondMaxTrials?.length ? 'max-trials' : 'searched';
  if (groups.size > 1)
    notes.push(
      `The results come from ${groups.size} different machines: latency is compared only between results of one machine, so each machine gets its own front and choice.`,
    );
  const machines = [...groups.values()]
    .sort((a, b) => b.length - a.length)
    .map((group): MachineOutcome => {
      const trials: TuneTrial[] = group
        .map((r) => ({
          ...r.trial,
          meetsBudget: r.trial.status === 'done' && withinBudget(r.trial, sweep.budget),
        }))
        .sort((a, b) => a.index - b.index);
      const accuracy = group.find((r) => r.originalAccuracy !== undefined)?.originalAccuracy;
      const chosen = chooseTrial(trials, sweep.options.objective, sweep.budget);
      const closest = chosen ? undefined : closestTrial(trials, sweep.options.objective, sweep.budget);
      const outcome: TuneOutcome = {
        model: path.join(dir, INPUTS_DIR, sweep.model.name),
        objective: sweep.options.objective,
        budget: sweep.budget,
        original: {
          bytes,
          ...(accuracy !== undefined ? { accuracy } : {}),
          ...(accuracy !== undefined && sweep.accuracyTask ? { accuracyTask: sweep.accuracyTask } : {}),
        },
        trials,
        pareto: paretoFront(trials, sweep.options.objective, sweep.budget),
        ...(chosen ? { chosen: chosen.index } : {}),
        ...(closest ? { closest: closest.index } : {}),
        stoppedBy,
        seconds: trials.reduce((sum, t) => sum + t.seconds, 0),
        notes: [
          ...skipped,
          ...notes,
          ...(trials.some((t) => t.agreement !== undefined) ? [DISCRETE_OUTPUTS_NOTE] : []),
        ],
      };
      return {
        machine: group[0]!.machine,
        outcome,
        ...(chosen ? { chosenVariant: path.join(resultDir(dir, chosen.index), VARIANT_FILE) } : {}),
      };
    });
  return { dir, trials: sweep.trials, missing, failed, machines, notes };
}
