import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type GraphProto, type ModelProto, ModelProtoSchema, type TensorProto } from 'onnx-buf';
import { decodeModel } from '../../onnx/decode-model.js';
import { inlineExternalData } from '../../onnx/inline-external-data.js';
import { loadModel } from '../../onnx/load-model.js';
import { normalizeDomain, opsetImports, subgraphsOf } from '../../onnx/graph.js';
import { serializeToBytes } from '../../onnx/proto-stream-writer.js';
import { forEachTensor } from '../../onnx/walk-tensors.js';
import { createSession } from '../../runtime/create-session.js';
import { IN_MEMORY_LIMIT_BYTES, modelTensorBytes, saveForOnnxruntime } from './ort-model.js';

/**
 * Runs onnxruntime's basic (level 1) graph optimizations over the model and puts the result back into
 * `model`, as ONNX Runtime's `quant_pre_process` does before static quantization. Level 1 is made of
 * semantics-preserving, provider-independent rewrites whose results are plain ONNX: constant folding,
 * Conv+BatchNormalization / Conv+Add / Conv+Mul folding, MatMul+Add -> Gemm, Identity / Dropout
 * elimination. Folding BatchNorm into the Conv weights matters most: otherwise a float BatchNorm sits
 * between every quantized Conv and its activation and no QDQ group can fuse.
 *
 * The graph is replaced; the model's own opset imports, IR version and metadata are kept (onnxruntime
 * lists every domain it knows in the file it writes). Returns a short description of what changed, or
 * throws when onnxruntime cannot load the model. `inMemoryLimitBytes`: see optimizedByOnnxruntime (tests
 * lower it).
 */
export async function preoptimizeModel(
  model: ModelProto,
  inMemoryLimitBytes = IN_MEMORY_LIMIT_BYTES,
): Promise<{ nodesBefore: number; nodesAfter: number; changes: string[] }> {
  const graph = model.graph;
  if (!graph) return { nodesBefore: 0, nodesAfter: 0, changes: [] };
  const before = countOps(model);
  const nodesBefore = graph.node.length;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-preopt-'));
  try {
    const out = path.join(dir, 'optimized.onnx');
    const optimized = await optimizedByOnnxruntime(model, dir, out, inMemoryLimitBytes);
    if (!optimized.graph) throw new Error('onnxruntime wrote a model without a graph');
    // onnxruntime gives the graph an empty doc_string on some models and paths and not on others; keep
    // what the model had, so that the result does not depend on which path the model took.
    if (optimized.graph.docString === '' && graph.docString === '' && !Object.hasOwn(graph, 'docString'))
      delete (optimized.graph as Partial<GraphProto>).docString;
    // Keep our opset imports, plus any domain the optimized graph really uses that we did not import.
    const used = new Set(optimized.graph.node.map((n) => normalizeDomain(n.domain)));
    const ours = opsetImports(model);
    for (const entry of optimized.opsetImport) {
      const domain = normalizeDomain(entry.domain);
      if (used.has(domain) && !ours.has(domain)) model.opsetImport.push(entry);
    }
    // onnxruntime writes sparse initializers back with compact (int8/int16/int32) indices, which the
    // ONNX spec does not allow; their values are untouched by the optimizer, so put the originals back.
    const originalSparse = new Map(graph.sparseInitializer.map((sp) => [sp.values?.name ?? '', sp]));
    optimized.graph.sparseInitializer = optimized.graph.sparseInitializer.map(
      (sp) => originalSparse.get(sp.values?.name ?? '') ?? sp,
    );
    model.graph = optimized.graph;
    const after = countOps(model);
    const changes: string[] = [];
    for (const [op, n] of before) {
      const m = after.get(op) ?? 0;
      if (m < n) changes.push(`${n - m} ${op} removed`);
    }
    for (const [op, m] of after) {
      const n = before.get(op) ?? 0;
      if (m > n) changes.push(`${m - n} ${op} added`);
    }
    return { nodesBefore, nodesAfter: model.graph.node.length, changes };
  } finally {
    // The model is already changed: a folder that will not go (a file still mapped on Windows) is left.
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // a temporary folder; the OS cleans it up
    }
  }
}

/**
 * The model as onnxruntime's basic level leaves it, written to `out` and read back. A small model goes to
 * onnxruntime in memory. A big one goes as a file whose weights are external data, which onnxruntime maps
 * instead of copying, and comes back the same way: on an 800 MB MLP in memory the step peaked at 4.8 GB
 * (our bytes, onnxruntime's parsed copy, its tensors, the optimized protobuf, that file read back).
 */
async function optimizedByOnnxruntime(
  model: ModelProto,
  dir: string,
  out: string,
  inMemoryLimitBytes: number,
): Promise<ModelProto> {
  const settings = {
    graphOptimizationLevel: 'basic' as const,
    optimizedModelFilePath: out,
    intraOpThreads: 1,
  };
  if (modelTensorBytes(model) < inMemoryLimitBytes) {
    const session = await createSession(serializeToBytes(ModelProtoSchema, model), settings);
    await session.release();
    return decodeModel(fs.readFileSync(out));
  }
  const input = path.join(dir, 'model.onnx');
  await saveForOnnxruntime(model, input);
  // onnxruntime 1.30 writes a subgraph's initializers twice when it writes them as external data (a
  // graph then defines a value twice). Without that option it keeps the weights it did not change as
  // references to the input's data file, which is in this folder too.
  const subgraphs = model.graph!.node.some((n) => subgraphsOf(n).length > 0);
  const session = await createSession(input, {
    ...settings,
    ...(subgraphs ? {} : { optimizedModelExternalData: `${path.basename(out)}.data` }),
  });
  await session.release();
  const optimized = (await loadModel(out)).proto;
  // The folder goes when this step ends: the weights come into memory first.
  await inlineExternalData(optimized, dir);
  // Writing initializers out, onnxruntime sets an empty doc_string on each of them; in memory it writes none.
  forEachTensor(optimized, (t) => {
    if (t.docString === '') delete (t as Partial<TensorProto>).docString;
  });
  return optimized;
}

function countOps(model: ModelProto): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of model.graph?.node ?? []) out.set(n.opType, (out.get(n.opType) ?? 0) + 1);
  return out;
}
