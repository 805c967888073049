import fs from 'node:fs';
import path from 'node:path';
import { clone } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { type ModelProto, ModelProtoSchema, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../onnx/load-model.js';
import { decodeTensor } from '../../onnx/tensor-codec.js';
import { makeValueInfo } from '../../onnx/graph-build.js';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildMlp,
  buildSparseInitializerModel,
  randomFloats,
} from '../../testing/model-fixtures.js';
import { makeTempDir } from '../../testing/temp-dir.js';
import { buildAttentionBlock } from '../../testing/transformer-fixtures.js';
import { quantizeWeight } from '../quant-params.js';
import { quantizeModel } from '../quantize-model.js';
import { lastRecordedStep } from '../../testing/recorded-step.js';
import { quantizeInt8 } from '../weight-only/int8-kernel.js';
import { simdAvailable } from '../weight-only/simd-kernels.js';
import {
  buildFloat16Mlp,
  buildSharedWeightMlp,
  expectAgreement,
  countOps,
  floatFeed,
  initializerBytes,
  modelBytes,
  quantizeInMemory,
  withOpset,
  cancellationErrors,
} from '../weight-only/test-support.js';
import { int8WeightMethod } from './int8-weight.js';

const method = int8WeightMethod;

function dqNodes(model: ModelProto): NodeProto[] {
  return model.graph!.node.filter((n) => n.opType === 'DequantizeLinear');
}

function init(model: ModelProto, name: string) {
  const t = model.graph!.initializer.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
}

function axisOf(node: NodeProto): number | undefined {
  const a = node.attribute.find((x) => x.name === 'axis');
  return a ? Number(a.i) : undefined;
}

describe('int8 kernel', () => {
  const values = randomFloats(24 * 40, 5, 2);
  for (const [label, dims, axis] of [
    ['Conv-like axis 0', [24, 5, 2, 4], 0],
    ['MatMul [K, N] axis 1', [24, 40], 1],
    ['middle axis', [4, 6, 40], 1],
    ['per tensor', [24, 40], undefined],
  ] as const) {
    for (const symmetric of [true, false]) {
      for (const reduceRange of [false, true]) {
        it(`matches quant-params' quantizeWeight: ${label}, ${symmetric ? 'symmetric' : 'asymmetric'}${reduceRange ? ', reduce-range' : ''}`, () => {
          const ours = quantizeInt8(values, dims, { axis, symmetric, reduceRange });
          const ref = quantizeWeight(values, dims, {
            type: 'int8',
            symmetric,
            reduceRange,
            ...(axis === undefined ? {} : { axis }),
          });
          expect(Array.from(ours.data)).toEqual(Array.from(ref.data));
          expect(Array.from(ours.scales)).toEqual(Array.from(ref.scales));
          expect(Array.from(ours.zeroPoints)).toEqual(Array.from(ref.zeroPoints));
        });
      }
    }
  }
});

describe('int8 SIMD kernels', () => {
  it('WebAssembly SIMD is available on this Node', () => {
    expect(simdAvailable()).toBe(true);
  });

  // Shapes that take several 256 KiB chunks, split long runs, and leave tails of < 16 elements.
  for (const [label, dims, axis] of [
    ['columns, 3 chunks', [2100, 64], 1],
    ['runs with tails', [48, 3000], 0],
    ['per tensor, split run', [70003], undefined],
    ['Conv runs of 75', [16, 3, 5, 5], 0],
    ['middle axis runs of 80', [5, 7, 80], 1],
  ] as const) {
    for (const symmetric of [true, false]) {
      it.skipIf(!simdAvailable())(
        `agree with the JS loops: ${label}, ${symmetric ? 'symmetric' : 'asymmetric'}`,
        () => {
          const n = dims.reduce((a: number, b: number) => a * b, 1);
          const values = randomFloats(n, n % 97, 0.7);
          values[3] = 2.5; // an outlier channel
          const js = quantizeInt8(values, dims, { axis, symmetric, reduceRange: false, backend: 'js' });
          const simd = quantizeInt8(values, dims, { axis, symmetric, reduceRange: false, backend: 'simd' });
          expect(Array.from(simd.scales)).toEqual(Array.from(js.scales));
          expect(Array.from(simd.zeroPoints)).toEqual(Array.from(js.zeroPoints));
          // float32 vs float64 products may round differently within ~1e-7 of a tie: at most a stray element.
          let differing = 0;
          for (let i = 0; i < n; i++) {
            const d = Math.abs(simd.data[i]! - js.data[i]!);
            expect(d).toBeLessThanOrEqual(1);
            differing += d;
          }
          expect(differing).toBeLessThanOrEqual(Math.max(1, n * 1e-4));
        },
      );
    }
  }
});

describe('int8-weight on the fixtures', () => {
  const mlp = buildMlp({ inputSize: 64, hiddenSize: 256, outputSize: 16 });

  it('MLP: DequantizeLinear per output channel feeding the unchanged Gemm / MatMul', async () => {
    const r = await quantizeInMemory(method, mlp);
    expect(r.quantizedNodes).toBe(2);
    expect(r.skippedNodes).toEqual([]);
    const g = r.model.graph!;
    expect(g.node.map((n) => n.opType)).toEqual([
      'DequantizeLinear',
      'DequantizeLinear',
      'Gemm',
      'Relu',
      'MatMul',
      'Add',
    ]);
    const gemm = g.node.find((n) => n.opType === 'Gemm')!;
    const matmul = g.node.find((n) => n.opType === 'MatMul')!;
    const dqFor = (value: string) => dqNodes(r.model).find((n) => n.output[0] === value)!;
    // Gemm transB = 1: B is [N, K], channels on axis 0; MatMul B [K, N]: axis 1.
    expect(axisOf(dqFor(gemm.input[1]!))).toBe(0);
    expect(axisOf(dqFor(matmul.input[1]!))).toBe(1);
    for (const dq of dqNodes(r.model)) {
      expect(dq.domain).toBe('');
      expect(init(r.model, dq.input[0]!).dataType).toBe(DT.INT8);
      expect(init(r.model, dq.input[1]!).dataType).toBe(DT.FLOAT);
      expect(init(r.model, dq.input[2]!).dataType).toBe(DT.INT8);
    }
    expect(init(r.model, dqFor(gemm.input[1]!).input[1]!).dims).toEqual([256n]);
    expect(init(r.model, dqFor(matmul.input[1]!).input[1]!).dims).toEqual([16n]);
    // Biases stay float; the float weights are gone.
    expect(gemm.input[2]).toBe('fc1.bias');
    expect(init(r.model, 'fc1.bias').dataType).toBe(DT.FLOAT);
    expect(g.initializer.some((t) => t.name === 'fc1.weight' || t.name === 'fc2.weight')).toBe(false);
    // Symmetric: zero points are 0.
    expect(
      Array.from(decodeTensor(init(r.model, dqFor(gemm.input[1]!).input[2]!)).values as Int8Array).every(
        (z) => z === 0,
      ),
    ).toBe(true);
    const c = await expectAgreement(mlp, r.model, floatFeed('input', [64, 64], 1), {
      minCosine: 0.99,
      classes: 16,
    });
    expect(c).toBeGreaterThan(0.999);
  });

  it('MLP: weights shrink to 0.25-0.3x of their float32 bytes, the file to about a quarter', async () => {
    const r = await quantizeInMemory(method, mlp);
    const before = initializerBytes(mlp, (n) => n.endsWith('.weight'));
    const after = initializerBytes(
      r.model,
      (n) => n.includes('_quantized') || n.includes('_scale') || n.includes('_zero_point'),
    );
    expect(after / before).toBeGreaterThanOrEqual(0.25);
    expect(after / before).toBeLessThanOrEqual(0.3);
    expect(modelBytes(r.model).length / modelBytes(mlp).length).toBeLessThan(0.3);
  });

  it('CNN: Conv weights per output channel (axis 0), biases float', async () => {
    const cnn = buildCnn({ batch: 16 });
    const r = await quantizeInMemory(method, cnn);
    expect(r.quantizedNodes).toBe(3);
    expect(countOps(r.model, 'DequantizeLinear')).toBe(3);
    for (const conv of r.model.graph!.node.filter((n) => n.opType === 'Conv')) {
      const dq = dqNodes(r.model).find((n) => n.output[0] === conv.input[1])!;
      expect(axisOf(dq)).toBe(0);
      expect(init(r.model, conv.input[2]!).dataType).toBe(DT.FLOAT);
    }
    await expectAgreement(cnn, r.model, floatFeed('input', [16, 3, 16, 16], 2), {
      minCosine: 0.99,
      classes: 10,
    });
  });

  it('Constant-node weights become int8 initializers; the Constant node goes away', async () => {
    const model = buildConstantWeightModel();
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(1);
    const g = r.model.graph!;
    expect(g.node.some((n) => n.opType === 'Constant' && n.output[0] === 'const.weight')).toBe(false);
    expect(g.node.some((n) => n.opType === 'Constant' && n.output[0] === 'const.bias')).toBe(true);
    await expectAgreement(model, r.model, floatFeed('input', [32, 8], 3), { minCosine: 0.99, classes: 4 });
  });

  it('a weight feeding two MatMuls is quantized once and shared', async () => {
    const model = buildSharedWeightMlp();
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(3);
    expect(countOps(r.model, 'DequantizeLinear')).toBe(2);
    const [mm1, mm2] = r.model.graph!.node.filter((n) => n.name === 'mm1' || n.name === 'mm2');
    expect(mm1!.input[1]).toBe(mm2!.input[1]);
    await expectAgreement(model, r.model, floatFeed('input', [64, 64], 4), { minCosine: 0.99, classes: 16 });
  });

  it('a sparse-initializer weight is quantized to a dense int8 initializer', async () => {
    const model = buildSparseInitializerModel();
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(1);
    expect(r.model.graph!.sparseInitializer).toHaveLength(0);
    await expectAgreement(model, r.model, floatFeed('input', [16, 8], 5), { minCosine: 0.99 });
  });

  it('float16 weights of a float16 model: float16 scales at opset 19, a Cast below it', async () => {
    for (const opset of [17, 19]) {
      const model = buildFloat16Mlp(opset);
      const r = await quantizeInMemory(method, model);
      expect(r.quantizedNodes).toBe(2);
      const dq = dqNodes(r.model);
      expect(dq).toHaveLength(2);
      for (const d of dq)
        expect(init(r.model, d.input[1]!).dataType).toBe(opset >= 19 ? DT.FLOAT16 : DT.FLOAT);
      expect(countOps(r.model, 'Cast')).toBe(opset >= 19 ? 0 : 2);
      await expectAgreement(model, r.model, floatFeed('input', [64, 64], 6, 'float16'), {
        minCosine: 0.99,
        classes: 16,
        minTop1: 0.9,
      });
    }
  });

  it('float16 / bfloat16 weights behind a Cast to float: DequantizeLinear replaces the Cast', async () => {
    for (const weightDtype of ['float16', 'bfloat16'] as const) {
      const model = buildAttentionBlock({ weightDtype, batch: 2, seq: 8 });
      const r = await quantizeInMemory(method, model);
      expect(r.quantizedNodes).toBe(7);
      // The weights' Casts are gone (the biases' stay), and no float16 weight remains.
      const q = r.model.graph!.node.find((n) => n.name === 'layer0.q_proj')!;
      expect(dqNodes(r.model).some((d) => d.output[0] === q.input[1])).toBe(true);
      expect(r.model.graph!.initializer.some((t) => t.name === `layer0.q_proj.weight_${weightDtype}`)).toBe(
        false,
      );
      await expectAgreement(model, r.model, floatFeed('input', [2, 8, 64], 7), {
        minCosine: 0.99,
        classes: 16,
      });
    }
  });

  it('opset 11: per-channel DequantizeLinear comes from com.microsoft; the model opset is unchanged', async () => {
    const cnn = withOpset(buildCnn({ batch: 8 }), 11);
    const r = await quantizeInMemory(method, cnn);
    expect(dqNodes(r.model).every((n) => n.domain === 'com.microsoft')).toBe(true);
    const opsets = Object.fromEntries(r.model.opsetImport.map((o) => [o.domain, Number(o.version)]));
    expect(opsets).toEqual({ '': 11, 'com.microsoft': 1 });
    expect(r.notes.join('\n')).toMatch(/com\.microsoft DequantizeLinear/);
    await expectAgreement(cnn, r.model, floatFeed('input', [8, 3, 16, 16], 8), {
      minCosine: 0.99,
      classes: 10,
    });
    // Per tensor needs only opset 10: the standard op.
    const pt = await quantizeInMemory(method, cnn, { perTensor: true });
    expect(dqNodes(pt.model).every((n) => n.domain === '' && axisOf(n) === undefined)).toBe(true);
    expect(pt.model.opsetImport).toHaveLength(1);
    await expectAgreement(cnn, pt.model, floatFeed('input', [8, 3, 16, 16], 8), {
      minCosine: 0.99,
      classes: 10,
    });
  });

  it('opset-11 attention block (decomposed LayerNorm): weights quantized, activation MatMuls reported', async () => {
    const model = buildAttentionBlock({ opset: 11, batch: 2, seq: 8 });
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(7);
    expect(r.skippedNodes.map((s) => s.name).sort()).toEqual(['layer0_attn_v', 'layer0_qk']);
    expect(r.skippedNodes[0]!.reason).toMatch(/not a constant/);
    await expectAgreement(model, r.model, floatFeed('input', [2, 8, 64], 9), {
      minCosine: 0.99,
      classes: 16,
    });
  });

  it('--per-tensor, --asymmetric and --reduce-range', async () => {
    const pt = await quantizeInMemory(method, mlp, { perTensor: true });
    for (const d of dqNodes(pt.model)) {
      expect(axisOf(d)).toBeUndefined();
      expect(init(pt.model, d.input[1]!).dims).toEqual([]);
    }
    await expectAgreement(mlp, pt.model, floatFeed('input', [64, 64], 10), { minCosine: 0.99, classes: 16 });

    const asym = await quantizeInMemory(method, mlp, { asymmetric: true });
    const zps = dqNodes(asym.model).flatMap((d) =>
      Array.from(decodeTensor(init(asym.model, d.input[2]!)).values as Int8Array),
    );
    expect(zps.some((z) => z !== 0)).toBe(true);
    await expectAgreement(mlp, asym.model, floatFeed('input', [64, 64], 10), {
      minCosine: 0.99,
      classes: 16,
    });

    const rr = await quantizeInMemory(method, mlp, { reduceRange: true });
    const q = dqNodes(rr.model).flatMap((d) =>
      Array.from(decodeTensor(init(rr.model, d.input[0]!)).values as Int8Array),
    );
    expect(Math.max(...q)).toBeLessThanOrEqual(64);
    expect(Math.min(...q)).toBeGreaterThanOrEqual(-64);
    await expectAgreement(mlp, rr.model, floatFeed('input', [64, 64], 10), { minCosine: 0.99, classes: 16 });
  });

  it('honours --op-types and --exclude-nodes', async () => {
    const cnn = buildCnn();
    const convOnly = await quantizeInMemory(method, cnn, { opTypes: ['Conv'] });
    expect(convOnly.quantizedNodes).toBe(2);
    expect(convOnly.model.graph!.initializer.find((t) => t.name === 'fc.weight')?.dataType).toBe(DT.FLOAT);
    const excluded = await quantizeInMemory(method, cnn, { excludeNodes: ['conv2'] });
    expect(excluded.quantizedNodes).toBe(2);
    expect(excluded.skippedNodes).toEqual([
      { name: 'conv2', opType: 'Conv', reason: 'excluded by --exclude-nodes', option: '--exclude-nodes' },
    ]);
    expect(excluded.model.graph!.initializer.find((t) => t.name === 'conv2.weight')?.dataType).toBe(DT.FLOAT);
  });

  it('weights read inside an If branch: quantized in the outer graph, captured by the branch', async () => {
    const model = buildIfModel();
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(2);
    const feed = floatFeed('input', [8, 4], 11);
    for (const cond of [true, false]) {
      await expectAgreement(
        model,
        r.model,
        { ...feed, cond: new ort.Tensor('bool', [cond ? 1 : 0], []) },
        { minCosine: 0.99 },
      );
    }
  });

  it('IR < 4 models that list initializers as inputs: the weights are quantized and their input entries removed', async () => {
    const model = clone(ModelProtoSchema, mlp);
    model.irVersion = 3n;
    for (const t of model.graph!.initializer)
      model.graph!.input.push(makeValueInfo(t.name, DT.FLOAT, t.dims.map(Number)));
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(2);
    expect(r.model.graph!.input.map((i) => i.name)).toEqual(['input', 'fc1.bias', 'fc2.bias']);
    expect(r.notes.join('\n')).toMatch(/listed as graph inputs/);
    await expectAgreement(mlp, r.model, floatFeed('input', [16, 64], 12), { minCosine: 0.99 });
  });

  it('reports progress per node and stops on cancellation', async () => {
    const seen: number[] = [];
    await quantizeInMemory(method, buildCnn(), {}, {}, { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([0, 1, 2, 3]);
    for (const error of await cancellationErrors(method, buildCnn(), 1)) {
      expect(error).toMatchObject({ code: 'CANCELLED' });
    }
  });
});

describe('int8-weight through quantizeModel', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it('writes a smaller model that runs, with the recipe in metadata_props', async () => {
    const model = buildMlp({ inputSize: 64, hiddenSize: 256, outputSize: 16 });
    const input = path.join(tmp.dir, 'mlp.onnx');
    const output = path.join(tmp.dir, 'mlp.int8w.onnx');
    fs.writeFileSync(input, modelBytes(model));
    const report = await quantizeModel({
      input,
      output,
      method: 'int8-weight',
      common: { excludeNodes: ['fc2_matmul'] },
    });
    expect(report.method).toBe('int8-weight');
    expect(report.quantizedNodes).toBe(1);
    expect(report.skippedNodes).toEqual([
      {
        name: 'fc2_matmul',
        opType: 'MatMul',
        reason: 'excluded by --exclude-nodes',
        option: '--exclude-nodes',
      },
    ]);
    expect(report.outputBytes).toBeLessThan(report.inputBytes * 0.5);
    const loaded = await loadModel(output);
    const recipe = lastRecordedStep(loaded.proto);
    expect(recipe).toMatchObject({
      kind: 'quantize',
      method: 'int8-weight',
      common: { excludeNodes: ['fc2_matmul'] },
    });
    await expectAgreement(model, loaded.proto, floatFeed('input', [32, 64], 13), {
      minCosine: 0.99,
      classes: 16,
    });
  });
});
