import type { RecipeInputs } from '../../../shared/recipe.js';
import type { SampleSource } from '../datasets/sample-source.js';
import { StudioError } from '../errors.js';
import { constantBytesByType } from '../onnx/constant-bytes.js';
import { datasetRef } from '../recipe/dataset-ref.js';
import {
  checkNodeSelection,
  refuseUnhandledOpTypes,
  type SelectingMethod,
} from '../transform/node-selection.js';
import { parseMethodOptions, type TransformRequest, transformModel } from '../transform/transform-model.js';
import { quantizeMethod } from './all-methods.js';
import { IN_SUBGRAPH } from './static/qdq-plan.js';
import { refuseQuantizedInput } from './quantized-input.js';
import {
  commonQuantizeOptionsSchema,
  type QuantizeMethod,
  type QuantizeProgress,
  type SkippedNode,
} from './quantize-method.js';

export { RECIPE_METADATA_KEY } from '../../../shared/recipe.js';

export interface QuantizeRequest {
  input: string;
  output: string;
  method: string;
  /** Common options (see commonQuantizeOptionsSchema); validated here. */
  common?: Record<string, unknown>;
  /** Method-specific options; validated by the method's schema. */
  options?: Record<string, unknown>;
  calibration?: SampleSource;
  /** Input shapes used for calibration, recorded with the recipe. */
  inputs?: RecipeInputs;
  /** The input's content hash, when the caller already computed it (see TransformRequest). */
  sourceSha256?: string;
  /** The input, when the caller already loaded it (see TransformRequest). */
  loaded?: TransformRequest['loaded'];
  force?: boolean;
  /** See TransformRequest.stream. */
  stream?: boolean;
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

/** Why a run quantized no node: a result the user would otherwise take for a failure or a bug. */
function nothingQuantized(
  method: QuantizeMethod,
  skipped: readonly SkippedNode[],
  selected: readonly string[] | undefined,
): string {
  const same = 'The output is no smaller or faster than the input.';
  // Optimum's merged decoder keeps its whole decoder in an If on use_cache_branch: a user took the run for a success.
  if (skipped.length > 0 && skipped.every((s) => s.reason === IN_SUBGRAPH))
    return (
      `Nothing was quantized: every node ${method.name} could take is inside an If, Loop or Scan body, which it ` +
      "leaves in float (a merged decoder export keeps its whole decoder in an If on 'use_cache_branch'). Quantize " +
      `the model's separate exports (decoder_with_past_model.onnx, decoder_model.onnx) instead, or use int8-dynamic, ` +
      `int8-weight or int4, which quantize inside bodies. ${same}`
    );
  if (skipped.length > 0)
    return `Nothing was quantized: ${method.name} left every node it could take in float (see why in the skipped nodes). ${same}`;
  const handled = selected ?? method.opTypes;
  if (!handled)
    return `Nothing to convert: ${method.name} found no float32 node to convert in this model. ${same}`;
  // --op-types names the model's own op types: a Gemm the pre-optimization makes of a MatMul + Add is the MatMul.
  const fused =
    selected?.includes('Gemm') && !selected.includes('MatMul')
      ? " (--op-types is matched against the model's own op types: a Gemm onnxruntime makes of a MatMul and an Add counts as the MatMul)"
      : '';
  return `Nothing to quantize: ${method.name} quantizes ${handled.join(', ')} nodes${selected ? ' (--op-types)' : ''} and this model has none it can take${fused}. ${same}`;
}

/**
 * Why a quantized output is no smaller than its input, with the two sizes. For fp16, from the input's constant
 * bytes by dtype (`weightBytes`): its weights were float16 already, or its float32 ones save less halved than fp16
 * adds. Said as the case it is: a user test read the list of every possible cause as a claim about the model.
 */
export function notSmaller(
  method: string,
  inputBytes: number,
  outputBytes: number,
  weightBytes: Readonly<Record<string, number>> = {},
): string {
  const sizes = `The output is no smaller than the input (${inputBytes} -> ${outputBytes} bytes)`;
  if (method === 'fp16') {
    const [f32, f16] = [weightBytes.float32 ?? 0, weightBytes.float16 ?? 0];
    if (f16 >= f32)
      return `${sizes}: fp16 halves float32 weights only, and this model's are float16 already (${f16} bytes in float16, ${f32} in float32).`;
    return (
      `${sizes}: fp16 halves float32 weights only, and this model has ${f32} bytes of them, so halving saves ` +
      `${Math.floor(f32 / 2)} bytes, less than what fp16 adds: Casts at its float32 inputs and outputs, and any ` +
      'constant kept in float32 beside a float16 copy (see the notes).'
    );
  }
  return (
    `${sizes}: what the quantized weights save is outweighed by what quantization adds (scales, zero points, ` +
    'conversion nodes) and by the weights it left in float (see the skipped nodes). A larger model, or more of it ' +
    'quantized, gains.'
  );
}

/** A quantization method as the node-selection checks name it (node-selection.ts). */
export function selectingQuantizer(
  method: Pick<QuantizeMethod, 'name' | 'selectableOpTypes' | 'checksExclusionsItself' | 'floatByDefault'>,
): SelectingMethod {
  return {
    name: method.name,
    verb: 'quantize',
    ...(method.selectableOpTypes ? { handles: method.selectableOpTypes } : {}),
    ...(method.checksExclusionsItself ? { checksExclusionsItself: true as const } : {}),
    ...(method.floatByDefault ? { floatByDefault: method.floatByDefault } : {}),
  };
}

/**
 * Quantizes a model file into a new file: validates the recipe, loads the model (external data is read
 * into memory so every weight looks alike), runs the method on that private copy, records the recipe in
 * `metadata_props`, and saves atomically (with external data again if the input had it).
 */
export async function quantizeModel(request: QuantizeRequest): Promise<QuantizeReport> {
  const started = performance.now();
  const method = quantizeMethod(request.method);
  const common = parseMethodOptions(commonQuantizeOptionsSchema, request.common, 'quantization options');
  const options = parseMethodOptions(
    method.optionSchema as never,
    request.options,
    `${method.name} options`,
  ) as Record<string, unknown>;
  const selecting = selectingQuantizer(method);
  refuseUnhandledOpTypes(common, selecting);
  if (method.needsCalibration && !request.calibration) {
    throw new StudioError(
      'BAD_REQUEST',
      `${method.name} needs calibration data: pass --calib-data (a dataset, or 'synthetic').`,
    );
  }
  const origin = request.calibration?.origin;
  const calibrationRef = origin ? await datasetRef(origin.spec, origin.baseDir, request.signal) : undefined;
  // The input's weights by dtype, read before the method rewrites the model in place: why fp16 did not shrink it.
  let weightBytes: Record<string, number> = {};
  const { outcome, loaded, saved, notes } = await transformModel(
    request,
    'Quantization',
    ({ model, loaded, note }) => {
      refuseQuantizedInput(model, loaded.path, method.name);
      if (method.name === 'fp16' && model.graph) weightBytes = constantBytesByType(model.graph);
      checkNodeSelection(model, common, selecting, note);
      return method.quantize({
        model,
        options: options as never,
        common,
        modelPath: loaded.path,
        note,
        ...(request.calibration ? { calibration: request.calibration } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      });
    },
    () => ({
      kind: 'quantize',
      method: method.name,
      common,
      options,
      ...(calibrationRef ? { calibration: calibrationRef } : {}),
    }),
    { streams: method.streamsExternalData === true },
  );
  // What the calibration data guessed (synthetic values of integer inputs) shaped the ranges: said with them.
  if (method.needsCalibration) notes.unshift(...(request.calibration?.notes ?? []));
  if (outcome.quantizedNodes === 0)
    notes.push(nothingQuantized(method, outcome.skippedNodes, common.opTypes));
  if (request.calibration && !calibrationRef) {
    notes.push(
      'The calibration data was not opened from a dataset spec, so the recorded recipe does not name it.',
    );
  }
  const inputBytes = loaded.fileBytes + loaded.externalDataBytes;
  const outputBytes = saved.outputBytes + saved.externalDataBytes;
  // A compression that grew the file is said, not left to be read off two sizes (an fp16 model's int8 variant).
  if (outcome.quantizedNodes > 0 && outputBytes >= inputBytes) notes.push(notSmaller(method.name, inputBytes, outputBytes, weightBytes));
  return {
    output: saved.output,
    method: method.name,
    inputBytes,
    outputBytes,
    quantizedNodes: outcome.quantizedNodes,
    skippedNodes: outcome.skippedNodes,
    seconds: (performance.now() - started) / 1000,
    notes,
  };
}
