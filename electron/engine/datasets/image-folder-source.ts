import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { IMAGE_EXTENSIONS, type ImagesSpec } from '../../../shared/dataset-spec.js';
import { type ImageReading, imageReadingText } from '../../../shared/image-reading.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import type { DatasetReader, DatasetSource } from './dataset-source.js';
import { limited, throwIfAborted } from './dataset-source.js';
import { decodeImage, type ImagePlan, pixelsToTensorData, pixelTables, planImageInput } from './image-preprocess.js';
import type { Sample } from './sample-source.js';
import { oneArrayAdvice } from './spec-filled-inputs.js';

/*
 * A folder of images. With class sub-folders (`root/cat/1.jpg`, `root/dog/7.png`), the label of an image is
 * the index of its folder in the sorted folder names, as torchvision's ImageFolder does, except that folders all
 * named by numbers (0 ... 11) are sorted as numbers (torchvision's text order puts 10 and 11 before 2, and every
 * later class off by two); images further down inside a class folder belong to that class. Without sub-folders,
 * the images are unlabeled.
 * Only file names are listed up front; images are decoded while the samples are consumed, a few at a time
 * ahead of the consumer on libuv's thread pool, so decoding overlaps inference and memory stays bounded.
 */

const EXTENSIONS = new Set<string>(IMAGE_EXTENSIONS);

/** Images decoded ahead of the consumer (sharp runs them on libuv's pool, 4 threads by default). */
export function defaultDecodeConcurrency(): number {
  return Math.max(2, Math.min(8, os.availableParallelism()));
}

/** Files are kept as paths relative to the root, with their class index (-1 = unlabeled). */
export interface ImageListing {
  classes: string[];
  files: string[];
  labels: Int32Array;
  /** Images per class. */
  perClass: number[];
  skipped: number;
  /** The first few entries skipped (not images), relative to the root. */
  skippedNames: string[];
  /** Every class folder is named by a whole number, and the classes are in numeric order. */
  numericOrder: boolean;
}

/** Skipped entries named in the note; the count says how many more. */
const NAMED_SKIPPED = 3;
/** Class folders named in the class-order note. */
const NAMED_CLASSES = 5;

const NUMBER_NAME = /^\d+$/;

/**
 * Class folder names in class order: sorted as text, as torchvision does, unless every name is a whole number
 * (0 ... 11), then by value (ties, such as 7 and 07, as text).
 */
export function classOrder(names: readonly string[]): { classes: string[]; numeric: boolean } {
  const text = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (text.length === 0 || !text.every((n) => NUMBER_NAME.test(n))) return { classes: text, numeric: false };
  return { classes: text.sort((a, b) => Number(a) - Number(b)), numeric: true };
}

/**
 * The note that says which class id each folder got (the first few), and in which order (`classOrder`): the
 * accuracy rests on it matching the model's classes. Evaluation and the data check say it; calibration needs no labels.
 */
export function classOrderNote(classes: readonly string[]): string {
  const numeric = classes.length > 0 && classes.every((n) => NUMBER_NAME.test(n));
  const shown = classes.slice(0, NAMED_CLASSES).map((name, id) => `${name} → ${id}`);
  if (classes.length > NAMED_CLASSES + 1) shown.push('...');
  if (classes.length > NAMED_CLASSES) shown.push(`${classes.at(-1)} → ${classes.length - 1}`);
  const order = numeric ? 'in numeric order of their names' : 'in sorted order of their names';
  const offset =
    numeric && classes.some((name, id) => Number(name) !== id)
      ? '; the names are numbers that are not their class ids: check that the model scores the classes in this order'
      : '';
  return `class folders read as class ids ${order}: ${shown.join(', ')}${offset}`;
}

const byName = (a: fs.Dirent, b: fs.Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function readDir(dir: string): Promise<fs.Dirent[]> {
  try {
    return (await fs.promises.readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort(byName);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StudioError('IO', `No such folder: ${dir}. Check the path.`);
    if (code === 'ENOTDIR') throw new StudioError('IO', `${dir} is not a folder.`);
    throw new StudioError('IO', `Cannot list ${dir}: ${(error as Error).message}`);
  }
}

async function kindOf(dir: string, entry: fs.Dirent): Promise<'dir' | 'file' | 'other'> {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (entry.isSymbolicLink()) {
    const stat = await fs.promises.stat(path.join(dir, entry.name)).catch(() => undefined);
    if (stat?.isDirectory()) return 'dir';
    if (stat?.isFile()) return 'file';
  }
  return 'other';
}

const isImage = (name: string) => EXTENSIONS.has(path.extname(name).toLowerCase());

/** Lists the images under `root` (sorted, so the order and the labels are the same on every machine). */
export async function listImages(root: string): Promise<ImageListing> {
  const top = await readDir(root);
  const folders: string[] = [];
  const rootFiles: string[] = [];
  let skipped = 0;
  const skippedNames: string[] = [];
  const skip = (rel: string) => {
    skipped++;
    if (skippedNames.length < NAMED_SKIPPED) skippedNames.push(rel);
  };
  const rootSkipped: string[] = [];
  for (const entry of top) {
    const kind = await kindOf(root, entry);
    if (kind === 'dir') folders.push(entry.name);
    else if (kind === 'file' && isImage(entry.name)) rootFiles.push(entry.name);
    else rootSkipped.push(entry.name);
  }
  for (const name of rootSkipped) skip(name);
  const { classes, numeric } = classOrder(folders);
  const files: string[] = [];
  const labels: number[] = [];
  const perClass = classes.map(() => 0);
  const walk = async (rel: string, label: number): Promise<void> => {
    const dir = path.join(root, rel);
    for (const entry of await readDir(dir)) {
      const kind = await kindOf(dir, entry);
      const child = path.join(rel, entry.name);
      if (kind === 'dir') await walk(child, label);
      else if (kind === 'file' && isImage(entry.name)) {
        files.push(child);
        labels.push(label);
        perClass[label]!++;
      } else skip(child);
    }
  };
  for (let c = 0; c < classes.length; c++) await walk(classes[c]!, c);
  if (files.length === 0 && rootFiles.length > 0) {
    const unlabeled = new Int32Array(rootFiles.length).fill(-1);
    return { classes: [], files: rootFiles, labels: unlabeled, perClass: [], skipped, skippedNames, numericOrder: false };
  }
  for (const name of rootFiles) skip(name);
  return { classes, files, labels: Int32Array.from(labels), perClass, skipped, skippedNames, numericOrder: numeric };
}

export interface ImageFolderOptions {
  limit?: number;
  /** Images decoded ahead of the consumer (default: `defaultDecodeConcurrency()`). */
  concurrency?: number;
}

/** A DatasetSource over an image folder for a single image input. */
export async function imageFolderSource(
  root: string,
  input: ResolvedInput,
  spec: Pick<ImagesSpec, 'preprocessing' | 'path'>,
  options: ImageFolderOptions = {},
): Promise<DatasetSource & { plan: ImagePlan; imageReading: ImageReading }> {
  const { plan, reading, notes } = planImageInput(input, spec.preprocessing);
  const listing = await listImages(root);
  if (listing.files.length === 0) {
    throw new StudioError(
      'BAD_REQUEST',
      `${spec.path} holds no images (${[...EXTENSIONS].join(', ')}), neither in class sub-folders nor directly.`,
    );
  }
  const labeled = listing.classes.length > 0;
  // Folders without images keep their index (labels are folder positions), but are worth a note; evaluation
  // refuses them where they take class ids the model does not score (evaluate-model.ts).
  const empty = listing.classes.filter((_, c) => listing.perClass[c] === 0);
  if (empty.length > 0)
    notes.push(
      `class folder${empty.length > 1 ? 's' : ''} without images: ${empty.map((name) => `${name} (class ${listing.classes.indexOf(name)})`).join(', ')}`,
    );
  if (listing.skipped > 0) {
    const more = listing.skipped - listing.skippedNames.length;
    notes.push(
      `${listing.skipped} non-image entr${listing.skipped > 1 ? 'ies' : 'y'} skipped: ${listing.skippedNames.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
    );
  }
  const total = listing.files.length;
  const count = limited(total, options.limit);
  // Files are sorted by class, so a limited run takes images spread evenly over the list (every class shows
  // up) rather than the first classes only.
  const fileAt = (i: number) => (count === total ? i : Math.floor((i * total) / count));
  const concurrency = Math.max(1, options.concurrency ?? defaultDecodeConcurrency());
  const tables = pixelTables(plan);

  const load = async (index: number): Promise<ort.Tensor> => {
    const rel = listing.files[fileAt(index)]!;
    const { pixels, channels } = await decodeImage(path.join(root, rel), plan, path.join(spec.path, rel));
    const data = pixelsToTensorData(pixels, channels, plan, tables);
    return new ort.Tensor(plan.dtype, data as ort.Tensor.DataType, plan.dims);
  };

  return {
    plan,
    imageReading: reading,
    count,
    hasLabels: labeled,
    ...(labeled ? { classNames: listing.classes } : {}),
    ...(empty.length > 0 ? { emptyClasses: empty } : {}),
    notes,
    describe: () =>
      `${spec.path} (${listing.files.length} images${labeled ? ` in ${listing.classes.length} classes` : ', unlabeled'}; ${imageReadingText(reading)})`,
    // The labels come from the listing: no image is decoded.
    ...(labeled
      ? {
          async *labels(signal?: AbortSignal): AsyncIterable<number> {
            for (let index = 0; index < count; index++) {
              throwIfAborted(signal);
              yield listing.labels[fileAt(index)]!;
            }
          },
        }
      : {}),
    async *samples(signal?: AbortSignal): AsyncIterable<Sample> {
      // An ordered window of decodes in flight. Each promise gets a no-op catch so a failure is reported when
      // its turn comes (in order), not as an unhandled rejection while an earlier sample is still running.
      const window: Promise<ort.Tensor>[] = [];
      let next = 0;
      const startNext = () => {
        const promise = load(next++);
        promise.catch(() => undefined);
        window.push(promise);
      };
      while (window.length < concurrency && next < count) startNext();
      for (let index = 0; index < count; index++) {
        throwIfAborted(signal);
        const tensor = await window.shift()!;
        if (next < count) startNext();
        const sample: Sample = { index, inputs: { [input.name]: tensor } };
        if (labeled) sample.label = listing.labels[fileAt(index)]!;
        yield sample;
      }
    },
  };
}

export const imagesReader: DatasetReader<'images'> = {
  kind: 'images',
  summary:
    'a folder of images in class sub-folders (label = index of the sorted folder names, numeric when all are numbers), with preprocessing',
  async open(spec, inputs, context) {
    const input = inputs[0];
    if (!input || inputs.length !== 1) {
      throw new StudioError(
        'BAD_REQUEST',
        `Image folders feed one image input, but the model has ${inputs.length} inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}). Use .npz or .jsonl data, or ${oneArrayAdvice(inputs, 'the other inputs')}.`,
      );
    }
    return imageFolderSource(path.resolve(context.baseDir, spec.path), input, spec, context.limit !== undefined ? { limit: context.limit } : {});
  },
};
