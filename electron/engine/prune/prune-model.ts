import fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { ModelProto } from 'onnx-buf';
import { shareText } from '../../../shared/counted.js';
import { StudioError } from '../errors.js';
import { removeQuietly } from '../onnx/atomic-files.js';
import { parameterCount } from '../inspect/inspect-model.js';
import { refuseQuantizedInput } from '../quantize/quantized-input.js';
import { checkNodeSelection, refuseUnhandledOpTypes, type SelectingMethod } from '../transform/node-selection.js';
import { parseMethodOptions, type TransformRequest, transformModel } from '../transform/transform-model.js';
import { pruneMethod } from './all-methods.js';
import {
  type PruneMethod,
  type PrunedLayer,
  type PruneOutcome,
  type PruneProgress,
  type SkippedPrune,
  commonPruneOptionsSchema,
  DEFAULT_PRUNE_OP_TYPES,
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
  /** The input, when the caller already loaded it (see TransformRequest). */
  loaded?: TransformRequest['loaded'];
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
  /** Constant tensor elements (subgraphs included, as `inspect` counts them) before and after. */
  parameters: { before: number; after: number };
  /** gzip sizes of the input and output files, where zeros are the win (magnitude). */
  gzipBytes?: { input: number; output: number };
  seconds: number;
  notes: string[];
}

/**
 * Elements of every constant tensor (initializers, sparse initializers, Constant nodes), subgraphs included:
 * counted by `inspect`'s own summary, so the two commands always report the same number for a model.
 */
export function countParameters(model: ModelProto): number {
  return model.graph ? parameterCount(model.graph) : 0;
}

/** How many skip reasons the "nothing was pruned" note quotes (the report lists them all). */
const QUOTED_SKIPS = 3;

/**
 * The first note of a prune that changed nothing: said plainly, with the first reasons, so that a variant that
 * computes exactly what the original does is not mistaken for a pruned one (the app lists notes, not skips).
 */
function nothingPruned(method: string, skipped: readonly SkippedPrune[]): string {
  const why = skipped.slice(0, QUOTED_SKIPS).map((s) => `${s.name || s.opType} (${s.opType}): ${s.reason}`);
  const more = skipped.length > QUOTED_SKIPS ? `; ${skipped.length - QUOTED_SKIPS} more in the skipped list` : '';
  return (
    `${NOTHING_PRUNED} ${method} found no layer it could prune, ${SAME_OUTPUT}.` +
    (why.length > 0
      ? ` Why: ${why.join('; ')}${more}.`
      : ' The model has no layer of the op types it prunes (see --op-types) with a constant weight.')
  );
}

/** The words every "nothing was pruned" note starts with, and what it means for the output. */
const NOTHING_PRUNED = 'Nothing was pruned:';
const SAME_OUTPUT = 'so the output computes exactly what the input does';

/**
 * The first note of a prune that had layers to prune but changed none of them (a sparsity too small for the
 * layers' sizes, or one that --round-to rounds back to every channel): in the same words as above.
 */
function prunedNone(method: string, sparsity: number, told: PruneOutcome['nothingPruned']): string {
  const { why, fix } = told ?? {
    why: `${method} at ${shareText(sparsity)} changed no weight`,
    fix: 'Raise the sparsity.',
  };
  return `${NOTHING_PRUNED} ${why}, ${SAME_OUTPUT}. ${fix}`;
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

/** How node selection names a pruning method in its checks and messages (a recipe's checks use it too). */
export function selectingPruner(method: Pick<PruneMethod, 'name'>): SelectingMethod {
  return { name: `${method.name} pruning`, verb: 'prune', handles: DEFAULT_PRUNE_OP_TYPES };
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
  const selecting = selectingPruner(method);
  refuseUnhandledOpTypes(common, selecting);
  let before = 0;
  let after = 0;
  const { outcome, loaded, saved, notes } = await transformModel(
    request,
    'Pruning',
    async ({ model, loaded, note }) => {
      refuseQuantizedInput(model, loaded.path, method.name, 'prune');
      checkNodeSelection(model, common, selecting, note);
      before = countParameters(model);
      const pruned = await method.prune({
        model,
        options: options as never,
        common,
        note,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      });
      // Counted here, not after saving: nothing changes the weights in between, and once transformModel
      // returns, the weights of a model streamed from external data can no longer be read.
      after = countParameters(model);
      return pruned;
    },
    (o) => ({
      kind: 'prune',
      method: method.name,
      common: { ...common, sparsity: o.targetSparsity ?? common.sparsity },
      options,
    }),
    { streams: method.streamsExternalData === true },
  );
  // No layer it could prune at all (a sparsity that removed nothing from prunable layers is another story).
  if (outcome.layers.length === 0) notes.unshift(nothingPruned(method.name, outcome.skipped));
  else if (outcome.prunedNodes === 0)
    notes.unshift(prunedNone(method.name, outcome.targetSparsity ?? common.sparsity, outcome.nothingPruned));
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
    parameters: { before, after },
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
