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
 * Where a model's external data may be: what resolveExternalLocation resolves its locations against. A
 * LoadedModel is one, so what loadModel found about the model's file travels with the model (a plain folder
 * has neither allowance).
 */
export interface ExternalDataBase {
  /** Absolute folder of the .onnx file: external data locations are relative to it. */
  dir: string;
  /**
   * The real folder of the .onnx file, where it is a symbolic link into another folder: a data file reached
   * through a link may resolve there too. The Hugging Face cache keeps `snapshots/REV/model.onnx` and its
   * `model.onnx_data` as links into `blobs/`, beside each other there; resolving the data link leaves the
   * model's folder, but lands beside the model's own file. A link pointing anywhere else is still refused.
   */
  linkedDir?: string;
  /**
   * Read `\` in locations as a folder separator, as onnxruntime does only on Windows (`weights\w.bin` written
   * by an exporter there). Elsewhere such a location is refused (MODEL_INVALID), as onnxruntime cannot open it
   * there; only a reader that writes the weights under a location of its own (convert) asks for this.
   */
  windowsSeparators?: boolean;
}

/**
 * The ExternalDataBase of the model file at `modelPath` (loadModel and hashing call it): its folder, and the
 * real folder of the file where it is a link into another one.
 */
export function externalDataBase(
  modelPath: string,
  options: { windowsSeparators?: boolean } = {},
): ExternalDataBase {
  const dir = path.dirname(path.resolve(modelPath));
  const base: ExternalDataBase = { dir, ...(options.windowsSeparators ? { windowsSeparators: true } : {}) };
  try {
    if (!fs.lstatSync(modelPath).isSymbolicLink()) return base;
    const real = path.dirname(fs.realpathSync(modelPath));
    return real === fs.realpathSync(dir) ? base : { ...base, linkedDir: real };
  } catch {
    // A model that cannot be read fails where it is read, with its own message.
    return base;
  }
}

/**
 * Resolves a tensor's external-data `location` against the model's folder (`base`: a plain folder, or the
 * ExternalDataBase of a loaded model). A location that is absolute, or that resolves (symbolic links included)
 * outside the model's folder, is refused: a crafted model could otherwise make the tool read any file on the
 * machine (a known class of attack on ONNX tooling). The one exception is a link to the folder the model file
 * itself links into (ExternalDataBase.linkedDir). A `\` in a location is a separator only where onnxruntime
 * reads it as one (on Windows, or with ExternalDataBase.windowsSeparators where no file has the literal name):
 * elsewhere it is part of a file name, and a location that names a file only when read as Windows does is refused,
 * as onnxruntime could not load it.
 */
export function resolveExternalLocation(base: string | ExternalDataBase, tensor: TensorProto): string {
  const { dir, linkedDir, windowsSeparators } = typeof base === 'string' ? { dir: base } : base;
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
  const root = fs.realpathSync(dir);
  const windows = (where: string) => path.resolve(root, where.replace(/\\/g, '/'));
  const literal = path.resolve(root, location);
  // As Windows reads it, unless a file bears the literal name (`a\b.bin`): every other command reads that one.
  const resolved =
    windowsSeparators && !(isInside(root, literal) && fs.existsSync(literal)) ? windows(location) : literal;
  if (!isInside(root, resolved)) throw unsafe();
  let real: string;
  try {
    real = fs.realpathSync(resolved);
  } catch {
    if (location.includes('\\') && isInside(root, windows(location)) && fs.existsSync(windows(location))) {
      throw new StudioError('MODEL_INVALID', windowsLocationMessage(location, tensor.name, root));
    }
    throw new StudioError('IO', missingDataMessage(location, tensor.name, root));
  }
  const roots = linkedDir === undefined ? [root] : [root, linkedDir];
  if (!roots.some((r) => isInside(r, real))) throw unsafe();
  return real;
}

/**
 * A location that names its data file only when `\` is read as a folder separator, as on Windows: onnxruntime
 * here reads it as one file name and cannot load the model, so neither does any command but convert.
 */
function windowsLocationMessage(location: string, tensorName: string, root: string): string {
  const portable = location.replace(/\\/g, '/');
  return (
    `External data location '${location}' of tensor '${tensorName}' separates folders with '\\', as only Windows ` +
    `reads it: onnxruntime on this system takes it for one file name, and ${root} has no file of that name (the data ` +
    `is at ${portable}). Re-save the model with '/' in its locations: \`onnx-studio convert MODEL -o OUT.onnx ` +
    `--external-data\` does, reading them as Windows does.`
  );
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
  base: string | ExternalDataBase,
  tensor: TensorProto,
  sizes = new Map<string, number>(),
): ExternalRef {
  const file = resolveExternalLocation(base, tensor);
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
