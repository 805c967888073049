import { createHash } from 'node:crypto';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import type { DatasetIdentity } from '../../../shared/workspace.js';
import { datasetRef } from '../recipe/dataset-ref.js';
import { defaultDatasetName } from '../../../shared/experiment.js';

/**
 * Which data a figure was measured on, by content: the same files under other names are the same dataset. The
 * sha256 is the file's own for a whole one-file dataset (the hash the recipe records), else a hash over the
 * files' hashes and the sample limit; a synthetic dataset hashes its spec, since its seed and size decide it.
 */
export async function datasetIdentity(
  spec: DatasetSpec,
  baseDir: string,
  samples: number,
  name?: string,
  signal?: AbortSignal,
): Promise<DatasetIdentity> {
  const ref = await datasetRef(spec, baseDir, signal);
  const limit = 'limit' in spec ? spec.limit : undefined;
  const content = ref.files.length > 0 ? { files: ref.files.map((f) => f.sha256), limit } : ref.spec;
  const sha256 =
    ref.files.length === 1 && limit === undefined
      ? ref.files[0]!.sha256
      : createHash('sha256').update(JSON.stringify(content)).digest('hex');
  return { name: name ?? defaultDatasetName(spec), samples, sha256 };
}
