import type * as ort from 'onnxruntime-node';
import type { BenchData } from '../../../shared/bench.js';
import { parseDatasetSpec } from '../../../shared/dataset-spec.js';
import type { SampleSource } from '../datasets/sample-source.js';
import { syntheticSource } from '../datasets/synthetic-source.js';
import { StudioError } from '../errors.js';
import type { ResolvedInput } from '../runtime/input-specs.js';

export type Feed = Record<string, ort.Tensor>;

/**
 * The feeds a benchmark cycles through, read into memory before any timing so that no I/O or decoding
 * happens between timed runs. Returns a description for the report.
 */
export async function prepareFeeds(
  inputs: ResolvedInput[],
  data: BenchData,
  signal?: AbortSignal,
): Promise<{ feeds: Feed[]; description: string; notes: readonly string[]; synthetic: boolean }> {
  let source: SampleSource;
  let limit: number;
  let notes: readonly string[] = [];
  // Random data shaped by the resolved inputs (guessed sizes included), asked for as such or as a dataset spec.
  let synthetic = data.kind === 'synthetic';
  if (data.kind === 'synthetic') {
    // A benchmark keeps every feed in memory before timing.
    source = syntheticSource(inputs, { samples: data.samples, seed: data.seed, held: data.samples });
    limit = data.samples;
    notes = source.notes ?? [];
  } else {
    const parsed = parseDatasetSpec(data.spec);
    if (!parsed.ok) throw new StudioError('BAD_REQUEST', `Invalid dataset spec: ${parsed.message}.`);
    synthetic = parsed.spec.kind === 'synthetic';
    limit = data.maxSamples;
    // Loaded on first use: the file readers pull in the native image decoder, which a benchmark on
    // synthetic inputs should not pay for (in start-up time or in the engine's memory).
    const { openDataset } = await import('../datasets/open-dataset.js');
    const dataset = await openDataset(parsed.spec, inputs, { limit, ...(data.baseDir === undefined ? {} : { baseDir: data.baseDir }) });
    source = dataset;
    notes = dataset.notes;
  }
  const feeds: Feed[] = [];
  for await (const sample of source.samples(signal)) {
    feeds.push(sample.inputs);
    if (feeds.length >= limit) break;
  }
  if (feeds.length === 0) throw new StudioError('BAD_REQUEST', `The dataset ${source.describe()} has no samples to benchmark with.`);
  const description = data.kind === 'synthetic' ? source.describe() : `${source.describe()}; ${feeds.length} samples in memory`;
  return { feeds, description, notes, synthetic };
}
