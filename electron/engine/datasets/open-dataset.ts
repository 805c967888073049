import fs from 'node:fs';
import path from 'node:path';
import { type DatasetKind, type DatasetSpec, DATASET_KINDS, parseDatasetSpec } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import type { DatasetReader, DatasetSource, OpenContext } from './dataset-source.js';
import { imagesReader } from './image-folder-source.js';
import { jsonlReader } from './jsonl-source.js';
import { npyReader } from './npy-source.js';
import { npzReader } from './npz-source.js';
import { singleDataInput, withSpecFilledInputs } from './spec-filled-inputs.js';
import { syntheticSource } from './synthetic-source.js';

/*
 * The one entry point from a dataset spec to samples, for evaluation, calibration and benchmarks. Readers
 * are registered by kind; each spec kind's option schema lives in shared/dataset-spec.ts, so the CLI, the
 * GUI forms and recipe validation share one definition.
 */

const syntheticReader: DatasetReader<'synthetic'> = {
  kind: 'synthetic',
  summary: 'synthetic: seeded random inputs shaped from the model (--samples N --seed S, --dim NAME=VALUE)',
  async open(spec, inputs, context) {
    const samples = context.limit === undefined ? spec.samples : Math.min(spec.samples, context.limit);
    const source = syntheticSource(inputs, { samples, seed: spec.seed });
    return { ...source, samples: source.samples.bind(source), describe: source.describe.bind(source), hasLabels: false, notes: source.notes ?? [] };
  },
};

const readers = new Map<DatasetKind, DatasetReader>();

/** Adds a reader for a kind; each kind has exactly one. */
export function registerDatasetReader<K extends DatasetKind>(reader: DatasetReader<K>): void {
  if (readers.has(reader.kind)) throw new Error(`dataset reader '${reader.kind}' is registered twice`);
  readers.set(reader.kind, reader as unknown as DatasetReader);
}

/** The registered readers, in the order of DATASET_KINDS. */
export function datasetReaders(): DatasetReader[] {
  return DATASET_KINDS.flatMap((kind) => readers.get(kind) ?? []);
}

for (const reader of [syntheticReader, npyReader, npzReader, jsonlReader, imagesReader] as DatasetReader[]) {
  registerDatasetReader(reader);
}

export interface OpenDatasetOptions {
  /** Folder that relative paths in the spec are resolved against (default: the working directory). */
  baseDir?: string;
  /** Read at most this many samples (overrides the spec's `limit` when smaller). */
  limit?: number;
}

/**
 * Opens the samples a spec describes for a model with these (resolved) inputs. Names, element types and
 * shapes are checked against the model here, before any sample runs: a mismatch is a BAD_REQUEST error that
 * names the input, what the model expects and what the data has.
 */
export async function openDataset(spec: DatasetSpec, inputs: ResolvedInput[], options: OpenDatasetOptions = {}): Promise<DatasetSource> {
  const reader = readers.get(spec.kind);
  if (!reader) throw new StudioError('BAD_REQUEST', `Unknown dataset kind '${String(spec.kind)}' (known: ${[...readers.keys()].join(', ')}).`);
  const specLimit = 'limit' in spec ? spec.limit : undefined;
  const limits = [specLimit, options.limit].filter((v): v is number => v !== undefined);
  const context: OpenContext = { baseDir: path.resolve(options.baseDir ?? process.cwd()) };
  if (limits.length > 0) context.limit = Math.min(...limits);
  // A one-array file feeds the one input the input spec does not fill (audio beside a set sample rate).
  const single = spec.kind === 'npy' || spec.kind === 'images' ? singleDataInput(inputs) : undefined;
  const source = await reader.open(spec as never, single ? [single] : inputs, context);
  const absent = single ? inputs.filter((i) => i !== single) : (source.absentInputs ?? []);
  return Object.assign(withSpecFilledInputs(source, absent, inputs), { origin: { spec, baseDir: context.baseDir } });
}

/** Reads and validates a dataset spec JSON file; relative paths in it are relative to its folder. */
export async function readDatasetSpecFile(file: string): Promise<{ spec: DatasetSpec; baseDir: string }> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await fs.promises.readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StudioError('IO', `No such file: ${absolute}. Check the path.`);
    throw new StudioError('IO', `Cannot read ${absolute}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StudioError('BAD_REQUEST', `${path.basename(absolute)} is not valid JSON: ${(error as Error).message}.`);
  }
  const parsed = parseDatasetSpec(json);
  if (!parsed.ok) throw new StudioError('BAD_REQUEST', `${path.basename(absolute)} is not a valid dataset spec: ${parsed.message}.`);
  return { spec: parsed.spec, baseDir: path.dirname(absolute) };
}
