import fs from 'node:fs';
import path from 'node:path';
import { type ModelProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { decodeModel } from './decode-model.js';
import { ProgressiveDecode } from './progressive-decode.js';
import { readWholeFile } from './read-whole-file.js';
import { sniffFileType } from './sniff-file-type.js';
import { validateModel } from './validate-model.js';
import { externalDataBase, type ExternalDataBase } from './external-data.js';

/**
 * A parsed model together with where it came from: external data is resolved against it (an ExternalDataBase:
 * `dir`, and where its file is a link, the folder it links into), never against a folder alone.
 */
export interface LoadedModel extends ExternalDataBase {
  proto: ModelProto;
  /** Absolute path of the .onnx file. */
  path: string;
  /** Absolute folder of the .onnx file: external data locations are relative to it. */
  dir: string;
  /** Size of the .onnx file in bytes. */
  fileBytes: number;
  /** Bytes of tensor data that live in external data files. */
  externalDataBytes: number;
}

/** A protobuf message cannot exceed 2 GiB, so no valid .onnx file can either. */
const MAX_PROTO_BYTES = 2 ** 31 - 1;

function ioError(file: string, error: NodeJS.ErrnoException): StudioError {
  switch (error.code) {
    case 'ENOENT':
      return new StudioError('IO', `No such file: ${file}. Check the path.`);
    case 'EISDIR':
      return new StudioError('IO', `${file} is a folder. Choose the .onnx file inside it.`);
    case 'EACCES':
    case 'EPERM':
      return new StudioError('IO', `Permission denied reading ${file}. Check the file's permissions.`);
    default:
      return new StudioError('IO', `Cannot read ${file}: ${error.message}`);
  }
}

/**
 * Reads, parses and validates an ONNX model. Every problem with the file becomes a StudioError: `IO` when it
 * cannot be read, `MODEL_PARSE` when it is not an ONNX protobuf, `MODEL_INVALID` when it parses but is not a
 * usable model (no graph, a cycle, tensor data that does not match its shape, unsafe external data).
 * Nothing is allocated from sizes the file claims, so absurd dims cannot exhaust memory. `windowsSeparators`: read
 * `\` in external-data locations as Windows does (ExternalDataBase), for a caller that re-saves the weights.
 */
export async function loadModel(
  file: string,
  options: { windowsSeparators?: boolean } = {},
): Promise<LoadedModel> {
  const absolute = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(absolute);
  } catch (error) {
    throw ioError(absolute, error as NodeJS.ErrnoException);
  }
  if (stat.isDirectory()) throw ioError(absolute, { code: 'EISDIR' } as NodeJS.ErrnoException);
  if (!stat.isFile()) throw new StudioError('IO', `${absolute} is not a regular file.`);
  if (stat.size === 0)
    throw new StudioError('MODEL_PARSE', `${absolute} is empty (0 bytes), not an ONNX model.`);
  if (stat.size > MAX_PROTO_BYTES) {
    throw new StudioError(
      'MODEL_PARSE',
      `${absolute} is ${(stat.size / 2 ** 30).toFixed(1)} GiB; an ONNX file cannot exceed 2 GiB (larger models keep ` +
        `their weights in external data files), so this is not a valid ONNX model.`,
    );
  }
  let bytes: Buffer;
  let decoding: ProgressiveDecode | undefined;
  try {
    bytes = await readWholeFile(absolute, stat.size, (buffer, filled) => {
      // Decoded as it arrives, once the head shows no other kind of file (parseModelBytes says which).
      if (
        !decoding &&
        filled >= Math.min(SNIFF_BYTES, stat.size) &&
        !sniffFileType(buffer.subarray(0, SNIFF_BYTES))
      )
        decoding = new ProgressiveDecode(buffer);
      decoding?.advance(filled);
    });
  } catch (error) {
    decoding?.abandon();
    throw ioError(absolute, error as NodeJS.ErrnoException);
  }
  const proto = parseModelBytes(bytes, absolute, decoding);
  const base = externalDataBase(absolute, options);
  const { externalDataBytes } = validateModel(proto, base, absolute);
  return { proto, path: absolute, ...base, fileBytes: stat.size, externalDataBytes };
}

/** How many leading bytes tell other kinds of files (archives, images, ...) from a model. */
const SNIFF_BYTES = 64;

/**
 * Parses bytes as a ModelProto, turning decoder failures into a MODEL_PARSE error that names the file.
 * `decoding`: the same bytes' decoding so far, when they were decoded as they were read.
 */
export function parseModelBytes(bytes: Uint8Array, label: string, decoding?: ProgressiveDecode): ModelProto {
  const sniffed = sniffFileType(bytes.subarray(0, SNIFF_BYTES));
  if (sniffed) {
    throw new StudioError(
      'MODEL_PARSE',
      `${label} is ${sniffed.name}, not an ONNX model.${sniffed.hint ? ` ${sniffed.hint}` : ' Choose a .onnx file.'}`,
    );
  }
  let proto: ModelProto;
  try {
    proto = decoding ? decoding.finish(bytes.length) : decodeModel(bytes);
  } catch (error) {
    // RangeError covers decoder recursion on hostile nesting; every decoder error means the same thing here.
    const reason = error instanceof Error ? error.message : String(error);
    throw new StudioError(
      'MODEL_PARSE',
      `${label} is not a valid ONNX model: the protobuf data is corrupt or truncated (${reason}). ` +
        `Re-export or re-download the model.`,
      { detail: reason },
    );
  }
  if (!proto.graph && proto.irVersion === 0n && proto.opsetImport.length === 0) {
    throw new StudioError(
      'MODEL_PARSE',
      `${label} is not an ONNX model (no graph, IR version or opset found in it).`,
    );
  }
  return proto;
}
