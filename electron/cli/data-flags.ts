import fs from 'node:fs';
import path from 'node:path';
import { type DatasetSpec, type ImagePreprocessing, imagePreprocessingSchema, parseDatasetSpec } from '../../shared/dataset-spec.js';
import type { OptionField } from '../../shared/method-catalog-types.js';
import { fieldHelp, fieldParseArgs, flagOf, valuesFromFieldFlags } from '../../shared/options/cli-flags.js';
import { methodCatalog } from '../engine/jobs/method-catalog.js';
import { readDatasetSpecFile } from '../engine/datasets/open-dataset.js';
import { StudioError } from '../engine/errors.js';

/*
 * `--data DATA` (or `--calib-data DATA`) and the flags that go with it, turned into a DatasetSpec: the one
 * form every command hands to `openDataset`. DATA is `synthetic`, a `.npy`, `.npz`, `.jsonl`, a folder of
 * images, or a dataset spec `.json`.
 */

type Values = Record<string, string | boolean | string[] | undefined>;

/** The image preprocessing options, each with its flag, from their declaration (shared/dataset-spec.ts). */
function imageFields(): OptionField[] {
  return methodCatalog().datasets.find((d) => d.kind === 'images')!.fields.filter((f) => f.flag !== undefined);
}

/**
 * The flags of every dataset kind's options, once each (`labels` belongs to npy and npz alike), from their
 * declarations in shared/dataset-spec.ts. `--samples` is the caller's: a count for synthetic data, a limit for
 * files.
 */
function kindFields(): OptionField[] {
  const seen = new Set<string>();
  const fields: OptionField[] = [];
  for (const kind of methodCatalog().datasets) {
    for (const field of kind.fields) {
      if (!field.flag || seen.has(field.flag) || field.name.startsWith('preprocessing.')) continue;
      seen.add(field.flag);
      fields.push(field);
    }
  }
  return fields;
}

/** The parseArgs entries for the data flags (shared by eval, quantize's calibration, bench). */
export const DATA_OPTIONS = {
  samples: { type: 'string' },
  ...fieldParseArgs(kindFields()),
  ...fieldParseArgs(imageFields()),
} as const;

/** Help lines for DATA_OPTIONS (`samples` is described by the caller, whose meaning it sets). */
export const DATA_HELP = [
  ...fieldHelp(kindFields()),
  'Image folders (defaults come from the model input):',
  ...fieldHelp(imageFields()),
].join('\n');

/**
 * The data flags without --labels, for commands that only feed inputs (bench, calibration): offering it there
 * only to refuse it later confused users.
 */
export const INPUT_DATA_OPTIONS = Object.fromEntries(
  Object.entries(DATA_OPTIONS).filter(([flag]) => flag !== 'labels'),
) as Omit<typeof DATA_OPTIONS, 'labels'>;

/** Help lines for INPUT_DATA_OPTIONS. */
export const INPUT_DATA_HELP = [
  ...fieldHelp(kindFields().filter((f) => f.flag !== 'labels')),
  'Image folders (defaults come from the model input):',
  ...fieldHelp(imageFields()),
].join('\n');

const IMAGE_FLAGS = imageFields().map((f) => f.flag!);

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function parseWhole(flag: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    throw new StudioError('BAD_REQUEST', `--${flag} expects a whole number of at least ${min}, got '${raw}'.`);
  }
  return Number(raw);
}

/** The image preprocessing the flags ask for (fields left out take the model's defaults). */
export function preprocessingFromFlags(values: Values): ImagePreprocessing {
  const fields = imageFields();
  const parsed = valuesFromFieldFlags(fields, values);
  if (!parsed.ok) throw new StudioError('BAD_REQUEST', parsed.message);
  const checked = imagePreprocessingSchema.safeParse(parsed.value.preprocessing ?? {});
  if (!checked.success) {
    const issues = checked.error.issues.map((i) => {
      const flag = flagOf(fields, `preprocessing.${String(i.path[0] ?? '')}`);
      return `${flag ? `--${flag}` : 'preprocessing'}: ${i.message}`;
    });
    throw new StudioError('BAD_REQUEST', `${issues.join('; ')}.`);
  }
  return checked.data;
}

export interface DataFlagOptions {
  /** The flag that carries DATA, for messages (default `data`). */
  dataFlag?: string;
  /** The flag that sets the sample count (default `samples`): synthetic count, or a limit for real data. */
  samplesFlag?: string;
  /** Synthetic samples when the count flag is absent (default 100). */
  defaultSyntheticSamples?: number;
  /**
   * What the count flag is to real data (files, folders, a spec file's): `limit` (default), the data's own limit,
   * recorded in its spec (`eval --samples N`); or `read`, for a count a method option records already
   * (int8-static's `calibSamples`, which `--calib-samples` sets): it only bounds what is read (`readLimit`), and
   * the spec is left as the data flags give it. The app records that count once, as the option, and the
   * command it shows (shared/cli-command.ts) writes it back as `--calib-samples`: recorded twice, the recipe
   * (and so the file) of a variant made again from that command was another than the app's. A synthetic set's
   * count is its size, in its spec either way (quantize.ts leaves the option out then).
   */
  realDataCount?: 'limit' | 'read';
}

export interface DataFlags {
  spec: DatasetSpec;
  /** Folder that relative paths in the spec resolve against. */
  baseDir: string;
  /** With `realDataCount: 'read'`: read at most this many samples (openDataset's `limit`), not recorded in `spec`. */
  readLimit?: number;
}

/** Builds the dataset spec for `--data DATA` and its companion flags, refusing flags that do not apply. */
export async function parseDataFlags(data: string | undefined, values: Values, options: DataFlagOptions = {}): Promise<DataFlags> {
  const dataFlag = options.dataFlag ?? 'data';
  const samplesFlag = options.samplesFlag ?? 'samples';
  if (data === undefined || data === '') {
    throw new StudioError('BAD_REQUEST', `Missing --${dataFlag}: pass synthetic, a .npy, .npz, .jsonl, an image folder or a dataset spec .json.`);
  }
  const samplesRaw = str(values, samplesFlag);
  const samples = samplesRaw === undefined ? undefined : parseWhole(samplesFlag, samplesRaw, 1);
  const seedRaw = str(values, 'seed');
  const labels = str(values, 'labels');
  const imageFlags = IMAGE_FLAGS.filter((f) => values[f] !== undefined);
  const refuse = (flags: readonly string[], kind: string) => {
    if (flags.length > 0) {
      throw new StudioError('BAD_REQUEST', `${flags.map((f) => `--${f}`).join(', ')} ${flags.length > 1 ? 'do' : 'does'} not apply to ${kind}.`);
    }
  };
  const baseDir = process.cwd();
  const validated = (spec: unknown): DatasetSpec => {
    const parsed = parseDatasetSpec(spec);
    if (!parsed.ok) throw new StudioError('BAD_REQUEST', `Invalid data flags: ${parsed.message}.`);
    return parsed.spec;
  };

  if (data === 'synthetic') {
    refuse([...imageFlags, ...(labels !== undefined ? ['labels'] : [])], 'synthetic data');
    const seed = seedRaw === undefined ? 0 : parseWhole('seed', seedRaw, 0);
    return { spec: validated({ kind: 'synthetic', samples: samples ?? options.defaultSyntheticSamples ?? 100, seed }), baseDir };
  }
  if (seedRaw !== undefined) throw new StudioError('BAD_REQUEST', `--seed applies to --${dataFlag} synthetic only.`);
  const file = path.resolve(data);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch {
    throw new StudioError('IO', `No such file or folder: ${file}. --${dataFlag} takes synthetic, a .npy, .npz, .jsonl, an image folder or a dataset spec .json.`);
  }
  const recordsLimit = options.realDataCount !== 'read';
  const limit = samples !== undefined && recordsLimit ? { limit: samples } : {};
  const readLimit = samples !== undefined && !recordsLimit ? { readLimit: samples } : {};
  if (stat.isDirectory()) {
    refuse(labels !== undefined ? ['labels'] : [], 'image folders (labels come from the class sub-folders)');
    const preprocessing = preprocessingFromFlags(values);
    return {
      spec: validated({ kind: 'images', path: file, ...(Object.keys(preprocessing).length > 0 ? { preprocessing } : {}), ...limit }),
      baseDir,
      ...readLimit,
    };
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy' || ext === '.npz') {
    refuse(imageFlags, `${ext} data (preprocessing flags are for image folders)`);
    return { spec: validated({ kind: ext.slice(1), path: file, ...(labels !== undefined ? { labels: path.resolve(labels) } : {}), ...limit }), baseDir, ...readLimit };
  }
  if (ext === '.jsonl' || ext === '.ndjson') {
    refuse([...imageFlags, ...(labels !== undefined ? ['labels'] : [])], '.jsonl data (labels go in each line\'s "label")');
    return { spec: validated({ kind: 'jsonl', path: file, ...limit }), baseDir, ...readLimit };
  }
  if (ext === '.json') {
    refuse([...imageFlags, ...(labels !== undefined ? ['labels'] : [])], 'a dataset spec file (put them in the spec)');
    const read = await readDatasetSpecFile(file);
    if (samples === undefined) return read;
    if (read.spec.kind === 'synthetic') read.spec.samples = samples;
    else if (recordsLimit) read.spec.limit = Math.min(read.spec.limit ?? samples, samples);
    else return { ...read, readLimit: samples };
    return read;
  }
  throw new StudioError(
    'BAD_REQUEST',
    `Cannot tell what kind of data ${path.basename(file)} is: --${dataFlag} takes synthetic, a .npy, .npz, .jsonl, an image folder or a dataset spec .json.`,
  );
}
