import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { modelGraphOf } from '../inspect/model-graph.js';
import { buildBranchyGraph, NODES_PER_BLOCK } from './graph-fixtures.js';
import { modelBytes } from './model-fixtures.js';

describe('buildBranchyGraph', () => {
  it('has blocks x 10 main-graph nodes, Ifs with bodies, and runs in onnxruntime', async () => {
    const model = buildBranchyGraph({ blocks: 100 });
    const graph = modelGraphOf({
      proto: model,
      path: '/b.onnx',
      dir: '/',
      fileBytes: 0,
      externalDataBytes: 0,
    });
    expect(graph.mainNodes).toBe(100 * NODES_PER_BLOCK);
    expect(graph.totalNodes).toBe(100 * NODES_PER_BLOCK + 2);
    const session = await ort.InferenceSession.create(modelBytes(model));
    const input = new ort.Tensor('float32', new Float32Array(2 * 16).fill(0.1), [2, 16]);
    for (const gate of [true, false]) {
      const out = await session.run({ input, gate_on: new ort.Tensor('bool', [gate], []) });
      const values = out.output!.data as Float32Array;
      expect(values).toHaveLength(32);
      expect(values.every(Number.isFinite)).toBe(true);
    }
    await session.release();
  });
});
