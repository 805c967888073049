/**
 * The data of a tune run, opened against the model. `checkTuneData` runs once before the search (and before a
 * sweep is written): every trial feeds the same data, so data that does not fit the model would otherwise fail
 * every trial alike and end as a budget miss instead of saying what is wrong with the data.
 */
import path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import { parseDatasetSpec } from '../../../shared/dataset-spec.js';
import type { JobSpec } from '../../../shared/ipc-contract.js';
import type { TuneBudget } from '../../../shared/options/tune-options.js';
import type { DatasetIdentity } from '../../../shared/workspace.js';
import { datasetIdentity } from '../datasets/dataset-identity.js';
import type { DatasetSource } from '../datasets/dataset-source.js';
import { openDataset } from '../datasets/open-dataset.js';
import { StudioError } from '../errors.js';
import { loadModel } from '../onnx/load-model.js';
import { resolveInputSpecs, type ShapeOverrides } from '../runtime/input-specs.js';

/** A dataset as jobs name it: its spec and the folder its relative paths resolve against. */
export type TuneDataRef = Extract<JobSpec, { kind: 'evaluate' }>['data'];

/** Opens a tune dataset for a model with the run's input spec (names, dtypes and shapes checked here). */
export async function openTuneData(
  model: ModelProto,
  inputs: ShapeOverrides,
  ref: TuneDataRef,
): Promise<DatasetSource> {
  const parsed = parseDatasetSpec(ref.spec);
  if (!parsed.ok) throw new StudioError('BAD_REQUEST', `Invalid dataset: ${parsed.message}`);
  const resolved = resolveInputSpecs(model, inputs).inputs;
  return openDataset(parsed.spec, resolved, ref.baseDir ? { baseDir: ref.baseDir } : {});
}

/** What the check learnt of a dataset: whether it holds labels, as the data layer reads them (as eval does). */
export interface TuneDataFacts {
  /** `DatasetSource.hasLabels`: a labels file, an .npz's 'labels' array, class sub-folders, .jsonl "label"s. */
  hasLabels: boolean;
  /** The data in words (`DatasetSource.describe()`), for messages. */
  description: string;
  /** Which data it is, by content, as an evaluation records it (name, samples, sha256). */
  identity: DatasetIdentity;
}

/**
 * Refuses data that does not fit the model: opening checks the inputs' names, element types and shapes
 * (BAD_INPUT naming the input), and the first sample is read, as some formats (JSON lines) say their shapes
 * only per sample. The flag is named so the user knows which data to fix. Returns each dataset's facts, in the
 * order given.
 */
export async function checkTuneData(
  modelPath: string,
  inputs: ShapeOverrides,
  /** Each with the flag that gave it (for messages) and the name it goes by (default: its file's name). */
  datasets: readonly { flag: string; ref: TuneDataRef; name?: string }[],
  signal?: AbortSignal,
): Promise<TuneDataFacts[]> {
  const model = (await loadModel(modelPath)).proto;
  const seen = new Map<string, TuneDataFacts>();
  const facts: TuneDataFacts[] = [];
  for (const { flag, ref, name } of datasets) {
    // Calibration defaults to the evaluation data: one check is enough.
    const key = JSON.stringify([ref, name]);
    const known = seen.get(key);
    if (known) {
      facts.push(known);
      continue;
    }
    try {
      const source = await openTuneData(model, inputs, ref);
      const samples = source.samples(signal)[Symbol.asyncIterator]();
      const first = await samples.next();
      await samples.return?.();
      // openTuneData refused a spec that does not parse.
      const spec = parseDatasetSpec(ref.spec);
      if (!spec.ok) throw new StudioError('BAD_REQUEST', `Invalid dataset: ${spec.message}`);
      const count = source.count ?? (first.done ? 0 : 1);
      const fact = {
        hasLabels: source.hasLabels,
        description: source.describe(),
        identity: await datasetIdentity(spec.spec, path.resolve(ref.baseDir ?? ''), count, name, signal),
      };
      seen.set(key, fact);
      facts.push(fact);
    } catch (error) {
      if (!(error instanceof StudioError) || error.code === 'CANCELLED' || error.code === 'INTERNAL')
        throw error;
      // BAD_INPUT is data that does not fit the model's inputs; anything else (a missing file, a bad spec) is
      // only said to be about this flag's data.
      const message =
        error.code === 'BAD_INPUT'
          ? `${flag} does not fit the model: ${error.message} Give data shaped for the model's inputs.`
          : `${flag}: ${error.message}`;
      throw new StudioError(error.code, message, {
        cause: error,
        ...(error.cliHint !== undefined ? { cliHint: error.cliHint } : {}),
      });
    }
  }
  return facts;
}

/**
 * Refuses an accuracy budget on evaluation data without labels (as the data layer reads them: `hasLabels`),
 * before any trial: no trial could be judged. A language model's real ids need none (`ownIds`: next-token
 * accuracy, shared/own-ids.ts). `flag` names the data as the host does (`--data`).
 */
export function refuseUnlabelledAccuracyBudget(
  budget: TuneBudget,
  evaluation: TuneDataFacts,
  flag = 'the evaluation data',
  ownIds = false,
): void {
  if (budget.kind !== 'accuracy-drop' || evaluation.hasLabels || ownIds) return;
  throw new StudioError(
    'BAD_REQUEST',
    `An accuracy budget needs labels, and ${flag} ${evaluation.description} has none. Give data with labels ` +
      `(a labels file for an .npy or .npz, a 'labels' array in an .npz, class sub-folders of images, a "label" ` +
      "on each .jsonl line), or use a cosine budget instead. A language model's real token ids need none (its " +
      'next-token accuracy is measured); synthetic ids are random and never graded.',
    {
      cliHint:
        '--max-accuracy-drop measures accuracy: pass --labels FILE with .npy or .npz data, or use --min-cosine C without labels.',
    },
  );
}
