import { fromBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { type ModelProto, ModelProtoSchema, type TensorProto, TensorProto_DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { randomOrtTensor } from './feeds-source.js';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildDeepMlp,
  buildMlp,
  buildSparseInitializerModel,
  concreteInputShape,
  modelBytes,
  mulberry32,
  randomFloats,
} from './model-fixtures.js';

function floats(t: TensorProto): Float32Array {
  expect(t.dataType).toBe(TensorProto_DataType.FLOAT);
  expect(t.floatData).toHaveLength(0);
  const raw = t.rawData;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

function initializer(model: ModelProto, name: string): Float32Array {
  const t = model.graph?.initializer.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return floats(t);
}

async function run(
  model: ModelProto,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(modelBytes(model));
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function floatInput(model: ModelProto, name: string, batch: number, seed: number): ort.Tensor {
  return randomOrtTensor(concreteInputShape(model, name, batch), seed);
}

describe('mulberry32', () => {
  it('is deterministic and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 100; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(mulberry32(1)()).not.toBe(mulberry32(2)());
  });
});

describe('model fixtures', () => {
  it('are deterministic and round-trip through protobuf', () => {
    for (const build of [
      buildMlp,
      buildCnn,
      buildConstantWeightModel,
      buildIfModel,
      buildSparseInitializerModel,
      () => buildDeepMlp({ layers: 3, width: 8 }),
    ]) {
      const a = modelBytes(build());
      expect(Buffer.from(a).equals(Buffer.from(modelBytes(build())))).toBe(true);
      const parsed = fromBinary(ModelProtoSchema, a);
      expect(parsed.irVersion).toBe(8n);
      expect(parsed.opsetImport.map((o) => [o.domain, o.version])).toEqual([['', 17n]]);
      expect(parsed.graph?.input.length).toBeGreaterThan(0);
      expect(parsed.graph?.output.length).toBeGreaterThan(0);
    }
  });

  it('deep MLP chains its layers and runs in onnxruntime', async () => {
    const model = buildDeepMlp({ layers: 4, width: 16 });
    expect(model.graph?.node.map((n) => n.opType)).toEqual(
      Array.from({ length: 4 }, () => ['MatMul', 'Add', 'Relu']).flat(),
    );
    const out = await run(model, { input: randomOrtTensor([2, 16], 5) });
    expect(out.output?.dims).toEqual([2, 16]);
    // Relu last: nothing negative, and not everything zero.
    const values = [...(out.output?.data as Float32Array)];
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeGreaterThan(0);
  });

  it('MLP matches a forward pass computed by hand', async () => {
    const model = buildMlp();
    const batch = 3;
    const x = randomFloats(batch * 16, 99);
    const out = await run(model, { input: new ort.Tensor('float32', x, [batch, 16]) });
    const logits = out.logits;
    expect(logits?.dims).toEqual([batch, 8]);

    const w1 = initializer(model, 'fc1.weight'); // [32, 16], used transposed
    const b1 = initializer(model, 'fc1.bias');
    const w2 = initializer(model, 'fc2.weight'); // [32, 8]
    const b2 = initializer(model, 'fc2.bias');
    const expected = new Float64Array(batch * 8);
    for (let n = 0; n < batch; n++) {
      const h = new Float64Array(32);
      for (let j = 0; j < 32; j++) {
        let s = b1[j]!;
        for (let k = 0; k < 16; k++) s += x[n * 16 + k]! * w1[j * 16 + k]!;
        h[j] = Math.max(0, s);
      }
      for (let o = 0; o < 8; o++) {
        let s = b2[o]!;
        for (let j = 0; j < 32; j++) s += h[j]! * w2[j * 8 + o]!;
        expected[n * 8 + o] = s;
      }
    }
    const actual = logits!.data as Float32Array;
    expect(actual).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(1e-5);
  });

  it('CNN runs on a 1x3x16x16 input', async () => {
    const model = buildCnn();
    expect(concreteInputShape(model, 'input')).toEqual([1, 3, 16, 16]);
    const out = await run(model, { input: floatInput(model, 'input', 1, 5) });
    expect(out.logits?.dims).toEqual([1, 10]);
    expect(Array.from(out.logits!.data as Float32Array).every(Number.isFinite)).toBe(true);
    const ops = model.graph!.node.map((n) => n.opType);
    expect(ops).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm']);
  });

  it('constant-weight model runs and uses Constant nodes for weights', async () => {
    const model = buildConstantWeightModel();
    expect(model.graph!.initializer).toHaveLength(0);
    const out = await run(model, { input: floatInput(model, 'input', 2, 6) });
    expect(out.output?.dims).toEqual([2, 4]);
    expect(model.graph!.node.filter((n) => n.opType === 'Constant')).toHaveLength(2);
  });

  it('If model runs both branches', async () => {
    const model = buildIfModel();
    const input = floatInput(model, 'input', 2, 7);
    const yes = await run(model, { input, cond: new ort.Tensor('bool', Uint8Array.of(1), []) });
    const no = await run(model, { input, cond: new ort.Tensor('bool', Uint8Array.of(0), []) });
    expect(yes.output?.dims).toEqual([2, 4]);
    expect(no.output?.dims).toEqual([2, 4]);
    expect(Array.from(yes.output!.data as Float32Array)).not.toEqual(
      Array.from(no.output!.data as Float32Array),
    );
  });

  it.each(['linear', 'coordinates'] as const)(
    'sparse-initializer model (%s indices) runs like its dense form',
    async (layout) => {
      const model = buildSparseInitializerModel({ indexLayout: layout });
      const sparse = model.graph!.sparseInitializer[0]!;
      expect(sparse.values?.name).toBe('sparse.weight');
      expect(sparse.indices?.dims.length).toBe(layout === 'linear' ? 1 : 2);
      const x = randomFloats(2 * 8, 8);
      const out = await run(model, { input: new ort.Tensor('float32', x, [2, 8]) });
      expect(out.output?.dims).toEqual([2, 6]);

      // The same product computed from the densified weights.
      const values = floats(sparse.values!);
      const idx = sparse.indices!.rawData;
      const iv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
      const dense = new Float32Array(48);
      values.forEach((v, e) => {
        const linear =
          layout === 'linear'
            ? Number(iv.getBigInt64(e * 8, true))
            : Number(iv.getBigInt64(e * 16, true)) * 6 + Number(iv.getBigInt64(e * 16 + 8, true));
        dense[linear] = v;
      });
      expect(values.length).toBeGreaterThan(0);
      expect(values.length).toBeLessThan(48);
      const bias = initializer(model, 'dense.bias');
      const actual = out.output!.data as Float32Array;
      for (let n = 0; n < 2; n++) {
        for (let o = 0; o < 6; o++) {
          let s = bias[o]!;
          for (let k = 0; k < 8; k++) s += x[n * 8 + k]! * dense[k * 6 + o]!;
          expect(Math.abs(actual[n * 6 + o]! - s)).toBeLessThan(1e-5);
        }
      }
    },
  );
});
