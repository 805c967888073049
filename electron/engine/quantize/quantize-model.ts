import fs from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, type ModelProto } from 'onnx-buf';
import type { SampleSource } from '../datasets/sample-source.js';
import { StudioError } from '../errors.js';
import { inlineExternalData } from '../onnx/inline-external-data.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { quantizeMethod } from './all-methods.js';
import { commonQuantizeOptionsSchema, type QuantizeProgress, type SkippedNode } from './quantize-method.js';

export interface QuantizeRequest {
  input: string;
  output: string;
  method: string;
  /** Common options (see commonQuantizeOptionsSchema); validated here. */
  common?: Record<string, unknown>;
  /** Method-specific options; validated by the method's schema. */
  options?: Record<string, unknown>;
  calibration?: SampleSource;
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: QuantizeProgress) => void;
}

/** The JSON of `onnx-studio quantize --json` (sizes in bytes: the .onnx file plus any external data). */
export interface QuantizeReport {
  output: string;
  method: string;
  inputBytes: number;
  outputBytes: number;
  quantizedNodes: number;
  skippedNodes: SkippedNode[];
  seconds: number;
  notes: string[];
}

/** Metadata key under which the recipe that made a variant is recorded in the model itself. */
export const RECIPE_METADATA_KEY = 'onnx_studio.recipe';

function parseOptions<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown, what: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'options'}: ${i.message}`).join('; ');
    throw new StudioError('BAD_REQUEST', `Invalid ${what}: ${issues}.`);
  }
  return parsed.data;
}

function recordRecipe(model: ModelProto, recipe: Record<string, unknown>): void {
  const value = JSON.stringify(recipe);
  const existing = model.metadataProps.find((p) => p.key === RECIPE_METADATA_KEY);
  if (existing) {
    // A variant of a variant: keep the history, newest last.
    const previous = JSON.parse(existing.value) as unknown;
    existing.value = JSON.stringify({ ...recipe, previous });
  } else {
    model.metadataProps.push(create(StringStringEntryProtoSchema, { key: RECIPE_METADATA_KEY, value }));
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/**
 * Quantizes a model file into a new file: validates the recipe, loads the model (external data is read
 * into memory so every weight looks alike), runs the method on that private copy, records the recipe in
 * `metadata_props`, and saves atomically (with external data again if the input had it).
 */
export async function quantizeModel(request: QuantizeRequest): Promise<QuantizeReport> {
  const started = performance.now();
  const method = quantizeMethod(request.method);
  const common = parseOptions(commonQuantizeOptionsSchema, request.common, 'quantization options');
  const options = parseOptions(method.optionSchema as never, request.options, `${method.name} options`) as unknown;
  if (method.needsCalibration && !request.calibration) {
    throw new StudioError('BAD_REQUEST', `${method.name} needs calibration data: pass --calib-data (a dataset, or 'synthetic').`);
  }
  if (sameFile(request.input, request.output)) {
    throw new StudioError('BAD_REQUEST', 'The output is the input model. ONNX Studio never overwrites an input: choose another -o path.');
  }
  const loaded = await loadModel(request.input);
  await inlineExternalData(loaded.proto, loaded.dir);
  const notes: string[] = [];
  const outcome = await method.quantize({
    model: loaded.proto,
    options: options as never,
    common,
    modelPath: loaded.path,
    note: (message) => notes.push(message),
    ...(request.calibration ? { calibration: request.calibration } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  if (request.signal?.aborted) throw new StudioError('CANCELLED', 'Quantization was cancelled.');
  recordRecipe(loaded.proto, {
    tool: 'onnx-studio',
    operation: 'quantize',
    method: method.name,
    common,
    options,
    source: path.basename(loaded.path),
    ...(request.calibration ? { calibration: request.calibration.describe() } : {}),
  });
  const saved = await saveModel(loaded.proto, request.output, {
    force: request.force ?? false,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(loaded.externalDataBytes > 0 ? { externalData: { thresholdBytes: 1024 } } : {}),
  });
  return {
    output: saved.output,
    method: method.name,
    inputBytes: loaded.fileBytes + loaded.externalDataBytes,
    outputBytes: saved.outputBytes + saved.externalDataBytes,
    quantizedNodes: outcome.quantizedNodes,
    skippedNodes: outcome.skippedNodes,
    seconds: (performance.now() - started) / 1000,
    notes,
  };
}
