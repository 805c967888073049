/**
 * The one pipeline every model transform goes through (quantize and prune alike):
 * validate the request -> load (external data read in, so every weight looks alike) -> apply the method to
 * this private copy -> check the graph is still sound -> record the recipe -> save atomically (with external
 * data again if the input had it). Methods only rewrite a model; nothing else here differs between them.
 *
 * For methods that can (`streams`), a model with external data is not read in: its weights are streamed
 * (onnx/streamed-weights.ts), read one at a time when the method asks and written to the output as they go,
 * so memory holds the graph and a few tensors, not the whole model. The output is the same bytes either way.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelProto } from 'onnx-buf';
import type { RecipeInputs, TransformStep } from '../../../shared/recipe.js';
import { StudioError } from '../errors.js';
import { graphProblems } from '../onnx/graph-index.js';
import { inlineExternalData } from '../onnx/inline-external-data.js';
import { type LoadedModel, loadModel } from '../onnx/load-model.js';
import { MAX_PROTO_BYTES, saveModel, unusedDataNote, type SaveModelResult } from '../onnx/save-model.js';
import { StreamedWeights } from '../onnx/streamed-weights.js';
import { checkOutputPath, refuseOverwritingInput } from '../onnx/output-guard.js';
import { outputExists } from '../onnx/atomic-files.js';
import { sha256Model } from '../recipe/file-hash.js';
import { extendRecipe, readRecordedRecipe, writeRecipe } from '../recipe/recorded-recipe.js';

export interface TransformRequest {
  input: string;
  output: string;
  force?: boolean;
  signal?: AbortSignal;
  /** Input shapes the step used (calibration), recorded with the recipe. */
  inputs?: RecipeInputs;
  /** The input's content hash when the caller has just computed it (`run` checks its source first). */
  sourceSha256?: string;
  /**
   * The input as the caller has just loaded it (`run` loads its source to check it first), used instead of
   * loading it again. The transform changes it: the caller must not use it afterwards.
   */
  loaded?: LoadedModel;
  /**
   * Stream external weights when the method can (default true). False reads them all into memory first:
   * the in-memory path, which tests and benchmarks compare the streaming one against.
   */
  stream?: boolean;
}

export interface TransformContext {
  model: ModelProto;
  loaded: LoadedModel;
  note: (message: string) => void;
}

export interface TransformResult<O> {
  outcome: O;
  loaded: LoadedModel;
  saved: SaveModelResult;
  notes: string[];
}

/**
 * Runs `apply` on a private copy of the input model and saves the result with its recipe. `step(outcome)`
 * gives the step to record (a method may settle an option, e.g. an N:M pattern fixes the sparsity).
 */
export async function transformModel<O>(
  request: TransformRequest,
  verb: 'Quantization' | 'Pruning',
  apply: (context: TransformContext) => Promise<O>,
  step: (outcome: O) => TransformStep,
  capabilities: { streams?: boolean } = {},
): Promise<TransformResult<O>> {
  checkOutputPath(request.input, request.output);
  if (!request.force && fs.existsSync(request.output)) {
    throw outputExists(path.resolve(request.output));
  }
  const cancelled = () => new StudioError('CANCELLED', `${verb} was cancelled.`);
  if (request.signal?.aborted) throw cancelled();
  if (request.loaded && request.loaded.path !== path.resolve(request.input))
    throw new StudioError(
      'INTERNAL',
      `The model handed over is ${request.loaded.path}, not ${request.input}.`,
    );
  const loaded = request.loaded ?? (await loadModel(request.input));
  const notes: string[] = [];
  const recorded = readRecordedRecipe(loaded.proto);
  if (recorded.kind === 'unreadable') {
    notes.push(
      `The input's recorded recipe could not be used (${recorded.reason}); the new recipe starts from this model.`,
    );
  }
  // Hashed on another thread while the method works; only needed when the recipe is written.
  const sourceHash =
    recorded.kind === 'recipe'
      ? undefined
      : request.sourceSha256 !== undefined
        ? Promise.resolve(request.sourceSha256)
        : sha256Model(loaded.path, loaded.proto, request.signal);
  sourceHash?.catch(() => {});
  if (loaded.fileBytes + loaded.externalDataBytes > MAX_PROTO_BYTES) {
    notes.push(
      `The input is ${gib(loaded.fileBytes + loaded.externalDataBytes)} GiB with its external data, over the 2 GiB limit ` +
        `of one ONNX file: the output keeps its weights in an external data file too (${path.basename(request.output)}.data).`,
    );
  }
  refuseOverwritingInput(loaded, request.output);
  const streamed =
    capabilities.streams && request.stream !== false && loaded.externalDataBytes > 0
      ? new StreamedWeights(loaded.proto, loaded, path.resolve(request.output))
      : undefined;
  try {
    if (!streamed) await inlineExternalData(loaded.proto, loaded);
    return await transformLoaded(request, verb, loaded, notes, recorded, sourceHash, apply, step, streamed);
  } finally {
    streamed?.close();
  }
}

async function transformLoaded<O>(
  request: TransformRequest,
  verb: 'Quantization' | 'Pruning',
  loaded: LoadedModel,
  notes: string[],
  recorded: ReturnType<typeof readRecordedRecipe>,
  sourceHash: Promise<string> | undefined,
  apply: (context: TransformContext) => Promise<O>,
  step: (outcome: O) => TransformStep,
  streamed: StreamedWeights | undefined,
): Promise<TransformResult<O>> {
  const cancelled = () => new StudioError('CANCELLED', `${verb} was cancelled.`);
  // A graph that is already broken (a node input or graph output nothing produces, a name defined twice) is
  // the input's fault; checked here so the check after `apply` only ever catches our own mistakes.
  const inputProblems = graphProblems(loaded.proto.graph!);
  if (inputProblems.length > 0) {
    throw new StudioError(
      'MODEL_INVALID',
      `${loaded.path} is not a valid ONNX model: ${inputProblems[0]} onnxruntime cannot load such a graph either. ` +
        `The file is corrupt or was exported wrongly: re-export or re-download it, or check it with onnx.checker.check_model.`,
      { detail: inputProblems.join('\n') },
    );
  }
  const context: TransformContext = { model: loaded.proto, loaded, note: (m) => notes.push(m) };
  const outcome = streamed ? await streamed.run(() => apply(context)) : await apply(context);
  if (request.signal?.aborted) throw cancelled();
  const problems = graphProblems(loaded.proto.graph!);
  if (problems.length > 0) {
    throw new StudioError('INTERNAL', `${verb} produced an invalid graph: ${problems[0]}`, {
      detail: problems.join('\n'),
    });
  }
  const source = sourceHash ? { name: path.basename(loaded.path), sha256: await sourceHash } : undefined;
  writeRecipe(loaded.proto, extendRecipe(recorded, source, step(outcome), request.inputs));
  const saved = await saveModel(loaded.proto, request.output, {
    force: request.force ?? false,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(loaded.externalDataBytes > 0 ? { externalData: { thresholdBytes: 1024 } } : {}),
    ...(streamed ? { externalSources: streamed.sources() } : {}),
  });
  if (saved.unusedDataFile) notes.push(unusedDataNote(saved.unusedDataFile));
  return { outcome, loaded, saved, notes };
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}

/** Validates a method's options with its schema; a bad value is a BAD_REQUEST naming it. */
export function parseMethodOptions<T>(
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
