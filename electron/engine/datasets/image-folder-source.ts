import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { IMAGE_EXTENSIONS, type ImagesSpec } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import type { DatasetReader, DatasetSource } from './dataset-source.js';
import { limited, throwIfAborted } from './dataset-source.js';
import { decodeImage, describePlan, type ImagePlan, pixelsToTensorData, pixelTables, planImageInput } from './image-preprocess.js';
import type { Sample } from './sample-source.js';
import { oneArrayAdvice } from './spec-filled-inputs.js';

/*
 * A folder of images. With class sub-folders (`root/cat/1.jpg`, `root/dog/7.png`), the label of an image is
 * the index of its folder in the sorted folder names, as torchvision's ImageFolder does; images further down
 * inside a class folder belong to that class. Without sub-folders, the images are unlabeled.
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
  const classes: string[] = [];
  const rootFiles: string[] = [];
  let skipped = 0;
  for (const entry of top) {
    const kind = await kindOf(root, entry);
    if (kind === 'dir') classes.push(entry.name);
    else if (kind === 'file' && isImage(entry.name)) rootFiles.push(entry.name);
    else skipped++;
  }
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
      } else skipped++;
    }
  };
  for (let c = 0; c < classes.length; c++) await walk(classes[c]!, c);
  if (files.length === 0 && rootFiles.length > 0) {
    return { classes: [], files: rootFiles, labels: new Int32Array(rootFiles.length).fill(-1), perClass: [], skipped };
  }
  return { classes, files, labels: Int32Array.from(labels), perClass, skipped: skipped + rootFiles.length };
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
): Promise<DatasetSource & { plan: ImagePlan }> {
  const { plan, notes } = planImageInput(input, spec.preprocessing);
  const listing = await listImages(root);
  if (listing.files.length === 0) {
    throw new StudioError(
      'BAD_REQUEST',
      `${spec.path} holds no images (${[...EXTENSIONS].join(', ')}), neither in class sub-folders nor directly.`,
    );
  }
  const labeled = listing.classes.length > 0;
  // Folders without images keep their index (labels are folder positions), but are worth a note.
  const empty = listing.classes.filter((_, c) => listing.perClass[c] === 0);
  if (empty.length > 0) notes.push(`class folder${empty.length > 1 ? 's' : ''} without images: ${empty.join(', ')}`);
  if (listing.skipped > 0) notes.push(`${listing.skipped} non-image entr${listing.skipped > 1 ? 'ies' : 'y'} skipped`);
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
    count,
    hasLabels: labeled,
    ...(labeled ? { classNames: listing.classes } : {}),
    notes,
    describe: () =>
      `${spec.path} (${listing.files.length} images${labeled ? ` in ${listing.classes.length} classes` : ', unlabeled'}; ${describePlan(plan)})`,
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
  summary: 'a folder of images in class sub-folders (label = index of the sorted folder names), with preprocessing',
  async open(spec, inputs, context) {
    const input = inputs[0];
    if (!input || inputs.length !== 1) {
      throw new StudioError(
        'BAD_REQUEST',
        `Image folders feed one image input, but the model has ${inputs.length} inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}). Use .npz or .jsonl data, or ${oneArrayAdvice(inputs, "set the values of the other inputs (--value NAME=V, a recipe's inputs.values, the app's Model view)")}.`,
      );
    }
    return imageFolderSource(path.resolve(context.baseDir, spec.path), input, spec, context.limit !== undefined ? { limit: context.limit } : {});
  },
};
