/**
 * The page's view of the experiment (shared/workspace.ts `Experiment`): whether the model's input spec must
 * be set before anything runs, the spec to show (saved, else guessed), each role's dataset, and whether the
 * figures on screen mix datasets. Pure: unit-tested in experiment.test.ts.
 */
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { guessInputSpec, inputSpecProblem, needsInputSpec, specFromGuesses, type InputGuess, type InputSpec } from '../../../shared/input-spec.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { DatasetIdentity, DatasetRole, Workspace } from '../../../shared/workspace.js';

export interface InputSpecState {
  /** The model has open dims or non-float inputs: the user must confirm a spec before jobs run. */
  needed: boolean;
  /**
   * The user saved a spec that can feed the model (or none is needed). A spec saved before the form refused one
   * named dim at two sizes is not: every job failed on it, so the form asks again.
   */
  ready: boolean;
  /** What the form shows: the saved spec, else the guesses. */
  spec: InputSpec;
  /** The guesses with their reasons, per input. */
  guesses: InputGuess[];
}

export function inputSpecState(summary: ModelSummary, ws: Workspace | null): InputSpecState {
  const guesses = guessInputSpec(summary.inputs);
  const needed = needsInputSpec(summary.inputs);
  const saved = ws?.experiment?.inputs;
  const confirmed = saved !== undefined && ws?.experiment?.inputsConfirmedAt !== undefined;
  const usable = confirmed && inputSpecProblem(summary.inputs, saved) === undefined;
  return { needed, ready: !needed || usable, spec: saved ?? specFromGuesses(guesses), guesses };
}

/** The dataset the experiment keeps for a role, as a spec for the forms. */
export function experimentDataset(ws: Workspace | null, role: DatasetRole): { name: string; spec: DatasetSpecInput } | undefined {
  const d = ws?.experiment?.datasets?.[role];
  return d ? { name: d.name, spec: d.data.spec as DatasetSpecInput } : undefined;
}

/** The datasets a set of figures were measured on, when there is more than one: the chart mixes them. */
export function mixedDatasets(datasets: readonly (DatasetIdentity | undefined)[]): DatasetIdentity[] {
  const distinct = new Map<string, DatasetIdentity>();
  for (const d of datasets) if (d && !distinct.has(d.sha256)) distinct.set(d.sha256, d);
  return distinct.size > 1 ? [...distinct.values()] : [];
}

/** `test-inputs.npy (360 samples)`. */
export function describeDataset(d: DatasetIdentity): string {
  return `${d.name} (${d.samples} sample${d.samples === 1 ? '' : 's'})`;
}
