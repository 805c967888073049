import { fromBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { type ModelProto, ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { valueInfo } from '../onnx/graph.js';
import { modelBytes, randomFloats } from './model-fixtures.js';
import {
  buildAttentionBlock,
  buildSharedWeightAttention,
  buildTransformerEncoder,
  projectionNodeNames,
} from './transformer-fixtures.js';

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function run(model: ModelProto, batch: number, seq: number, hidden = 64): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelBytes(model), { logSeverityLevel: 3 });
  sessions.push(session);
  const input = new ort.Tensor('float32', randomFloats(batch * seq * hidden, 3, 1.5), [batch, seq, hidden]);
  const out = await session.run({ input });
  expect(out.logits!.dims).toEqual([batch, seq, 16]);
  return out.logits!.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('transformer fixtures', () => {
  it('are deterministic and round-trip through protobuf', () => {
    for (const build of [buildAttentionBlock, buildSharedWeightAttention]) {
      const a = modelBytes(build());
      expect(Buffer.from(a).equals(Buffer.from(modelBytes(build())))).toBe(true);
      expect(fromBinary(ModelProtoSchema, a).graph?.node.length).toBeGreaterThan(20);
    }
  });

  it('have the attention structure, symbolic batch/seq dims and named projections', () => {
    const m = buildAttentionBlock();
    const ops = m.graph!.node.map((n) => n.opType);
    for (const op of ['MatMul', 'Softmax', 'Transpose', 'Reshape', 'LayerNormalization', 'Erf', 'Add']) {
      expect(ops).toContain(op);
    }
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(9);
    const names = new Set(m.graph!.node.map((n) => n.name));
    for (const n of projectionNodeNames(1)) expect(names.has(n)).toBe(true);
    expect(valueInfo(m.graph!, 'input')?.shape).toEqual(['batch', 'seq', 64]);
    expect(valueInfo(m.graph!, 'logits')?.shape).toEqual(['batch', 'seq', 16]);
  });

  it('runs in onnxruntime with any batch and sequence length', async () => {
    const m = buildAttentionBlock();
    const a = await run(m, 1, 5);
    const b = await run(m, 3, 11);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(b.every(Number.isFinite)).toBe(true);
  });

  it('decomposed LayerNorm, opset 11/18, Constant-node and half-precision storage compute the same function', async () => {
    const reference = await run(buildAttentionBlock(), 2, 7);
    expect(
      maxAbsDiff(reference, await run(buildAttentionBlock({ layerNorm: 'decomposed' }), 2, 7)),
    ).toBeLessThan(1e-4);
    expect(maxAbsDiff(reference, await run(buildAttentionBlock({ opset: 11 }), 2, 7))).toBeLessThan(1e-4);
    expect(
      maxAbsDiff(reference, await run(buildAttentionBlock({ opset: 18, layerNorm: 'decomposed' }), 2, 7)),
    ).toBeLessThan(1e-4);
    expect(
      maxAbsDiff(reference, await run(buildAttentionBlock({ weightStorage: 'constant-node' }), 2, 7)),
    ).toBe(0);
    // float16 weights round the values: close, not equal.
    const half = buildAttentionBlock({ weightDtype: 'float16' });
    expect(half.graph!.initializer.some((t) => t.dataType === TensorProto_DataType.FLOAT16)).toBe(true);
    expect(half.graph!.node.filter((n) => n.opType === 'Cast').length).toBeGreaterThan(10);
    expect(maxAbsDiff(reference, await run(half, 2, 7))).toBeLessThan(0.05);
    expect(
      maxAbsDiff(reference, await run(buildAttentionBlock({ weightDtype: 'bfloat16' }), 2, 7)),
    ).toBeLessThan(0.3);
  });

  it('shares the Q weight between the Q and K projections in the shared-weight variant', () => {
    const m = buildSharedWeightAttention();
    const readers = m.graph!.node.filter((n) => n.input.includes('layer0.q_proj.weight')).map((n) => n.name);
    expect(readers).toEqual(['layer0.q_proj', 'layer0.k_proj']);
    expect(m.graph!.initializer.some((t) => t.name === 'layer0.k_proj.weight')).toBe(false);
  });

  it('builds a MatMul-heavy multi-layer encoder for benchmarks', () => {
    const m = buildTransformerEncoder({ layers: 2 });
    const weights = m.graph!.initializer.filter((t) => t.name.endsWith('.weight') && t.dims.length === 2);
    expect(weights).toHaveLength(2 * 6 + 1);
    const params = weights.reduce((s, t) => s + t.dims.reduce((a, b) => a * Number(b), 1), 0);
    expect(params).toBe(2 * (4 * 384 * 384 + 2 * 384 * 1536) + 384 * 384);
    expect(m.graph!.node.filter((n) => n.opType === 'MatMul')).toHaveLength(2 * 8 + 1);
  });
});
