import { TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeFloatTensor, makeNode, makeRawTensor, makeValueInfo } from '../onnx/graph-build.js';
import { int4Method } from '../quantize/methods/int4.js';
import { int8DynamicMethod } from '../quantize/methods/int8-dynamic.js';
import { int8WeightMethod } from '../quantize/methods/int8-weight.js';
import { buildTiedLm } from '../testing/tied-lm.js';
import { quantizeInMemory } from '../quantize/weight-only/test-support.js';
import { buildMlp, makeGraph } from '../testing/model-fixtures.js';
import { countParameters, parameterCount } from './parameter-count.js';

/*
 * Parameters of a quantized model are its weights' logical elements (the LM user test: int4's 322M-parameter
 * model read 202M, the packed bytes of its MatMulNBits weights plus their scales); scales and zero points are
 * counted apart.
 */

const K = 64;
const N = 16;
const BLOCK = 32;

/** x [1, K] -> MatMulNBits (4-bit, block 32, with zero points) -> + bias; w8 int8 [8, 4] -> DequantizeLinear. */
function quantizedGraph() {
  const blocks = K / BLOCK;
  return makeGraph('quantized', {
    nodes: [
      makeNode('MatMulNBits', ['x', 'w.packed', 'w.scales', 'w.zp'], ['y0'], {
        domain: 'com.microsoft',
        attributes: { K: { int: K }, N: { int: N }, bits: { int: 4 }, block_size: { int: BLOCK } },
      }),
      makeNode('Add', ['y0', 'bias'], ['y']),
      makeNode('DequantizeLinear', ['w8', 'w8.scale', 'w8.zp'], ['w8.float'], {
        attributes: { axis: { int: 1 } },
      }),
    ],
    inputs: [makeValueInfo('x', DT.FLOAT, [1, K])],
    outputs: [makeValueInfo('y', DT.FLOAT, [1, N]), makeValueInfo('w8.float', DT.FLOAT, [8, 4])],
    initializers: [
      // [N, blocks, block bytes]: two 4-bit weights a byte.
      makeRawTensor('w.packed', DT.UINT8, [N, blocks, BLOCK / 2], new Uint8Array((N * K) / 2)),
      makeFloatTensor('w.scales', [N * blocks], new Float32Array(N * blocks)),
      makeRawTensor('w.zp', DT.UINT8, [N], new Uint8Array(N)),
      makeFloatTensor('bias', [N], new Float32Array(N)),
      makeRawTensor('w8', DT.INT8, [8, 4], new Uint8Array(32)),
      makeFloatTensor('w8.scale', [4], new Float32Array(4)),
      makeRawTensor('w8.zp', DT.INT8, [4], new Uint8Array(4)),
    ],
  });
}

describe('parameters of quantized weights', () => {
  it('counts a MatMulNBits weight as K x N and a DequantizeLinear weight by its shape; scales and zero points apart', () => {
    const graph = quantizedGraph();
    expect(countParameters(graph)).toEqual({
      parameters: K * N + N + 8 * 4,
      quantizationParameters: N * 2 + N + 4 + 4,
    });
    expect(parameterCount(graph)).toBe(K * N + N + 8 * 4);
  });

  it('gives a float model no quantization parameters', () => {
    const mlp = buildMlp();
    expect(countParameters(mlp.graph!)).toEqual({
      parameters: 16 * 32 + 32 + 32 * 8 + 8,
      quantizationParameters: 0,
    });
  });

  it("keeps a tied LM's parameter count through int8-weight and int8-dynamic, their per-row scales apart", async () => {
    // The Gathers dequantize int8 rows with scales (and zero points) looked up per row: not more weights.
    const lm = buildTiedLm();
    const before = parameterCount(lm.graph!);
    for (const method of [int8WeightMethod, int8DynamicMethod])
      for (const asymmetric of [false, true]) {
        const q = await quantizeInMemory(method, lm, { asymmetric });
        expect(parameterCount(q.model.graph!), `${method.name} asymmetric ${asymmetric}`).toBe(before);
      }
  });

  it("keeps a model's parameter count through int4 and int8-dynamic", async () => {
    const mlp = buildMlp({ inputSize: 64, hiddenSize: 64 });
    const before = parameterCount(mlp.graph!);
    for (const method of [int4Method, int8DynamicMethod]) {
      const q = await quantizeInMemory(method, mlp);
      expect(q.model.graph!.node.some((n) => /MatMulNBits|DynamicQuantizeMatMul/.test(n.opType))).toBe(true);
      expect(parameterCount(q.model.graph!), method.name).toBe(before);
      expect(countParameters(q.model.graph!).quantizationParameters, method.name).toBeGreaterThan(0);
    }
  });
});
