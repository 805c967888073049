import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ModelProto, ModelProtoSchema } from 'onnx-buf';
import type * as ort from 'onnxruntime-node';
import { StudioError } from '../../errors.js';
import { subgraphsOf } from '../../onnx/graph.js';
import { serializeToBytes } from '../../onnx/proto-stream-writer.js';
import { saveModel } from '../../onnx/save-model.js';
import { tensorByteSize } from '../../onnx/tensor-codec.js';
import { createSession, type SessionSettings } from '../../runtime/create-session.js';

/**
 * From this many bytes of tensor data up, a model is handed to onnxruntime as a file whose weights are
 * external data, which onnxruntime maps instead of copying. Measured on this repo's MLPs (bench session
 * alone): 800 MB of weights 3.21 GB peak and 2.7 s in memory against 1.66 GB and 1.7 s through the file;
 * 100 MB 0.41 against 0.29 GB in the same time. Below it the disk is not worth it.
 */
export const IN_MEMORY_LIMIT_BYTES = 64 * 2 ** 20;
/** When the temporary file cannot be written, models up to this size still go in memory (protobuf's 2 GiB, with room). */
const FALLBACK_IN_MEMORY_BYTES = 1.5 * 2 ** 30;

/** Bytes of tensor data in the model (initializers, sparse initializers, Constant nodes, subgraphs included). */
export function modelTensorBytes(model: ModelProto): number {
  let bytes = 0;
  const visit = (graph: NonNullable<ModelProto['graph']>): void => {
    for (const t of graph.initializer) bytes += tensorByteSize(t);
    for (const s of graph.sparseInitializer) if (s.values) bytes += tensorByteSize(s.values);
    for (const node of graph.node) {
      for (const a of node.attribute) if (a.t) bytes += tensorByteSize(a.t);
      for (const sub of subgraphsOf(node)) visit(sub);
    }
  };
  if (model.graph) visit(model.graph);
  return bytes;
}

/**
 * Writes `model` to `file` for onnxruntime to open, its weights in external data beside it: onnxruntime maps
 * those instead of parsing and copying them (IN_MEMORY_LIMIT_BYTES).
 */
export async function saveForOnnxruntime(model: ModelProto, file: string): Promise<void> {
  await saveModel(model, file, { externalData: { thresholdBytes: 1024 } });
}

/**
 * An onnxruntime session for an in-memory model: from its serialized bytes when its weights are small,
 * else from a temporary file whose weights are external data (IN_MEMORY_LIMIT_BYTES; it also keeps models
 * over protobuf's 2 GiB possible; tests lower the limit). `close` releases the session and removes the
 * temporary files.
 */
export async function openModelSession(
  model: ModelProto,
  settings: SessionSettings = {},
  inMemoryLimitBytes = IN_MEMORY_LIMIT_BYTES,
): Promise<{ session: ort.InferenceSession; close: () => Promise<void> }> {
  const inMemory = async () => {
    const session = await createSession(serializeToBytes(ModelProtoSchema, model), settings);
    return { session, close: () => session.release() };
  };
  const weights = modelTensorBytes(model);
  if (weights < inMemoryLimitBytes) return inMemory();
  let dir: string | undefined;
  let file: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-session-'));
    file = path.join(dir, 'model.onnx');
    await saveForOnnxruntime(model, file);
  } catch (error) {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    // No room for the temporary copy (a full or missing temporary folder): in memory, when protobuf can hold it.
    const fileProblem =
      error instanceof StudioError ? error.code === 'IO' : (error as NodeJS.ErrnoException).code;
    if (fileProblem && weights < FALLBACK_IN_MEMORY_BYTES) return inMemory();
    throw error;
  }
  const folder = dir;
  try {
    const session = await createSession(file, settings);
    return {
      session,
      close: async () => {
        await session.release();
        fs.rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}
