import fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { ModelProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { removeQuietly } from '../onnx/atomic-files.js';
import { constantNodeValueType, tensorElementCount } from '../onnx/constants.js';
import { parseMethodOptions, transformModel } from '../transform/transform-model.js';
import { pruneMethod } from './all-methods.js';
import {
  type PrunedLayer,
  type PruneProgress,
  type SkippedPrune,
  commonPruneOptionsSchema,
} from './prune-method.js';

export interface PruneRequest {
  input: string;
  output: string;
  method: string;
  /** Common options (see commonPruneOptionsSchema: sparsity, scope, opTypes, excludeNodes); validated here. */
  common: Record<string, unknown>;
  /** Method-specific options; validated by the method's schema. */
  options?: Record<string, unknown>;
  force?: boolean;
  /** See TransformRequest.stream. */
  stream?: boolean;
  signal?: AbortSignal;
  /** The input's content hash, when the caller already computed it (see TransformRequest). */
  sourceSha256?: string;
  onProgress?: (progress: PruneProgress) => void;
}

/**
 * The JSON of `onnx-studio prune --json`. Sizes in bytes (the .onnx file plus any external data); sparsities
 * are fractions 0..1 (of weights for `magnitude`, of output channels for `structured`).
 */
export interface PruneReport {
  output: string;
  method: string;
  targetSparsity: number;
  achievedSparsity: number;
  /** Nodes whose weights or attributes changed. */
  prunedNodes: number;
  /** Output channels removed (structured; 0 for magnitude). */
  removedChannels: number;
  inputBytes: number;
  outputBytes: number;
  /** Per layer (magnitude) or per channel group (structured): what it lost. */
  layers: PrunedLayer[];
  /** Layers or groups left alone, with the reason. */
  skipped: SkippedPrune[];
  /** Constant tensor elements in the main graph before and after. */
  parameters: { before: number; after: number };
  /** gzip sizes of the input and output files, where zeros are the win (magnitude). */
  gzipBytes?: { input: number; output: number };
  seconds: number;
  notes: string[];
}

/** Elements of every constant tensor of the main graph: initializers, sparse initializers, Constant nodes. */
export function countParameters(model: ModelProto): number {
  const graph = model.graph;
  if (!graph) return 0;
  let n = 0;
  for (const t of graph.initializer) n += tensorElementCount(t);
  for (const s of graph.sparseInitializer) n += tensorElementCount(s);
  for (const node of graph.node) {
    if (node.opType !== 'Constant') continue;
    // A malformed Constant counts nothing.
    const constant = constantNodeValueType(node);
    if (constant) n += tensorElementCount(constant);
  }
  return n;
}

/** The gzip size of a file (streamed, level 6), what a download or an app bundle would carry. */
export async function gzipSize(file: string, signal?: AbortSignal): Promise<number> {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  await pipeline(
    fs.createReadStream(file),
    zlib.createGzip({ level: 6 }),
    sink,
    ...(signal ? [{ signal }] : []),
  );
  return bytes;
}

/**
 * Prunes a model file into a new file through the shared transform pipeline (transform/transform-model.ts),
 * and measures what it removed.
 */
export async function pruneModel(request: PruneRequest): Promise<PruneReport> {
  const started = performance.now();
  const method = pruneMethod(request.method);
  const common = parseMethodOptions(commonPruneOptionsSchema, request.common, 'pruning options');
  const options = parseMethodOptions(method.optionSchema as never, request.options, `${method.name} options`) as Record<string, unknown>;
  let before = 0;
  const { outcome, loaded, saved, notes } = await transformModel(
    request,
    'Pruning',
    ({ model, note }) => {
      before = countParameters(model);
      return method.prune({
        model,
        options: options as never,
        common,
        note,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      });
    },
    (o) => ({
      kind: 'prune',
      method: method.name,
      common: { ...common, sparsity: o.targetSparsity ?? common.sparsity },
      options,
    }),
    { streams: method.streamsExternalData === true },
  );
  const report: PruneReport = {
    output: saved.output,
    method: method.name,
    targetSparsity: outcome.targetSparsity ?? common.sparsity,
    achievedSparsity: outcome.achievedSparsity,
    prunedNodes: outcome.prunedNodes,
    removedChannels: outcome.removedChannels,
    inputBytes: loaded.fileBytes + loaded.externalDataBytes,
    outputBytes: saved.outputBytes + saved.externalDataBytes,
    layers: outcome.layers,
    skipped: outcome.skipped,
    parameters: { before, after: countParameters(loaded.proto) },
    seconds: 0,
    notes,
  };
  if (outcome.measureCompressed && loaded.externalDataBytes === 0 && saved.externalDataBytes === 0) {
    // Both at once: zlib compresses on the thread pool, and one file after the other left the main thread
    // idle for most of a magnitude prune of a 33 MB model (1.8 of 4.4 s).
    try {
      const [input, output] = await Promise.all([
        gzipSize(loaded.path, request.signal),
        gzipSize(saved.output, request.signal),
      ]);
      report.gzipBytes = { input, output };
    } catch (error) {
      if (!request.signal?.aborted) throw error;
      // Cancelled while measuring: the output is already written, but a cancelled command leaves nothing.
      removeQuietly(saved.output);
      throw new StudioError('CANCELLED', 'Pruning was cancelled.');
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
