import fs from 'node:fs';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema } from 'onnx-buf';
import { dataFileOf } from '../../../shared/data-file-name.js';
import { StudioError } from '../errors.js';
import { isExternal, resolveExternalLocation } from './external-data.js';
import type { LoadedModel } from './load-model.js';
import { forEachTensor } from './walk-tensors.js';
import { writeFailure } from './atomic-files.js';

/*
 * The checks every command runs before it writes a model made from an input: the input is never written
 * over (its .onnx file, nor any of its external data files, which a model's output or the output's
 * `OUT.data` could otherwise replace), and the output names a file, not a folder. Run before the work,
 * so that a wrong -o fails at once and not after minutes of quantizing.
 */

/**
 * Whether two paths name the same file: by device and inode when both exist (symbolic and hard links, and the
 * case-insensitive names of macOS and Windows, all lead to one inode), else by their resolved paths.
 */
export function sameFile(a: string, b: string): boolean {
  try {
    const [sa, sb] = [fs.statSync(a, { bigint: true }), fs.statSync(b, { bigint: true })];
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

const NEVER_OVERWRITES = 'ONNX Studio never overwrites an input';

/** Refuses an output that is the input file itself or an existing folder (checked before loading). */
export function checkOutputPath(input: string, output: string): void {
  if (sameFile(input, output)) {
    throw new StudioError(
      'BAD_REQUEST',
      `The output is the input model. ${NEVER_OVERWRITES}: choose another -o path.`,
    );
  }
  refuseFolderOutput(output);
  refuseUnwritableFolder(output);
}

/**
 * Refuses, before any work, an output whose folder is missing or cannot be written (a read-only file system):
 * the big-model test's 1.09 GiB model was loaded whole before the write failed. Permission bits are only a
 * hint here (root ignores them); the write itself still says what went wrong.
 */
function refuseUnwritableFolder(output: string): void {
  const folder = path.dirname(path.resolve(output));
  try {
    fs.accessSync(folder, fs.constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new StudioError('IO', `The output folder ${folder} does not exist.`);
    throw writeFailure(error, path.resolve(output));
  }
}

/**
 * Refuses writing any of `outputs` over a file the command reads (`inputs`: the paths given on its command line,
 * a dataset spec or labels file among them), `--force` or not. `what` names each output as the user gave it.
 */
export function refuseOutputsOverInputs(
  outputs: readonly { path: string; what: string }[],
  inputs: readonly { path: string; what: string }[],
): void {
  for (const output of outputs)
    for (const input of inputs)
      if (fs.existsSync(input.path) && fs.statSync(input.path).isFile() && sameFile(output.path, input.path))
        throw new StudioError(
          'BAD_REQUEST',
          `${output.what} (${path.resolve(output.path)}) is ${input.what}. ${NEVER_OVERWRITES}: choose another -o path.`,
        );
}

/** Refuses an output path that is an existing folder (a rename onto it would fail half-way). */
export function refuseFolderOutput(output: string): void {
  let isFolder = false;
  try {
    isFolder = fs.statSync(output).isDirectory();
  } catch {
    // Nothing there, or a path the file system refuses: writing it will say which.
  }
  if (isFolder) {
    throw new StudioError(
      'BAD_REQUEST',
      `${path.resolve(output)} is a folder. Give the output a file name, such as ${path.join(output, 'model.onnx')}.`,
    );
  }
}

/**
 * Refuses an output that would replace any file of the loaded input: its .onnx file, or one of its external
 * data files, either as the output itself or as the output's data file (`OUT.data`, which a save with
 * external data writes). Call it before the input's external data is read in, while its tensors still say
 * where their bytes live.
 */
export function refuseOverwritingInput(
  loaded: LoadedModel,
  output: string,
  options: { writesDataFile?: boolean } = {},
): void {
  checkOutputPath(loaded.path, output);
  if (loaded.externalDataBytes === 0) return;
  // An output saved whole (convert without --external-data) writes no OUT.data, so that name is no conflict.
  const writesDataFile = options.writesDataFile ?? true;
  const targets = [path.resolve(output), ...(writesDataFile ? [dataFileOf(path.resolve(output))] : [])];
  const seen = new Set<string>();
  forEachTensor(loaded.proto, (tensor) => {
    if (!isExternal(tensor)) return;
    const file = resolveExternalLocation(loaded, tensor);
    if (seen.has(file)) return;
    seen.add(file);
    const [asModel, asData = false] = targets.map((target) => sameFile(file, target));
    if (asModel) {
      throw new StudioError(
        'BAD_REQUEST',
        `The output ${targets[0]} is the input's external data file. ${NEVER_OVERWRITES}: choose another -o path.`,
      );
    }
    if (asData) {
      throw new StudioError(
        'BAD_REQUEST',
        `The output's external data file ${targets[1]} is the input's own data file. ${NEVER_OVERWRITES}: choose ` +
          `another -o name or folder.`,
      );
    }
  });
}

const SEARCH_CHUNK = 16 << 20;

/**
 * Whether `file` holds a tensor's external-data entry `location` = `name` exactly: the StringStringEntryProto
 * {key: "location", value: name} as every ONNX writer encodes it (key, then value). A bare search for the name
 * would also match a longer location (`xa.onnx.data`) or a doc string that mentions it.
 */
function fileHasLocation(file: string, name: string): boolean {
  return fileContains(
    file,
    toBinary(
      StringStringEntryProtoSchema,
      create(StringStringEntryProtoSchema, { key: 'location', value: name }),
    ),
  );
}

/** The bytes of an external-data entry's key, up to its value's tag: `location` = (any file). */
const ANY_LOCATION = (() => {
  const entry = toBinary(
    StringStringEntryProtoSchema,
    create(StringStringEntryProtoSchema, { key: 'location', value: 'x' }),
  );
  return entry.subarray(0, entry.length - 2); // less the value's length byte and its one character
})();

/**
 * Whether the model `file` may keep tensors in external data: it holds a `location` entry as every ONNX writer
 * encodes one. Read from the file, not guessed from a `MODEL.onnx.data` beside it (a model may name any data
 * file, and a stale one may sit beside a model that no longer uses it). A doc string containing those bytes
 * reads as "may", which only costs a re-save where a copy would do.
 */
export function fileMayHaveExternalData(file: string): boolean {
  return fileContains(file, ANY_LOCATION);
}

function fileContains(file: string, needle: Uint8Array): boolean {
  const chunk = Buffer.allocUnsafe(SEARCH_CHUNK + needle.length);
  const fd = fs.openSync(file, 'r');
  try {
    let kept = 0;
    for (;;) {
      const n = fs.readSync(fd, chunk, kept, SEARCH_CHUNK, null);
      if (n === 0) return false;
      const filled = kept + n;
      if (chunk.subarray(0, filled).indexOf(needle) >= 0) return true;
      // Keep the tail that could be the start of an entry split across two reads.
      kept = Math.min(needle.length - 1, filled);
      chunk.copy(chunk, 0, filled - kept, filled);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The data file (`OUT.data`) that the model about to be replaced at `target` keeps its weights in, when there
 * is one: replacing `target` with a model that keeps its weights inline leaves it unused by `target`. It is
 * not deleted (another model, a copy of the old one, may use it too): the caller says it is no longer used.
 */
export function dataFileOfReplacedModel(target: string): string | undefined {
  const dataFile = dataFileOf(target);
  try {
    if (!fs.statSync(target).isFile() || !fs.statSync(dataFile).isFile()) return undefined;
    return fileHasLocation(target, path.basename(dataFile)) ? dataFile : undefined;
  } catch {
    return undefined;
  }
}
