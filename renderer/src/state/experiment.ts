/**
 * The page's view of the experiment (shared/workspace.ts `Experiment`): whether the model's input spec must
 * be set before anything runs, the spec to show (saved, else guessed), each role's dataset, and whether the
 * figures on screen mix datasets. Pure: unit-tested in experiment.test.ts.
 */
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { imageReadingMarkedText, type ImageReading } from '../../../shared/image-reading.js';
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
  return `${d.name} (${plural(d.samples)})`;
}

const plural = (n: number) => `${n} sample${n === 1 ? '' : 's'}`;

/** A dataset shown beside others, with the engine's description of it (`EvalReportInfo.data`) when known. */
export interface ShownDataset {
  dataset: DatasetIdentity;
  data?: string | undefined;
}

/**
 * Labels that tell apart the datasets shown together, by sha256: `describeDataset`'s, and where two different
 * datasets would read the same (two `test-inputs.npy (360 samples)` in one banner), what differs: the folder of
 * their data files when the engine's descriptions name different ones (`test-inputs.npy (360 samples, in …/a/fx)`),
 * else the start of their sha256 (the same file changed since, or other labels).
 */
export function datasetLabels(shown: readonly ShownDataset[]): Map<string, string> {
  // One of each dataset, one with a description where there is one.
  const distinct = new Map<string, ShownDataset>();
  for (const s of shown) {
    const seen = distinct.get(s.dataset.sha256);
    if (!seen || (!seen.data && s.data)) distinct.set(s.dataset.sha256, s);
  }
  const byText = new Map<string, ShownDataset[]>();
  for (const s of distinct.values()) {
    const text = describeDataset(s.dataset);
    byText.set(text, [...(byText.get(text) ?? []), s]);
  }
  const labels = new Map<string, string>();
  for (const [text, group] of byText) {
    if (group.length === 1) {
      labels.set(group[0]!.dataset.sha256, text);
      continue;
    }
    const folders = distinctSuffixes(group.map((s) => (s.data ? folderOf(dataPathOf(s.data)) : undefined)));
    group.forEach((s, i) => {
      const what = folders ? `in ${folders[i]}` : `sha256 ${s.dataset.sha256.slice(0, 8)}`;
      labels.set(s.dataset.sha256, `${s.dataset.name} (${plural(s.dataset.samples)}, ${what})`);
    });
  }
  return labels;
}

/**
 * The data file or folder an engine description names: the description less its trailing parenthesized details
 * (`/d/x.npy (labels /d/y.npy)`, `/d/imgs (360 images in 10 classes; 32x32 gray nchw, …)`).
 */
export function dataPathOf(description: string): string {
  const trimmed = description.trim();
  if (!trimmed.endsWith(')')) return trimmed;
  let depth = 0;
  for (let i = trimmed.length - 1; i >= 0; i--) {
    if (trimmed[i] === ')') depth++;
    else if (trimmed[i] === '(' && --depth === 0)
      return i > 0 && trimmed[i - 1] === ' ' ? trimmed.slice(0, i - 1) : trimmed;
  }
  return trimmed;
}

/**
 * How the engine read image-folder data into the model, in the CLI's words, from the evaluation's record of it
 * (`imageReading`, shared/image-reading.ts), with the values no one gave marked where they stand (`32x32 gray nchw
 * (model input) · stretch (bilinear), scale 1/255, mean 0, std 1 (defaults) · float32 (model input)`): the figures
 * rest on them. None for other data. An evaluation recorded before `imageReading` existed has only the engine's
 * description of its data (`description`): its words are read from that, unmarked (oldImagePreprocessing).
 */
export function imagePreprocessingOf(
  reading: ImageReading | undefined,
  description?: string,
): string | undefined {
  if (reading) return imageReadingMarkedText(reading);
  return description === undefined ? undefined : oldImagePreprocessing(description);
}

/**
 * Only for evaluations recorded before `imageReading` existed: the preprocessing in the engine's description of an
 * image folder (image-folder-source.ts: `/d/imgs (360 images in 10 classes; 32x32 gray nchw, stretch (bilinear),
 * scale 1/255, mean 0, std 1, float32)`). It says nothing of which values were given, so nothing is marked. Newer
 * records carry `imageReading`; nothing else should parse this text.
 */
function oldImagePreprocessing(description: string): string | undefined {
  return /\(\d+ images(?: in \d+ classes|, unlabeled); (.+)\)$/.exec(description.trim())?.[1];
}

function folderOf(path: string): string | undefined {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut > 0 ? path.slice(0, cut) : cut === 0 ? '/' : undefined;
}

/** The shortest ends of `folders` that tell them all apart (`…/a/fx`, `…/b/fx`), or none where two are alike. */
function distinctSuffixes(folders: readonly (string | undefined)[]): string[] | undefined {
  if (folders.some((f) => f === undefined) || new Set(folders).size !== folders.length) return undefined;
  const parts = folders.map((f) => f!.split(/[\\/]/).filter((p) => p !== ''));
  const longest = Math.max(...parts.map((p) => p.length));
  for (let k = 1; k <= longest; k++) {
    const ends = parts.map((p) => p.slice(-k).join('/'));
    if (new Set(ends).size === ends.length)
      return ends.map((e, i) => (k < parts[i]!.length ? `…/${e}` : folders[i]!));
  }
  return folders as string[];
}
