import fs from 'node:fs';
import path from 'node:path';
import type { NpySpec } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import { arraySource, type NpyColumn } from './array-source.js';
import { FileRangeReader } from './byte-reader.js';
import type { DatasetReader } from './dataset-source.js';
import { oneArrayAdvice } from './spec-filled-inputs.js';

/** Turns a failure to open a data file into an IO error naming it. */
export function dataFileError(file: string, error: unknown): StudioError {
  if (error instanceof StudioError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new StudioError('IO', `No such file: ${file}. Check the path.`);
  if (code === 'EISDIR') return new StudioError('IO', `${file} is a folder, not a data file.`);
  if (code === 'EACCES' || code === 'EPERM') return new StudioError('IO', `Permission denied reading ${file}.`);
  return new StudioError('IO', `Cannot read ${file}: ${(error as Error).message}`);
}

/** Opens a regular file for reading, with errors that name it. */
export async function openDataFile(file: string): Promise<{ handle: fs.promises.FileHandle; size: number }> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (error) {
    throw dataFileError(file, error);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw dataFileError(file, { code: 'EISDIR' });
    return { handle, size: stat.size };
  } catch (error) {
    await handle.close();
    throw dataFileError(file, error);
  }
}

/** A whole `.npy` file as a column, read lazily through one file handle per pass. */
export function npyFileColumn(file: string, label = path.basename(file)): NpyColumn {
  return {
    label,
    async open() {
      const { handle, size } = await openDataFile(file);
      return new FileRangeReader(handle, 0, size, label, true);
    },
  };
}

export const npyReader: DatasetReader<'npy'> = {
  kind: 'npy',
  summary: 'FILE.npy: one array for a single-input model, first axis = samples (--labels FILE.npy)',
  async open(spec: NpySpec, inputs, context) {
    const file = path.resolve(context.baseDir, spec.path);
    const input = inputs[0];
    if (!input || inputs.length !== 1) {
      throw new StudioError(
        'BAD_REQUEST',
        `${path.basename(file)} holds one array, but the model has ${inputs.length} inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}). ` +
          `Give a .npz with one array per input, named like the inputs, or a .jsonl; or ${oneArrayAdvice(inputs, 'the inputs it does not hold')}.`,
      );
    }
    const labels = spec.labels === undefined ? undefined : npyFileColumn(path.resolve(context.baseDir, spec.labels));
    return arraySource({
      columns: [{ input, column: npyFileColumn(file) }],
      ...(labels ? { labels } : {}),
      ...(context.limit !== undefined ? { limit: context.limit } : {}),
      describe: `${spec.path}${spec.labels ? ` (labels ${spec.labels})` : ''}`,
    });
  },
};
