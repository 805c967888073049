/**
 * Datasets in recipes: recorded by file name + sha256 (never a machine path), and found again by name when a
 * recipe runs, refusing a file whose content changed unless the user says otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import { type DatasetRef, datasetFileNames } from '../../../shared/recipe.js';
import { StudioError } from '../errors.js';
import { sha256Path } from './file-hash.js';

/** The recipe form of a dataset spec whose relative paths are relative to `baseDir`. */
export async function datasetRef(spec: DatasetSpec, baseDir: string, signal?: AbortSignal): Promise<DatasetRef> {
  if (spec.kind === 'synthetic') return { spec, files: [] };
  const files: DatasetRef['files'] = [];
  const named = { ...spec };
  const ref = async (p: string): Promise<string> => {
    const absolute = path.resolve(baseDir, p);
    const name = path.basename(absolute);
    if (!files.some((f) => f.name === name)) files.push({ name, sha256: await sha256Path(absolute, signal) });
    return name;
  };
  named.path = await ref(spec.path);
  if ('labels' in named && named.labels !== undefined) named.labels = await ref(named.labels);
  return { spec: named, files };
}

export interface ResolveOptions {
  /** How to hash a found file (default: `sha256Path`; models use `sha256Model`, which covers external data). */
  hash?: (file: string) => Promise<string>;
  /** Folders searched for the files, in order. */
  dirs: string[];
  /** Use a file whose sha256 differs from the recorded one (with a warning) instead of refusing it. */
  allowChanged?: boolean;
  /** What the data is for, for messages: `calibration data`, `evaluation data`. */
  role: string;
  /** What to do when the file is in none of `dirs`, e.g. which flag finds it (default: a generic hint). */
  missingHint?: string;
  warn?: (message: string) => void;
  signal?: AbortSignal;
}

/** How the message for a changed file used anyway ends: a warning (docs/cli.md), which `run` prints as one. */
const USED_ANYWAY = 'Used anyway (--allow-changed-data).';

/** Whether a run's message is the warning for a changed source or data file used anyway, not a step's note. */
export function isChangedFileWarning(message: string): boolean {
  return message.endsWith(USED_ANYWAY);
}

/** Finds a file by name in the search folders and checks its hash; returns where it is and its actual hash. */
export async function findRecordedFile(
  file: { name: string; sha256: string },
  options: ResolveOptions,
): Promise<{ path: string; sha256: string }> {
  const candidates = options.dirs.map((d) => path.join(d, file.name));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new StudioError(
      'BAD_REQUEST',
      `The ${options.role} '${file.name}' was not found in ${options.dirs.join(' or ')}. ${options.missingHint ?? 'Put it there, or pass the folder that holds it.'}`,
    );
  }
  const actual = options.hash ? await options.hash(found) : await sha256Path(found, options.signal);
  if (actual !== file.sha256) {
    const message = `The ${options.role} ${found} is not the file the recipe was recorded with (sha256 ${actual.slice(0, 12)}… instead of ${file.sha256.slice(0, 12)}…).`;
    if (!options.allowChanged) {
      // The whole hash: a recipe written by hand (or a file re-exported on purpose) is mended with it.
      throw new StudioError(
        'BAD_REQUEST',
        `${message} If it is the file you mean, put its sha256 ${actual} in the recipe in place of the recorded one; ` +
          'or pass --allow-changed-data to use it anyway.',
      );
    }
    options.warn?.(`${message} ${USED_ANYWAY}`);
  }
  return { path: found, sha256: actual };
}

/** The spec and base folder a recorded dataset opens with on this machine. */
export async function resolveDatasetRef(
  ref: DatasetRef,
  options: ResolveOptions,
): Promise<{ spec: DatasetSpec; baseDir: string }> {
  const names = datasetFileNames(ref.spec);
  if (names.length === 0) return { spec: ref.spec, baseDir: options.dirs[0] ?? process.cwd() };
  const located = new Map<string, string>();
  for (const name of names) {
    const file = ref.files.find((f) => f.name === name);
    if (!file) throw new StudioError('BAD_REQUEST', `The recipe names ${options.role} '${name}' without its sha256.`);
    located.set(name, (await findRecordedFile(file, options)).path);
  }
  const spec = { ...ref.spec };
  if (spec.kind !== 'synthetic') {
    spec.path = located.get(spec.path)!;
    if ('labels' in spec && spec.labels !== undefined) spec.labels = located.get(spec.labels)!;
  }
  return { spec, baseDir: path.dirname(located.get(names[0]!)!) };
}
