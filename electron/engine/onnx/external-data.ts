import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataLocation, type TensorProto } from 'onnx-buf';
import { externalDataPlace } from '../../../shared/model-summary.js';
import { StudioError } from '../errors.js';
import { elementCount, tensorByteLength } from './dtypes.js';

/** Where one tensor's bytes live outside the model file. */
export interface ExternalRef {
  /** Absolute, resolved path of the data file (inside the model's folder). */
  file: string;
  /** The `location` as written in the model. */
  location: string;
  offset: number;
  length: number;
}

export function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === TensorProto_DataLocation.EXTERNAL;
}

function entry(tensor: TensorProto, key: string): string | undefined {
  return tensor.externalData.find((e) => e.key === key)?.value;
}

function parseCount(tensor: TensorProto, key: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
    throw new StudioError(
      'MODEL_INVALID',
      `Tensor '${tensor.name}' has an invalid external-data ${key} '${raw}'.`,
    );
  }
  return Number(raw);
}

/** The IO error for a data file that is not where the model says: read back by `missingDataFileOf`. */
function missingDataMessage(location: string, tensorName: string, root: string): string {
  return `External data file '${location}' of tensor '${tensorName}' is missing. Keep the data file ${externalDataPlace([location])} (${root}).`;
}

/**
 * The data file an IO error's message says is missing (its `location` as the model writes it), or undefined: what
 * `serve` reads to tell a user who dropped a model without its data file which file to drop with it.
 */
export function missingDataFileOf(message: string): string | undefined {
  return /^External data file '(.+)' of tensor '.*' is missing\. Keep the data file (beside|in)/s.exec(
    message,
  )?.[1];
}

/**
 * The real folders of model files opened through a symbolic link, by the real folder of the link's own folder:
 * a data file may resolve to either. The Hugging Face cache keeps `snapshots/REV/model.onnx` and its
 * `model.onnx_data` as links into `blobs/`, beside each other there; resolving the data link leaves the model's
 * folder, but lands beside the model's own file. A link pointing anywhere else is still refused.
 */
const linkedModelFolders = new Map<string, Set<string>>();

/** Records where the model file at `modelPath` really is, when it is a link (loadModel and hashing call it). */
export function noteModelFile(modelPath: string): void {
  try {
    if (!fs.lstatSync(modelPath).isSymbolicLink()) return;
    const folder = fs.realpathSync(path.dirname(modelPath));
    const real = path.dirname(fs.realpathSync(modelPath));
    if (real === folder) return;
    linkedModelFolders.set(folder, new Set([...(linkedModelFolders.get(folder) ?? []), real]));
  } catch {
    // A model that cannot be read fails where it is read, with its own message.
  }
}

/**
 * Resolves a tensor's external-data `location` against the model's folder. A location that is absolute, or
 * that resolves (symbolic links included) outside the model's folder, is refused: a crafted model could
 * otherwise make the tool read any file on the machine (a known class of attack on ONNX tooling). The one
 * exception is a link to the folder the model file itself links into (`noteModelFile`).
 */
export function resolveExternalLocation(modelDir: string, tensor: TensorProto): string {
  const location = entry(tensor, 'location');
  if (location === undefined || location === '') {
    throw new StudioError(
      'MODEL_INVALID',
      `Tensor '${tensor.name}' is marked external but names no data file (no 'location').`,
    );
  }
  if (location.includes('\0')) {
    throw new StudioError(
      'MODEL_INVALID',
      `Tensor '${tensor.name}' has an external-data location with a NUL byte.`,
    );
  }
  const unsafe = () =>
    new StudioError(
      'MODEL_INVALID',
      `Refusing external-data location '${location}' of tensor '${tensor.name}': it points outside the model's folder. ` +
        `External data files must sit beside the model (or below its folder). Only open models from sources you trust.`,
    );
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) throw unsafe();
  const root = fs.realpathSync(modelDir);
  const resolved = path.resolve(root, location.replace(/\\/g, '/'));
  if (!isInside(root, resolved)) throw unsafe();
  let real: string;
  try {
    real = fs.realpathSync(resolved);
  } catch {
    throw new StudioError('IO', missingDataMessage(location, tensor.name, root));
  }
  const roots = [root, ...(linkedModelFolders.get(root) ?? [])];
  if (!roots.some((r) => isInside(r, real))) throw unsafe();
  return real;
}

/** Whether `candidate` lies below `root` (`..w.bin` does: only a `..` step leaves it). */
function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** The expected byte length of a tensor's data from its dims and type, or undefined for strings. */
export function expectedByteLength(tensor: TensorProto): bigint | undefined {
  if (tensor.dataType === 8) return undefined; // strings have no fixed size
  try {
    return tensorByteLength(tensor.dataType, elementCount(tensor.dims));
  } catch {
    return undefined;
  }
}

/**
 * Describes where an external tensor's bytes are and checks that the file holds them, without reading
 * them. File sizes are cached per path (`sizes`) because one data file usually holds every tensor.
 */
export function externalRef(
  modelDir: string,
  tensor: TensorProto,
  sizes = new Map<string, number>(),
): ExternalRef {
  const file = resolveExternalLocation(modelDir, tensor);
  const location = entry(tensor, 'location') as string;
  let size = sizes.get(file);
  if (size === undefined) {
    const stat = fs.statSync(file);
    if (!stat.isFile())
      throw new StudioError(
        'IO',
        `External data location '${location}' of tensor '${tensor.name}' is not a file.`,
      );
    size = stat.size;
    sizes.set(file, size);
  }
  const offset = parseCount(tensor, 'offset', entry(tensor, 'offset')) ?? 0;
  const expected = expectedByteLength(tensor);
  const declared = parseCount(tensor, 'length', entry(tensor, 'length'));
  const length = declared ?? (expected !== undefined ? Number(expected) : size - offset);
  if (declared !== undefined && expected !== undefined && BigInt(declared) !== expected) {
    throw new StudioError(
      'MODEL_INVALID',
      `Tensor '${tensor.name}' declares ${declared} bytes of external data, but its shape and type need ${expected}.`,
    );
  }
  if (offset + length > size) {
    throw new StudioError(
      'IO',
      `External data file '${location}' is too short for tensor '${tensor.name}': it needs bytes ${offset}..${offset + length} ` +
        `but the file has ${size}. The data file is truncated or belongs to another model.`,
    );
  }
  return { file, location, offset, length };
}

/** Reads an external tensor's bytes. */
/**
 * A failure to read an external data file as what it is: a problem of the input's data file (moved, deleted,
 * unreadable), not of wherever the caller was writing to. StudioErrors pass through.
 */
export function externalReadError(ref: ExternalRef, error: unknown): Error {
  if (error instanceof StudioError) return error;
  const e = error as NodeJS.ErrnoException;
  return new StudioError(
    'IO',
    `Cannot read ${ref.file}, the external data file of the model being read (${e.code ?? e.message}). Keep it ` +
      `${externalDataPlace([ref.location])}, readable, while the command runs.`,
    { detail: e.message },
  );
}

export async function readExternalBytes(ref: ExternalRef): Promise<Uint8Array> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(ref.file, 'r');
  } catch (error) {
    throw externalReadError(ref, error);
  }
  try {
    const out = Buffer.allocUnsafe(ref.length);
    let done = 0;
    while (done < ref.length) {
      const { bytesRead } = await handle.read(out, done, ref.length - done, ref.offset + done);
      if (bytesRead === 0) throw new StudioError('IO', `External data file '${ref.location}' ended early.`);
      done += bytesRead;
    }
    return out;
  } catch (error) {
    throw externalReadError(ref, error);
  } finally {
    await handle.close();
  }
}
