/**
 * What `run` adds to a recipe's refusal when a sha256 is missing or malformed: the sha256 of the file the recipe
 * names, where `run` would look for it. A recipe written by hand needs them, and the rule is not always what
 * `sha256sum` prints (a model's hash covers its external data, an image folder's its files: file-hash.ts), so the
 * product computes them rather than describing how.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import { datasetFileNames, type RecipeIssue } from '../../../shared/recipe.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import { sha256Model, sha256Path } from '../../engine/recipe/file-hash.js';

export interface HintPlaces {
  recipeDir: string;
  /** `--model`, which stands for the source. */
  model?: string;
  /** `--data-dir` folders, searched before the recipe's folder as `run` searches them. */
  dataDirs: readonly string[];
}

const HEX = /^[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The value at `at` inside the raw recipe. */
function valueAt(raw: unknown, at: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of at) value = isObject(value) ? value[key as string] : undefined;
  return value;
}

function exists(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false }) !== undefined;
}

async function sourceHint(raw: unknown, places: HintPlaces): Promise<string | undefined> {
  const name = valueAt(raw, ['source', 'name']);
  const file = places.model ?? (typeof name === 'string' ? path.join(places.recipeDir, name) : undefined);
  if (!file || !exists(file)) return undefined;
  try {
    const hash = await sha256Model(file, (await loadModel(file)).proto);
    return `The sha256 of ${file} is ${hash}: put it in source.sha256 if that is the model the recipe means.`;
  } catch {
    return undefined;
  }
}

/** Hints for a dataset reference (`steps.N.calibration`, `steps.N.evaluation`) whose file hashes are wanting. */
async function datasetHints(ref: unknown, where: string, places: HintPlaces): Promise<string[]> {
  if (!isObject(ref) || !isObject(ref.spec)) return [];
  const files: unknown[] = Array.isArray(ref.files) ? ref.files : [];
  let names: string[];
  try {
    names = datasetFileNames(ref.spec as DatasetSpecInput);
  } catch {
    return [];
  }
  const hints: string[] = [];
  for (const name of names) {
    const entry = files.findIndex((f) => isObject(f) && f.name === name);
    const found = files[entry];
    const recorded = isObject(found) ? found.sha256 : undefined;
    if (typeof recorded === 'string' && HEX.test(recorded)) continue;
    const file = [...places.dataDirs, places.recipeDir].map((d) => path.join(d, name)).find(exists);
    if (!file) continue;
    const hash = await sha256Path(file);
    // An entry with a malformed hash is mended in place, not given a second entry.
    hints.push(
      entry >= 0
        ? `The sha256 of ${file} is ${hash}: set ${where}.files.${entry}.sha256 to it.`
        : `The sha256 of ${file} is ${hash}: put {"name": ${JSON.stringify(name)}, "sha256": "<that>"} in ${where}.files.`,
    );
  }
  return hints;
}

/** One line per file whose missing or malformed sha256 the issues point at, and that `run` can find here. */
export async function sha256Hints(
  raw: unknown,
  issues: readonly RecipeIssue[],
  places: HintPlaces,
): Promise<string[]> {
  const hints: string[] = [];
  // The source's hash wanting (or its key misspelt, said at `source`), not another field of it.
  if (issues.some((i) => i.path[0] === 'source' && (i.path.length === 1 || i.path[1] === 'sha256'))) {
    const hint = await sourceHint(raw, places);
    if (hint) hints.push(hint);
  }
  const refs = new Set<string>();
  for (const issue of issues) {
    const cut = issue.path.indexOf('files');
    if (cut > 0) refs.add(JSON.stringify(issue.path.slice(0, cut)));
  }
  for (const ref of refs) {
    const at = JSON.parse(ref) as (string | number)[];
    hints.push(...(await datasetHints(valueAt(raw, at), at.join('.'), places)));
  }
  return hints;
}
