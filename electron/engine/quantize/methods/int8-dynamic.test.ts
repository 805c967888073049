import fs from 'node:fs';
import path from 'node:path';
import { clone, create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType as DT,
} from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../errors.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../../onnx/float16.js';
import { makeAttribute, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { opsetVersion, subgraphsOf } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/load-model.js';
import { saveModel } from '../../onnx/save-model.js';
import { decodeTensor, encodeTensor, tensorByteSize } from '../../onnx/tensor-codec.js';
import { createSession } from '../../runtime/create-session.js';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildMlp,
  buildSparseInitializerModel,
  makeModel,
  modelBytes,
  randomFloats,
  randomTensor,
} from '../../testing/model-fixtures.js';
import { randomOrtTensor } from '../../testing/feeds-source.js';
import { makeTempDir } from '../../testing/temp-dir.js';
import {
  buildAttentionBlock,
  buildSharedWeightAttention,
  projectionNodeNames,
} from '../../testing/transformer-fixtures.js';
import { CONV_DEFAULT_SKIP_REASON } from '../dynamic/quantize-graph.js';
import { optimizedGraph } from '../dynamic/optimized-graph.js';
import { quantizeMethod } from '../method-registry.js';
import { quantizeModel } from '../quantize-model.js';
import { INT8_KERNELS_SATURATE, kernelSafe } from '../../testing/int8-kernels.js';
import { SATURATION_NOTE } from '../../bench/int8-support.js';
import { lastRecordedStep } from '../../testing/recorded-step.js';
import {
  type QuantizeOutcome,
  type QuantizeProgress,
  commonQuantizeOptionsSchema,
} from '../quantize-method.js';
import { int8DynamicMethod, int8DynamicOptionsSchema } from './int8-dynamic.js';

// ------------------------------------------------------------------------------------------------
// Helpers

interface Quantized {
  model: ModelProto;
  outcome: QuantizeOutcome;
  notes: string[];
  progress: QuantizeProgress[];
}

async function quantize(
  source: ModelProto,
  common: Record<string, unknown> = {},
  options: Record<string, unknown> = {},
  signal?: AbortSignal,
  onProgress?: (p: QuantizeProgress) => void,
): Promise<Quantized> {
  const model = clone(ModelProtoSchema, source);
  const notes: string[] = [];
  const progress: QuantizeProgress[] = [];
  const outcome = await int8DynamicMethod.quantize({
    model,
    options: int8DynamicOptionsSchema.parse(options),
    common: commonQuantizeOptionsSchema.parse(kernelSafe(common)),
    modelPath: 'in-memory.onnx',
    note: (m) => notes.push(m),
    ...(signal ? { signal } : {}),
    onProgress: (p) => {
      progress.push(p);
      onProgress?.(p);
    },
  });
  return { model, outcome, notes, progress };
}

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions.splice(0)) await s.release();
});

async function run(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await createSession(modelBytes(model), { intraOpThreads: 1 });
  sessions.push(session);
  const out = await session.run(feeds);
  return out[session.outputNames[0]!]!;
}

function asFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float16') {
    const d = t.data as unknown as ArrayLike<number> & { BYTES_PER_ELEMENT?: number };
    return d instanceof Uint16Array ? float16ArrayToFloat32(d) : Float32Array.from(d);
  }
  return t.data as Float32Array;
}

/** Cosine similarity of the outputs and agreement of the arg-max over the last axis. */
async function fidelity(
  reference: ModelProto,
  candidate: ModelProto,
  feeds: Record<string, ort.Tensor>,
): Promise<{ cosine: number; top1: number; rows: number }> {
  const refOut = await run(reference, feeds);
  const candOut = await run(candidate, feeds);
  expect(candOut.dims).toEqual(refOut.dims);
  expect(candOut.type).toBe(refOut.type);
  const a = asFloat32(refOut);
  const b = asFloat32(candOut);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const classes = refOut.dims[refOut.dims.length - 1]!;
  const rows = a.length / classes;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    let ia = 0;
    let ib = 0;
    for (let c = 1; c < classes; c++) {
      if (a[r * classes + c]! > a[r * classes + ia]!) ia = c;
      if (b[r * classes + c]! > b[r * classes + ib]!) ib = c;
    }
    if (ia === ib) same++;
  }
  return { cosine: dot / Math.sqrt(na * nb), top1: same / rows, rows };
}

function floatInput(dims: number[], seed: number, scale = 1.5, name = 'input'): Record<string, ort.Tensor> {
  return { [name]: randomOrtTensor(dims, seed, scale) };
}

const attentionFeed = (): Record<string, ort.Tensor> => floatInput([2, 16, 64], 77);

/** Tensor bytes stored in the model: initializers, sparse initializers and Constant-node tensors (recursively). */
function storedTensorBytes(model: ModelProto): number {
  let total = 0;
  const visit = (graph: NonNullable<ModelProto['graph']>): void => {
    for (const t of graph.initializer) total += tensorByteSize(t);
    for (const s of graph.sparseInitializer)
      total += (s.values ? tensorByteSize(s.values) : 0) + (s.indices ? tensorByteSize(s.indices) : 0);
    for (const n of graph.node) {
      for (const a of n.attribute) if (a.t) total += tensorByteSize(a.t);
      for (const sub of subgraphsOf(n)) visit(sub);
    }
  };
  visit(model.graph!);
  return total;
}

function ops(model: ModelProto): string[] {
  return model.graph!.node.map((n) => n.opType);
}

function count(list: string[], op: string): number {
  return list.filter((o) => o === op).length;
}

function initializer(model: ModelProto, name: string): TensorProto {
  const t = model.graph!.initializer.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
}

function node(model: ModelProto, name: string): NodeProto {
  const n = model.graph!.node.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

async function expectCancelled(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StudioError);
  expect((error as StudioError).code).toBe('CANCELLED');
}

// ------------------------------------------------------------------------------------------------

describe('int8-dynamic: registration', () => {
  it('registers under its CLI name with defaults', () => {
    expect(quantizeMethod('int8-dynamic')).toBe(int8DynamicMethod);
    expect(int8DynamicMethod.needsCalibration ?? false).toBe(false);
    expect(int8DynamicOptionsSchema.parse({})).toEqual({ form: 'fused' });
    expect(int8DynamicOptionsSchema.safeParse({ form: 'qdq' }).success).toBe(false);
    expect(int8DynamicOptionsSchema.safeParse({ blockSize: 32 }).success).toBe(false);
  });
});

describe('int8-dynamic: MLP', () => {
  const mlp = buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 32 });
  let q: Quantized;
  beforeAll(async () => {
    q = await quantize(mlp);
  });

  it('turns the Gemm and the MatMul + bias Add into DynamicQuantizeMatMul with per-column int8 weights', () => {
    expect(q.outcome).toEqual({ quantizedNodes: 2, skippedNodes: [] });
    expect(ops(q.model)).toEqual(['DynamicQuantizeMatMul', 'Relu', 'DynamicQuantizeMatMul']);
    const fc1 = node(q.model, 'fc1');
    expect(fc1.domain).toBe('com.microsoft');
    // Gemm transB: [hidden, in] transposed to [in, hidden]; bias folded into the kernel.
    const w = initializer(q.model, fc1.input[1]!);
    expect(w.dataType).toBe(DT.INT8);
    expect(w.dims).toEqual([64n, 128n]);
    expect(initializer(q.model, fc1.input[2]!).dims).toEqual([128n]);
    expect(fc1.input).toHaveLength(5);
    expect(fc1.input[3]).toBe(''); // symmetric: no zero point
    expect(fc1.input[4]).toBe('fc1.bias');
    const fc2 = node(q.model, 'fc2_matmul');
    expect(fc2.output).toEqual(['logits']); // the Add was folded
    expect(fc2.input).toHaveLength(5);
    // Float weights are gone; com.microsoft is imported; the default opset is unchanged.
    expect(q.model.graph!.initializer.some((t) => t.name === 'fc1.weight' || t.name === 'fc2.weight')).toBe(
      false,
    );
    expect(opsetVersion(q.model, 'com.microsoft')).toBe(1);
    expect(opsetVersion(q.model, '')).toBe(17);
    expect(q.progress.at(-1)).toEqual({ phase: 'quantizing', done: 2, total: 2 });
  });

  it('agrees with float32 and stores about a quarter of the weight bytes', async () => {
    const f = await fidelity(mlp, q.model, floatInput([64, 64], 5, 1.5));
    expect(f.cosine).toBeGreaterThan(0.999);
    expect(f.top1).toBeGreaterThanOrEqual(0.95);
    const ratio = storedTensorBytes(q.model) / storedTensorBytes(mlp);
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(0.3);
  });

  it('is what onnxruntime runs: no float MatMul/Gemm left after optimization', async () => {
    const { opCounts } = await optimizedGraph(modelBytes(q.model));
    expect(opCounts.get('com.microsoft:DynamicQuantizeMatMul')).toBe(2);
    for (const op of ['MatMul', 'Gemm', 'MatMulInteger', 'DynamicQuantizeLinear', 'Add'])
      expect(opCounts.has(op)).toBe(false);
  });
});

describe('int8-dynamic: attention block', () => {
  const block = buildAttentionBlock();
  let q: Quantized;
  beforeAll(async () => {
    q = await quantize(block);
  });

  it('quantizes every weight MatMul and explains the activation x activation ones', () => {
    expect(q.outcome.quantizedNodes).toBe(7);
    expect(q.outcome.skippedNodes.map((s) => s.name)).toEqual(['layer0_qk', 'layer0_attn_v']);
    for (const s of q.outcome.skippedNodes) expect(s.reason).toMatch(/both inputs are computed at run time/);
    for (const name of projectionNodeNames(1))
      expect(node(q.model, name).opType).toBe('DynamicQuantizeMatMul');
    // Bias Adds folded, residual Adds kept.
    expect(q.model.graph!.node.some((n) => n.name.endsWith('_bias') && n.opType === 'Add')).toBe(false);
    expect(node(q.model, 'layer0_residual1').opType).toBe('Add');
  });

  it('agrees with float32 (cosine, top-1) at about 0.26x the weight bytes', async () => {
    const f = await fidelity(block, q.model, attentionFeed());
    expect(f.rows).toBe(32);
    expect(f.cosine).toBeGreaterThan(0.995);
    expect(f.top1).toBeGreaterThanOrEqual(0.9);
    const ratio = storedTensorBytes(q.model) / storedTensorBytes(block);
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(0.3);
  });

  it('runs fused in onnxruntime: 7 DynamicQuantizeMatMul, only the attention products in float', async () => {
    const { opCounts } = await optimizedGraph(modelBytes(q.model));
    expect(opCounts.get('com.microsoft:DynamicQuantizeMatMul')).toBe(7);
    const floatProducts = (opCounts.get('MatMul') ?? 0) + (opCounts.get('com.microsoft:FusedMatMul') ?? 0);
    expect(floatProducts).toBe(2);
  });

  it("in the 'onnx' form writes DynamicQuantizeLinear + MatMulInteger + Cast + Mul, which onnxruntime fuses", async () => {
    const onnx = await quantize(block, {}, { form: 'onnx' });
    expect(onnx.outcome.quantizedNodes).toBe(7);
    const list = ops(onnx.model);
    expect(count(list, 'DynamicQuantizeLinear')).toBe(7);
    expect(count(list, 'MatMulInteger')).toBe(7);
    expect(count(list, 'DynamicQuantizeMatMul')).toBe(0);
    expect(opsetVersion(onnx.model, 'com.microsoft')).toBeUndefined();
    const f = await fidelity(block, onnx.model, attentionFeed());
    expect(f.cosine).toBeGreaterThan(0.995);
    expect(f.top1).toBeGreaterThanOrEqual(0.9);
    const { opCounts } = await optimizedGraph(modelBytes(onnx.model));
    const fused =
      (opCounts.get('com.microsoft:DynamicQuantizeMatMul') ?? 0) +
      (opCounts.get('com.microsoft:MatMulIntegerToFloat') ?? 0);
    expect(fused).toBe(7);
    expect(opCounts.has('MatMulInteger')).toBe(false);
    expect(opCounts.has('Cast')).toBe(false);
  });

  it('with full 8-bit weights (the default) uses the whole range, and says so on a CPU whose kernels saturate', async () => {
    // Structure only: on such a CPU the fidelity of 8-bit weights is the kernel's (testing/int8-kernels.ts).
    const full = await quantize(block, { reduceRange: false });
    const w = decodeTensor(initializer(full.model, node(full.model, 'layer0.fc1').input[1]!))
      .values as Int8Array;
    expect(Math.max(...w.map(Math.abs))).toBe(127);
    expect(full.notes.includes(SATURATION_NOTE)).toBe(INT8_KERNELS_SATURATE);
    const reduced = await quantize(block, { reduceRange: true });
    expect(reduced.notes).not.toContain(SATURATION_NOTE);
  });

  it('supports per-tensor, asymmetric and reduced-range weights', async () => {
    const feed = attentionFeed();
    const perTensor = await quantize(block, { perTensor: true });
    expect(initializer(perTensor.model, node(perTensor.model, 'layer0.fc1').input[2]!).dims).toEqual([]);
    const asym = await quantize(block, { asymmetric: true });
    const zp = initializer(asym.model, node(asym.model, 'layer0.fc1').input[3]!);
    expect(zp.dataType).toBe(DT.INT8);
    expect(zp.dims).toEqual([256n]);
    expect((decodeTensor(zp).values as Int8Array).some((v) => v !== 0)).toBe(true);
    const reduced = await quantize(block, { reduceRange: true });
    const w = decodeTensor(initializer(reduced.model, node(reduced.model, 'layer0.fc1').input[1]!))
      .values as Int8Array;
    expect(Math.max(...w)).toBeLessThanOrEqual(64);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-64);
    const asymOnnx = await quantize(block, { asymmetric: true }, { form: 'onnx' });
    expect(count(ops(asymOnnx.model), 'MatMulInteger')).toBe(7);
    for (const variant of [perTensor, asym, reduced, asymOnnx]) {
      const f = await fidelity(block, variant.model, feed);
      expect(f.cosine).toBeGreaterThan(0.99);
      expect(f.top1).toBeGreaterThanOrEqual(0.85);
    }
  });
});

describe('int8-dynamic: weights wherever they live', () => {
  it('quantizes a weight shared by two MatMuls once', async () => {
    const shared = buildSharedWeightAttention();
    const q = await quantize(shared);
    expect(q.outcome.quantizedNodes).toBe(7);
    const qProj = node(q.model, 'layer0.q_proj');
    const kProj = node(q.model, 'layer0.k_proj');
    expect(kProj.input[1]).toBe(qProj.input[1]);
    expect(kProj.input[2]).toBe(qProj.input[2]);
    expect(q.model.graph!.initializer.filter((t) => t.dataType === DT.INT8)).toHaveLength(6);
    const f = await fidelity(shared, q.model, attentionFeed());
    expect(f.cosine).toBeGreaterThan(0.995);
    expect(f.top1).toBeGreaterThanOrEqual(0.9);
    const ratio = storedTensorBytes(q.model) / storedTensorBytes(shared);
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(0.3);
  });

  it('quantizes Constant-node weights and removes the Constant nodes', async () => {
    const small = buildConstantWeightModel();
    const q1 = await quantize(small);
    expect(q1.outcome.quantizedNodes).toBe(1);
    // The weight's Constant is gone; the value_floats bias Constant feeds the kernel's bias input.
    expect(q1.model.graph!.node.map((n) => n.name)).toEqual(['bias_const', 'matmul']);
    expect(node(q1.model, 'matmul').input[4]).toBe('const.bias');
    expect(node(q1.model, 'matmul').output).toEqual(['output']);
    const f1 = await fidelity(small, q1.model, floatInput([32, 8], 3, 1, 'input'));
    expect(f1.cosine).toBeGreaterThan(0.999);

    const block = buildAttentionBlock({ weightStorage: 'constant-node' });
    const q2 = await quantize(block);
    expect(q2.outcome.quantizedNodes).toBe(7);
    const constants = q2.model.graph!.node.filter((n) => n.opType === 'Constant').map((n) => n.name);
    expect(constants.some((n) => /proj|fc|head/.test(n) && n.includes('.weight'))).toBe(false);
    const f2 = await fidelity(block, q2.model, attentionFeed());
    expect(f2.cosine).toBeGreaterThan(0.995);
    expect(f2.top1).toBeGreaterThanOrEqual(0.9);
    const ratio = storedTensorBytes(q2.model) / storedTensorBytes(block);
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(0.3);
  });

  it('quantizes float16 and bfloat16 weights stored behind a Cast to float', async () => {
    for (const weightDtype of ['float16', 'bfloat16'] as const) {
      const block = buildAttentionBlock({ weightDtype });
      const q = await quantize(block);
      expect(q.outcome.quantizedNodes).toBe(7);
      // The Casts of quantized weights and folded biases are gone; LayerNorm parameters keep theirs.
      const casts = q.model.graph!.node.filter((n) => n.opType === 'Cast').map((n) => n.name);
      expect(casts.every((n) => n.includes('.ln'))).toBe(true);
      const f = await fidelity(block, q.model, attentionFeed());
      expect(f.cosine).toBeGreaterThan(0.995);
      expect(f.top1).toBeGreaterThanOrEqual(0.9);
      // Half-precision weights halve again to int8.
      const ratio = storedTensorBytes(q.model) / storedTensorBytes(block);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(0.6);
    }
  });

  it('quantizes float16 models, computing in float32 between Casts', async () => {
    const fp16 = toFloat16Mlp(buildMlp({ inputSize: 32, hiddenSize: 64, outputSize: 16 }));
    const q = await quantize(fp16);
    expect(q.outcome).toEqual({ quantizedNodes: 2, skippedNodes: [] });
    expect(count(ops(q.model), 'DynamicQuantizeMatMul')).toBe(2);
    expect(count(ops(q.model), 'Cast')).toBe(4);
    const x = new ort.Tensor('float16', float32ArrayToFloat16(randomFloats(32 * 32, 8, 1.5)), [32, 32]);
    const f = await fidelity(fp16, q.model, { input: x });
    expect(f.cosine).toBeGreaterThan(0.999);
    expect(f.top1).toBeGreaterThanOrEqual(0.9);
  });

  it('quantizes sparse-initializer weights', async () => {
    const sparse = buildSparseInitializerModel();
    const q = await quantize(sparse);
    expect(q.outcome.quantizedNodes).toBe(1);
    expect(q.model.graph!.sparseInitializer).toHaveLength(0);
    const f = await fidelity(sparse, q.model, floatInput([16, 8], 4, 1));
    expect(f.cosine).toBeGreaterThan(0.999);
  });

  it('quantizes inside If branches, reading outer-scope weights', async () => {
    const model = buildIfModel();
    const q = await quantize(model);
    expect(q.outcome.quantizedNodes).toBe(2);
    const branch = node(q.model, 'branch');
    const then = subgraphsOf(branch)[0]!;
    expect(then.node.map((n) => n.opType)).toEqual(['DynamicQuantizeMatMul']);
    // The int8 copy lives beside the float weight it replaces, in the main graph the branch reads it from.
    expect(then.initializer).toEqual([]);
    expect(q.model.graph!.initializer.filter((t) => t.dataType === DT.INT8)).toHaveLength(2);
    expect(q.model.graph!.initializer.some((t) => t.name === 'shared.weight')).toBe(false);
    for (const cond of [true, false]) {
      const feeds = {
        ...floatInput([8, 4], 6, 1),
        cond: new ort.Tensor('bool', Uint8Array.of(cond ? 1 : 0), []),
      };
      const f = await fidelity(model, q.model, feeds);
      expect(f.cosine).toBeGreaterThan(0.995);
    }
  });

  it('handles IR 3 models, where every initializer is also a graph input', async () => {
    const mlp = buildMlp({ inputSize: 32, hiddenSize: 64, outputSize: 16 });
    mlp.irVersion = 3n;
    mlp.opsetImport[0]!.version = 9n;
    for (const t of mlp.graph!.initializer)
      mlp.graph!.input.push(makeValueInfo(t.name, t.dataType, t.dims.map(Number)));
    const q = await quantize(mlp);
    expect(q.outcome.quantizedNodes).toBe(2);
    const inputs = new Set(q.model.graph!.input.map((i) => i.name));
    for (const t of q.model.graph!.initializer) expect(inputs.has(t.name)).toBe(true);
    expect(inputs.has('fc1.weight')).toBe(false);
    const f = await fidelity(mlp, q.model, floatInput([32, 32], 9, 1.5));
    expect(f.cosine).toBeGreaterThan(0.999);
  });
});

describe('int8-dynamic: a weight another node still reads in float', () => {
  it('says the file keeps the float table beside its int8 copy, and how many bytes that costs', async () => {
    // A tied embedding: the Gather looks rows up in `emb`, the output Gemm multiplies by the same table (transB).
    const [vocab, width, tokens] = [64, 32, 8];
    const tied = makeModel(
      create(GraphProtoSchema, {
        name: 'tied',
        node: [
          makeNode('Gather', ['emb', 'ids'], ['rows'], { name: 'lookup' }),
          makeNode('Gemm', ['rows', 'emb'], ['logits'], { name: 'head', attributes: { transB: { int: 1 } } }),
        ],
        input: [makeValueInfo('ids', DT.INT64, [tokens])],
        output: [makeValueInfo('logits', DT.FLOAT, [tokens, vocab])],
        initializer: [randomTensor('emb', [vocab, width], 7)],
      }),
    );
    // With the Gather left in float (by name), the table stays for it.
    const q = await quantize(tied, { excludeNodes: ['lookup'] });
    expect(q.outcome).toEqual({ quantizedNodes: 1, skippedNodes: [] });
    expect(ops(q.model)).toEqual(['Gather', 'DynamicQuantizeMatMul']);
    expect(node(q.model, 'lookup').input[0]).toBe('emb');
    expect(initializer(q.model, 'emb').dataType).toBe(DT.FLOAT);
    expect(q.notes.join('\n')).toContain(
      `'emb' is also read in float by a node this method leaves alone (a Gather of a tied embedding, say), so the file keeps it beside the quantized copy: ${vocab * width * 4} bytes more`,
    );
    // The output runs in onnxruntime and agrees with the float model.
    const ids = BigInt64Array.from({ length: tokens }, (_, i) => BigInt((i * 13) % vocab));
    const f = await fidelity(tied, q.model, { ids: new ort.Tensor('int64', ids, [tokens]) });
    expect(f.cosine).toBeGreaterThan(0.999);
    expect(f.top1).toBe(1);
    // A weight only the rewritten nodes read is gone, with no such note.
    const alone = await quantize(buildMlp({ inputSize: 32, hiddenSize: 64, outputSize: 16 }));
    expect(alone.notes.join('\n')).not.toContain('also read in float');
    // Otherwise the Gather reads the head's int8 rows, in both forms, and the float table leaves the file.
    for (const form of ['fused', 'onnx'] as const) {
      const shared = await quantize(tied, {}, { form });
      expect(shared.model.graph!.initializer.some((t) => t.name === 'emb')).toBe(false);
      expect(shared.notes.join('\n')).toContain(
        "The embedding Gather 'lookup' reads the head's int8 table 'emb'",
      );
      expect(ops(shared.model)[0]).toBe('Transpose');
      const g = await fidelity(tied, shared.model, { ids: new ort.Tensor('int64', ids, [tokens]) });
      expect(g.cosine, form).toBeGreaterThan(0.999);
      expect(g.top1, form).toBe(1);
    }
    // Gemm's alpha scales the head's product only: the table is shared all the same.
    const scaled = clone(ModelProtoSchema, tied);
    scaled.graph!.node[1]!.attribute.push(makeAttribute('alpha', { float: 0.5 }));
    const half = await quantize(scaled);
    expect(half.model.graph!.initializer.some((t) => t.name === 'emb')).toBe(false);
    const h = await fidelity(scaled, half.model, { ids: new ort.Tensor('int64', ids, [tokens]) });
    expect(h.cosine).toBeGreaterThan(0.999);
    expect(h.top1).toBe(1);
  });
});

describe('int8-dynamic: opsets', () => {
  it('keeps an opset-11 model at opset 11 in both forms', async () => {
    const block = buildAttentionBlock({ opset: 11 });
    for (const form of ['fused', 'onnx'] as const) {
      const q = await quantize(block, {}, { form });
      expect(q.outcome.quantizedNodes).toBe(7);
      expect(opsetVersion(q.model, '')).toBe(11);
      expect(q.notes).toEqual([]);
      const f = await fidelity(block, q.model, attentionFeed());
      expect(f.cosine).toBeGreaterThan(0.995);
      expect(f.top1).toBeGreaterThanOrEqual(0.9);
      const { opCounts } = await optimizedGraph(modelBytes(q.model));
      const fused =
        (opCounts.get('com.microsoft:DynamicQuantizeMatMul') ?? 0) +
        (opCounts.get('com.microsoft:MatMulIntegerToFloat') ?? 0);
      expect(fused).toBe(7);
    }
  });

  it('writes the fused form for models below opset 11 instead of raising the opset', async () => {
    const mlp = buildMlp({ inputSize: 32, hiddenSize: 64, outputSize: 16 });
    mlp.opsetImport[0]!.version = 9n;
    const q = await quantize(mlp, {}, { form: 'onnx' });
    expect(q.outcome.quantizedNodes).toBe(2);
    expect(opsetVersion(q.model, '')).toBe(9);
    expect(count(ops(q.model), 'DynamicQuantizeMatMul')).toBe(2);
    expect(q.notes.join(' ')).toMatch(/opset 9.*DynamicQuantizeMatMul/);
    const f = await fidelity(mlp, q.model, floatInput([32, 32], 9, 1.5));
    expect(f.cosine).toBeGreaterThan(0.999);
  });
});

describe('int8-dynamic: Gemm forms', () => {
  /** input [6, 12] -> Gemm(W, C) -> output [6, 10] with the given attributes and C shape. */
  function gemmModel(
    attrs: { transB?: number; alpha?: number; beta?: number },
    cDims: number[] | 'input' | undefined,
  ): ModelProto {
    const [k, n] = [12, 10];
    const w = randomTensor('w', attrs.transB ? [n, k] : [k, n], 3, 0.4);
    const initializers = [w];
    const inputs = [makeValueInfo('input', DT.FLOAT, [6, k])];
    const gemmInputs = ['input', 'w'];
    if (cDims === 'input') {
      inputs.push(makeValueInfo('c', DT.FLOAT, [6, n]));
      gemmInputs.push('c');
    } else if (cDims) {
      initializers.push(randomTensor('c', cDims, 4, 0.5));
      gemmInputs.push('c');
    }
    const attributes: Record<string, { int: number } | { float: number }> = {};
    if (attrs.transB !== undefined) attributes.transB = { int: attrs.transB };
    if (attrs.alpha !== undefined) attributes.alpha = { float: attrs.alpha };
    if (attrs.beta !== undefined) attributes.beta = { float: attrs.beta };
    const graph = create(GraphProtoSchema, {
      name: 'gemm',
      node: [makeNode('Gemm', gemmInputs, ['output'], { name: 'gemm', attributes })],
      initializer: initializers,
      input: inputs,
      output: [makeValueInfo('output', DT.FLOAT, [6, n])],
    });
    return makeModel(graph, 13);
  }

  it.each([
    ['transB, vector C, alpha and beta', { transB: 1, alpha: 0.5, beta: 2 }, [10]],
    ['no transB, [1, N] C', { transB: 0 }, [1, 10]],
    ['scalar C', { transB: 1, beta: 0.5 }, []],
    ['[M, N] C', { alpha: -1.5 }, [6, 10]],
    ['no C', { transB: 1 }, undefined],
    ['run-time C', { transB: 1 }, 'input'],
  ] as const)('%s', async (_label, attrs, cDims) => {
    const model = gemmModel(
      attrs,
      cDims === undefined ? undefined : cDims === 'input' ? 'input' : [...cDims],
    );
    for (const form of ['fused', 'onnx'] as const) {
      const q = await quantize(model, {}, { form });
      expect(q.outcome).toEqual({ quantizedNodes: 1, skippedNodes: [] });
      const feeds: Record<string, ort.Tensor> = floatInput([6, 12], 12, 1);
      if (cDims === 'input') feeds.c = randomOrtTensor([6, 10], 13);
      const f = await fidelity(model, q.model, feeds);
      expect(f.cosine).toBeGreaterThan(0.999);
    }
  });

  it('leaves transA Gemms and non-2-D MatMul weights in float, saying why', async () => {
    const gemm = gemmModel({ transB: 1 }, [10]);
    gemm.graph!.node[0]!.attribute.push(makeAttribute('transA', { int: 1 }));
    gemm.graph!.input[0] = makeValueInfo('input', DT.FLOAT, [12, 6]);
    const q = await quantize(gemm);
    expect(q.outcome.skippedNodes).toEqual([
      { name: 'gemm', opType: 'Gemm', reason: 'Gemm with transA = 1 is left in float' },
    ]);

    const graph = create(GraphProtoSchema, {
      name: 'batched',
      node: [makeNode('MatMul', ['input', 'w'], ['output'], { name: 'bmm' })],
      initializer: [randomTensor('w', [2, 4, 3], 1)],
      input: [makeValueInfo('input', DT.FLOAT, [2, 5, 4])],
      output: [makeValueInfo('output', DT.FLOAT, [2, 5, 3])],
    });
    const q2 = await quantize(makeModel(graph));
    expect(q2.outcome.quantizedNodes).toBe(0);
    expect(q2.outcome.skippedNodes[0]!.reason).toMatch(/3-D/);
  });
});

describe('int8-dynamic: selection, Conv, progress and cancellation', () => {
  it('honours --op-types and --exclude-nodes', async () => {
    const mlp = buildMlp({ inputSize: 32, hiddenSize: 64, outputSize: 16 });
    const onlyGemm = await quantize(mlp, { opTypes: ['Gemm'] });
    expect(onlyGemm.outcome).toEqual({ quantizedNodes: 1, skippedNodes: [] });
    expect(ops(onlyGemm.model)).toEqual(['DynamicQuantizeMatMul', 'Relu', 'MatMul', 'Add']);

    const block = buildAttentionBlock();
    const excluded = await quantize(block, { excludeNodes: ['layer0.fc1', 'head'] });
    expect(excluded.outcome.quantizedNodes).toBe(5);
    expect(excluded.outcome.skippedNodes).toContainEqual({
      name: 'layer0.fc1',
      opType: 'MatMul',
      reason: 'excluded by --exclude-nodes',
      option: '--exclude-nodes',
    });
    expect(node(excluded.model, 'layer0.fc1').opType).toBe('MatMul');
    expect(excluded.model.graph!.initializer.some((t) => t.name === 'layer0.fc1.weight')).toBe(true);
    const f = await fidelity(block, excluded.model, attentionFeed());
    expect(f.cosine).toBeGreaterThan(0.995);
  });

  it('leaves Conv in float by default and quantizes it to ConvInteger when asked', async () => {
    const cnn = buildCnn({ batch: 2 });
    const byDefault = await quantize(cnn);
    expect(byDefault.outcome.quantizedNodes).toBe(1);
    expect(byDefault.outcome.skippedNodes.map((s) => [s.name, s.reason])).toEqual([
      ['conv1', CONV_DEFAULT_SKIP_REASON],
      ['conv2', CONV_DEFAULT_SKIP_REASON],
    ]);
    const withConv = await quantize(cnn, { opTypes: ['Conv', 'Gemm'] });
    expect(withConv.outcome).toEqual({ quantizedNodes: 3, skippedNodes: [] });
    expect(count(ops(withConv.model), 'ConvInteger')).toBe(2);
    const f = await fidelity(cnn, withConv.model, floatInput([2, 3, 16, 16], 14, 1));
    expect(f.cosine).toBeGreaterThan(0.995);
    const asym = await quantize(cnn, { opTypes: ['Conv'], asymmetric: true });
    expect(asym.outcome.skippedNodes.map((s) => s.name)).toEqual(['conv1', 'conv2']);
    const asymTensor = await quantize(cnn, { opTypes: ['Conv'], asymmetric: true, perTensor: true });
    expect(asymTensor.outcome.quantizedNodes).toBe(2);
    expect((await fidelity(cnn, asymTensor.model, floatInput([2, 3, 16, 16], 14, 1))).cosine).toBeGreaterThan(
      0.99,
    );
  });

  it('reports progress per node and stops when cancelled', async () => {
    const block = buildAttentionBlock({ layers: 2 });
    const q = await quantize(block);
    expect(q.progress.map((p) => p.done)).toEqual([...Array(q.progress.length).keys()]);
    expect(q.progress.every((p) => p.total === 17 && p.phase === 'quantizing')).toBe(true);

    const before = new AbortController();
    before.abort();
    await expectCancelled(quantize(block, {}, {}, before.signal));

    const during = new AbortController();
    await expectCancelled(
      quantize(block, {}, {}, during.signal, (p) => {
        if (p.done === 3) during.abort();
      }),
    );
  });
});

describe('int8-dynamic: through quantizeModel', () => {
  it('writes a model file that records the recipe and loads in onnxruntime', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const source = path.join(dir, 'block.onnx');
      const output = path.join(dir, 'block.int8.onnx');
      const block = buildAttentionBlock();
      await saveModel(block, source);
      const report = await quantizeModel({
        input: source,
        output,
        method: 'int8-dynamic',
        common: { excludeNodes: ['head'] },
      });
      expect(report.quantizedNodes).toBe(6);
      expect(report.skippedNodes.map((s) => s.name)).toEqual(['layer0_qk', 'layer0_attn_v', 'head']);
      expect(report.outputBytes).toBe(fs.statSync(output).size);
      expect(report.outputBytes / report.inputBytes).toBeLessThan(0.35);
      const loaded = await loadModel(output);
      const recipe = lastRecordedStep(loaded.proto);
      expect(recipe.method).toBe('int8-dynamic');
      expect(recipe.options).toEqual({ form: 'fused' });
      const f = await fidelity(block, loaded.proto, attentionFeed());
      expect(f.cosine).toBeGreaterThan(0.995);
    } finally {
      cleanup();
    }
  });
});

/** The MLP with float16 weights, inputs and outputs (computing in float16). */
function toFloat16Mlp(model: ModelProto): ModelProto {
  const m = clone(ModelProtoSchema, model);
  const g = m.graph!;
  g.initializer = g.initializer.map((t) =>
    encodeTensor(t.name, DT.FLOAT16, t.dims, float32ArrayToFloat16(decodeTensor(t).values as Float32Array)),
  );
  for (const vi of [...g.input, ...g.output]) {
    const tt = vi.type!.value;
    if (tt.case === 'tensorType') tt.value.elemType = DT.FLOAT16;
  }
  return m;
}
