import path from 'node:path';
import type { NpzSpec } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import { arraySource, type NpyColumn } from './array-source.js';
import { FileRangeReader, InflateReader } from './byte-reader.js';
import type { DatasetReader } from './dataset-source.js';
import { checkInputNames } from './input-match.js';
import { npyFileColumn, openDataFile } from './npy-source.js';
import { readZipDirectory, type ZipEntry } from './zip-directory.js';

/** Array names inside a `.npz` that hold labels rather than an input. */
const LABEL_NAMES = ['labels', 'label'];

/** A zip entry as a column: stored entries are read in place, deflated ones inflated as a stream. */
function entryColumn(file: string, entry: ZipEntry, label: string): NpyColumn {
  return {
    label,
    async open() {
      if (entry.method === 8) {
        return new InflateReader(file, entry.dataOffset, entry.compressedSize, entry.uncompressedSize, entry.crc32, label);
      }
      const { handle } = await openDataFile(file);
      return new FileRangeReader(handle, entry.dataOffset, entry.compressedSize, label, true);
    },
  };
}

export const npzReader: DatasetReader<'npz'> = {
  kind: 'npz',
  summary: 'FILE.npz: one array per model input, named like the inputs (labels in `labels` or --labels)',
  async open(spec: NpzSpec, inputs, context) {
    const file = path.resolve(context.baseDir, spec.path);
    const base = path.basename(file);
    const { handle, size } = await openDataFile(file);
    let entries: ZipEntry[];
    try {
      entries = await readZipDirectory(handle, size, base);
    } finally {
      await handle.close();
    }
    const arrays = new Map<string, ZipEntry>();
    for (const entry of entries) {
      if (entry.name.endsWith('/')) continue;
      arrays.set(entry.name.replace(/\.npy$/, ''), entry);
    }
    const inputNames = new Set(inputs.map((i) => i.name));
    const labelName = LABEL_NAMES.find((n) => arrays.has(n) && !inputNames.has(n));
    if (labelName && spec.labels !== undefined) {
      throw new StudioError('BAD_REQUEST', `${base} holds a '${labelName}' array and --labels was given too; use one or the other.`);
    }
    const dataNames = [...arrays.keys()].filter((n) => n !== labelName);
    const notes: string[] = [];
    let mapping: Map<string, string>;
    const only = inputs[0];
    if (inputs.length === 1 && only && dataNames.length === 1 && dataNames[0] !== only.name) {
      // np.savez(path, x) names the array arr_0; with one input and one array there is nothing to get wrong.
      notes.push(`${base}: array '${dataNames[0]}' feeds input '${only.name}'`);
      mapping = new Map([[only.name, dataNames[0]!]]);
    } else {
      checkInputNames(inputs, dataNames, base, { specFills: true });
      mapping = new Map(inputs.filter((i) => arrays.has(i.name)).map((i) => [i.name, i.name]));
    }
    // Inputs the archive has no array for, which the input spec's values fill (checkInputNames allowed them).
    const absentInputs = inputs.filter((i) => !mapping.has(i.name));
    const columns = inputs.filter((i) => mapping.has(i.name)).map((input) => {
      const name = mapping.get(input.name)!;
      return { input, column: entryColumn(file, arrays.get(name)!, `${base}: ${name}`) };
    });
    const labels = labelName
      ? entryColumn(file, arrays.get(labelName)!, `${base}: ${labelName}`)
      : spec.labels !== undefined
        ? npyFileColumn(path.resolve(context.baseDir, spec.labels))
        : undefined;
    return arraySource({
      columns,
      ...(labels ? { labels } : {}),
      ...(context.limit !== undefined ? { limit: context.limit } : {}),
      describe: `${spec.path} (${dataNames.join(', ')}${labelName ? `; labels '${labelName}'` : spec.labels ? `; labels ${spec.labels}` : ''})`,
      notes,
      absentInputs,
    });
  },
};
