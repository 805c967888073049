import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { create } from '@bufbuild/protobuf';
import { type ModelProto, StringStringEntryProtoSchema } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { CONSTANT_VALUE_ATTRIBUTES, constantAttributeTensor, tensorElementCount } from '../onnx/constants.js';
import { graphProblems } from '../onnx/graph.js';
import { inlineExternalData } from '../onnx/inline-external-data.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { RECIPE_METADATA_KEY } from '../quantize/quantize-model.js';
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
  signal?: AbortSignal;
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

function parseOptions<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || 'options'}: ${i.message}`)
      .join('; ');
    throw new StudioError('BAD_REQUEST', `Invalid ${what}: ${issues}.`);
  }
  return parsed.data;
}

function recordRecipe(model: ModelProto, recipe: Record<string, unknown>): void {
  const existing = model.metadataProps.find((p) => p.key === RECIPE_METADATA_KEY);
  if (existing) {
    // A variant of a variant (e.g. pruned, then quantized): keep the history, newest outermost.
    let previous: unknown = existing.value;
    try {
      previous = JSON.parse(existing.value) as unknown;
    } catch {
      // keep the raw string
    }
    existing.value = JSON.stringify({ ...recipe, previous });
  } else {
    model.metadataProps.push(
      create(StringStringEntryProtoSchema, { key: RECIPE_METADATA_KEY, value: JSON.stringify(recipe) }),
    );
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
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
    const attribute = node.attribute.find((a) => CONSTANT_VALUE_ATTRIBUTES.has(a.name));
    if (!attribute) continue;
    if (attribute.name === 'sparse_value' && attribute.sparseTensor)
      n += tensorElementCount(attribute.sparseTensor);
    else {
      try {
        n += tensorElementCount(constantAttributeTensor(attribute));
      } catch {
        // a malformed Constant counts nothing
      }
    }
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
 * Prunes a model file into a new file: validates the recipe, loads the model (external data read into memory
 * so every weight looks alike), runs the method on that private copy, checks the graph is still sound,
 * records the recipe in `metadata_props`, and saves atomically (with external data again if the input had it).
 */
export async function pruneModel(request: PruneRequest): Promise<PruneReport> {
  const started = performance.now();
  const method = pruneMethod(request.method);
  const common = parseOptions(commonPruneOptionsSchema, request.common, 'pruning options');
  const options = parseOptions(
    method.optionSchema as never,
    request.options,
    `${method.name} options`,
  ) as unknown;
  if (sameFile(request.input, request.output)) {
    throw new StudioError(
      'BAD_REQUEST',
      'The output is the input model. ONNX Studio never overwrites an input: choose another -o path.',
    );
  }
  if (!request.force && fs.existsSync(request.output)) {
    throw new StudioError(
      'BAD_REQUEST',
      `${path.resolve(request.output)} already exists. Choose another output path or pass --force to replace it.`,
    );
  }
  const loaded = await loadModel(request.input);
  await inlineExternalData(loaded.proto, loaded.dir);
  const before = countParameters(loaded.proto);
  const notes: string[] = [];
  const outcome = await method.prune({
    model: loaded.proto,
    options: options as never,
    common,
    note: (message) => notes.push(message),
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  if (request.signal?.aborted) throw new StudioError('CANCELLED', 'Pruning was cancelled.');
  const problems = graphProblems(loaded.proto.graph!);
  if (problems.length > 0) {
    throw new StudioError('INTERNAL', `Pruning produced an invalid graph: ${problems[0]}`, {
      detail: problems.join('\n'),
    });
  }
  const targetSparsity = outcome.targetSparsity ?? common.sparsity;
  recordRecipe(loaded.proto, {
    tool: 'onnx-studio',
    operation: 'prune',
    method: method.name,
    common: { ...common, sparsity: targetSparsity },
    options,
    source: path.basename(loaded.path),
  });
  const saved = await saveModel(loaded.proto, request.output, {
    force: request.force ?? false,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(loaded.externalDataBytes > 0 ? { externalData: { thresholdBytes: 1024 } } : {}),
  });
  const report: PruneReport = {
    output: saved.output,
    method: method.name,
    targetSparsity,
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
    report.gzipBytes = {
      input: await gzipSize(loaded.path, request.signal),
      output: await gzipSize(saved.output, request.signal),
    };
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
