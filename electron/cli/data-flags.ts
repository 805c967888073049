import fs from 'node:fs';
import path from 'node:path';
import {
  type DatasetSpec,
  DATASET_DTYPES,
  type ImagePreprocessing,
  imagePreprocessingSchema,
  parseDatasetSpec,
} from '../../shared/dataset-spec.js';
import { readDatasetSpecFile } from '../engine/datasets/open-dataset.js';
import { StudioError } from '../engine/errors.js';

/*
 * `--data DATA` (or `--calib-data DATA`) and the flags that go with it, turned into a DatasetSpec: the one
 * form every command hands to `openDataset`. DATA is `synthetic`, a `.npy`, `.npz`, `.jsonl`, a folder of
 * images, or a dataset spec `.json`.
 */

type Values = Record<string, string | boolean | string[] | undefined>;

/** The parseArgs entries for the data flags (shared by eval, quantize's calibration, bench). */
export const DATA_OPTIONS = {
  labels: { type: 'string' },
  samples: { type: 'string' },
  seed: { type: 'string' },
  size: { type: 'string' },
  resize: { type: 'string' },
  'crop-fraction': { type: 'string' },
  interpolation: { type: 'string' },
  channels: { type: 'string' },
  layout: { type: 'string' },
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  dtype: { type: 'string' },
} as const;

/** Help lines for DATA_OPTIONS (`samples` is described by the caller, whose meaning it sets). */
export const DATA_HELP = [
  '  --labels FILE.npy       labels for .npy/.npz data: class indices (ints) or target values (floats)',
  '  --seed S                seed of synthetic data (default 0)',
  'Image folders (defaults come from the model input):',
  '  --size H[xW]            output size in pixels',
  '  --resize MODE           stretch (default) | shorter-side-crop (scale to cover, centre crop)',
  '  --crop-fraction F       with shorter-side-crop: crop share, e.g. 0.875 = resize 256, crop 224',
  '  --interpolation MODE    bilinear (default) | nearest | bicubic | lanczos3',
  '  --channels rgb|bgr|gray channel order (default: rgb for 3 channels, gray for 1)',
  '  --layout nchw|nhwc      tensor layout (default: from the model input shape)',
  '  --scale NUMBER          pixel multiplier, e.g. 0.00392 or 1/255 (default 1/255; 1 for integer inputs)',
  '  --mean a[,b,c]          subtracted after scaling (default 0)',
  '  --std a[,b,c]           divided by after the mean (default 1)',
  '  --dtype TYPE            the tensor element type (must be the model input\'s, the default)',
].join('\n');

const IMAGE_FLAGS = ['size', 'resize', 'crop-fraction', 'interpolation', 'channels', 'layout', 'scale', 'mean', 'std', 'dtype'] as const;

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function parseNumber(flag: string, raw: string): number {
  const text = raw.trim();
  const fraction = /^([-+]?[\d.]+(?:e[-+]?\d+)?)\/([\d.]+(?:e[-+]?\d+)?)$/i.exec(text);
  const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new StudioError('BAD_REQUEST', `--${flag} expects a number (like 0.5 or 1/255), got '${raw}'.`);
  return value;
}

function parseList(flag: string, raw: string): number[] {
  const values = raw.split(',').map((s) => parseNumber(flag, s));
  if (values.length !== 1 && values.length !== 3) {
    throw new StudioError('BAD_REQUEST', `--${flag} expects 1 or 3 comma-separated numbers (like 0.485,0.456,0.406), got '${raw}'.`);
  }
  return values;
}

function parseWhole(flag: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    throw new StudioError('BAD_REQUEST', `--${flag} expects a whole number of at least ${min}, got '${raw}'.`);
  }
  return Number(raw);
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  const value = raw.trim().toLowerCase() as T;
  if (!allowed.includes(value)) throw new StudioError('BAD_REQUEST', `--${flag} must be one of ${allowed.join(', ')}, got '${raw}'.`);
  return value;
}

/** The image preprocessing the flags ask for (fields left out take the model's defaults). */
export function preprocessingFromFlags(values: Values): ImagePreprocessing {
  const prep: ImagePreprocessing = {};
  const size = str(values, 'size');
  if (size !== undefined) {
    const m = /^(\d+)(?:[x,](\d+))?$/.exec(size.trim());
    if (!m || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) < 1)) {
      throw new StudioError('BAD_REQUEST', `--size expects H or HxW in pixels (like 224 or 224x192), got '${size}'.`);
    }
    prep.size = m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
  }
  const resize = str(values, 'resize');
  if (resize !== undefined) prep.resize = oneOf('resize', resize, ['stretch', 'shorter-side-crop'] as const);
  const crop = str(values, 'crop-fraction');
  if (crop !== undefined) {
    const v = parseNumber('crop-fraction', crop);
    if (!(v > 0 && v <= 1)) throw new StudioError('BAD_REQUEST', `--crop-fraction must be above 0 and at most 1, got '${crop}'.`);
    if (prep.resize !== 'shorter-side-crop') throw new StudioError('BAD_REQUEST', '--crop-fraction applies with --resize shorter-side-crop.');
    prep.cropFraction = v;
  }
  const interpolation = str(values, 'interpolation');
  if (interpolation !== undefined) prep.interpolation = oneOf('interpolation', interpolation, ['nearest', 'bilinear', 'bicubic', 'lanczos3'] as const);
  const channels = str(values, 'channels');
  if (channels !== undefined) prep.channels = oneOf('channels', channels, ['rgb', 'bgr', 'gray'] as const);
  const layout = str(values, 'layout');
  if (layout !== undefined) prep.layout = oneOf('layout', layout, ['nchw', 'nhwc'] as const);
  const scale = str(values, 'scale');
  if (scale !== undefined) prep.scale = parseNumber('scale', scale);
  const mean = str(values, 'mean');
  if (mean !== undefined) prep.mean = parseList('mean', mean);
  const std = str(values, 'std');
  if (std !== undefined) {
    prep.std = parseList('std', std);
    if (prep.std.includes(0)) throw new StudioError('BAD_REQUEST', `--std values must not be 0, got '${std}'.`);
  }
  const dtype = str(values, 'dtype');
  if (dtype !== undefined) prep.dtype = oneOf('dtype', dtype, DATASET_DTYPES);
  return imagePreprocessingSchema.parse(prep);
}

export interface DataFlagOptions {
  /** The flag that carries DATA, for messages (default `data`). */
  dataFlag?: string;
  /** The flag that sets the sample count (default `samples`): synthetic count, or a limit for real data. */
  samplesFlag?: string;
  /** Synthetic samples when the count flag is absent (default 100). */
  defaultSyntheticSamples?: number;
}

export interface DataFlags {
  spec: DatasetSpec;
  /** Folder that relative paths in the spec resolve against. */
  baseDir: string;
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
  const limit = samples !== undefined ? { limit: samples } : {};
  if (stat.isDirectory()) {
    refuse(labels !== undefined ? ['labels'] : [], 'image folders (labels come from the class sub-folders)');
    const preprocessing = preprocessingFromFlags(values);
    return {
      spec: validated({ kind: 'images', path: file, ...(Object.keys(preprocessing).length > 0 ? { preprocessing } : {}), ...limit }),
      baseDir,
    };
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy' || ext === '.npz') {
    refuse(imageFlags, `${ext} data (preprocessing flags are for image folders)`);
    return { spec: validated({ kind: ext.slice(1), path: file, ...(labels !== undefined ? { labels: path.resolve(labels) } : {}), ...limit }), baseDir };
  }
  if (ext === '.jsonl' || ext === '.ndjson') {
    refuse([...imageFlags, ...(labels !== undefined ? ['labels'] : [])], '.jsonl data (labels go in each line\'s "label")');
    return { spec: validated({ kind: 'jsonl', path: file, ...limit }), baseDir };
  }
  if (ext === '.json') {
    refuse([...imageFlags, ...(labels !== undefined ? ['labels'] : [])], 'a dataset spec file (put them in the spec)');
    const read = await readDatasetSpecFile(file);
    if (samples !== undefined) {
      if (read.spec.kind === 'synthetic') read.spec.samples = samples;
      else read.spec.limit = Math.min(read.spec.limit ?? samples, samples);
    }
    return read;
  }
  throw new StudioError(
    'BAD_REQUEST',
    `Cannot tell what kind of data ${path.basename(file)} is: --${dataFlag} takes synthetic, a .npy, .npz, .jsonl, an image folder or a dataset spec .json.`,
  );
}
