import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import type { ModelProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { externalDataBase, isExternal, resolveExternalLocation } from '../onnx/external-data.js';
import { forEachTensor } from '../onnx/walk-tensors.js';

/** sha256 of a file, streamed (multi-GB models are never held in memory for this). */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled while hashing.');
  const hash = createHash('sha256');
  try {
    await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 22 }), hash, ...(signal ? [{ signal }] : []));
  } catch (error) {
    if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled while hashing.');
    throw new StudioError('IO', `Cannot read ${file}: ${(error as Error).message}`);
  }
  return hash.digest('hex');
}

/**
 * The same hashes computed on another thread, so hashing a multi-GB model overlaps the work on it instead of
 * adding to it (the main thread is busy quantizing meanwhile). Plain JavaScript: it runs under tsx and in the
 * built engine alike.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
(async () => {
  const hashes = [];
  for (const file of workerData.files) {
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk);
    hashes.push(hash.digest('hex'));
  }
  parentPort.postMessage({ hashes });
})().catch((error) => parentPort.postMessage({ error: String(error && error.message || error) }));
`;

/** sha256 of each file, in order, on a worker thread. */
export function sha256FilesOffThread(files: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files } });
    worker.once('message', (m: { hashes?: string[]; error?: string }) => {
      void worker.terminate();
      if (m.hashes) resolve(m.hashes);
      else reject(new StudioError('IO', `Cannot hash ${files.join(', ')}: ${m.error ?? 'unknown error'}`));
    });
    worker.once('error', (error) => reject(new StudioError('IO', `Cannot hash ${files.join(', ')}: ${error.message}`)));
  });
}

/** Every file below a folder, as sorted paths relative to it with '/' separators. */
async function filesBelow(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    const entries = await fs.promises.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel);
      else if (entry.isFile()) found.push(rel);
    }
  };
  await walk(root, '');
  return found.sort();
}

/**
 * The content hash of a file, or of a folder: sha256 of its sorted `relative/path\tsha256\n` lines, so renaming,
 * adding, removing or changing any file below it changes the hash.
 */
export async function sha256Path(target: string, signal?: AbortSignal): Promise<string> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(target);
  } catch {
    throw new StudioError('IO', `No such file or folder: ${target}. Check the path.`);
  }
  if (!stat.isDirectory()) return sha256File(target, signal);
  const listing = createHash('sha256');
  for (const rel of await filesBelow(target)) {
    listing.update(`${rel}\t${await sha256File(path.join(target, rel), signal)}\n`);
  }
  return listing.digest('hex');
}

/**
 * The content hash of a model: its .onnx file, and with external data each data file it names (sorted by
 * name), so changed weights in a `.data` file change the hash too. Without external data it is the sha256 of
 * the .onnx file alone (what `sha256sum model.onnx` prints).
 */
export async function sha256Model(modelPath: string, model: ModelProto, signal?: AbortSignal): Promise<string> {
  const data = externalDataFiles(modelPath, model);
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled while hashing.');
  const [onnx, ...hashes] = await sha256FilesOffThread([modelPath, ...data]);
  return combineModelHash(modelPath, onnx!, data, hashes);
}

/** The external data files a model names, sorted (resolved inside the model's folder). */
export function externalDataFiles(modelPath: string, model: ModelProto): string[] {
  const files = new Set<string>();
  const base = externalDataBase(modelPath);
  forEachTensor(model, (tensor) => {
    if (isExternal(tensor)) files.add(resolveExternalLocation(base, tensor));
  });
  return [...files].sort();
}

function combineModelHash(modelPath: string, onnx: string, data: string[], hashes: string[]): string {
  if (data.length === 0) return onnx;
  const combined = createHash('sha256').update(`${path.basename(modelPath)}\t${onnx}\n`);
  data.forEach((file, i) => combined.update(`${path.basename(file)}\t${hashes[i]}\n`));
  return combined.digest('hex');
}
