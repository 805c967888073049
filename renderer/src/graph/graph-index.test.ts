/**
 * The types the Graph view's node details show: declared ones, weights', and those worked out from the node
 * that writes a value, which an int8-static variant's added tensors need (the quantizer declares none).
 */
import { describe, expect, it } from 'vitest';
import type { ModelGraph } from '../../../shared/model-graph.js';
import { node } from '../host/mock-graph.js';
import { indexGraph, knownType } from './graph-index.js';

const weight = (dtype: string, shape: number[]) => ({ dtype, shape, bytes: 4 });

/**
 * The int8-static conv2 of an OCR net, as the variant's file has it: x (declared) -> MaxPool -> Q/DQ ->
 * Conv reading its weight and bias through DequantizeLinear -> `br_prequant` -> Q/DQ -> `br` -> ReduceMean.
 */
const model = {
  path: '/ocr.int8-static.onnx',
  graph: {
    inputs: ['x'],
    outputs: ['y'],
    values: { x: { dtype: 'float32', shape: [null, 3, 48, null] } },
    weights: {
      'c2.w_quantized': weight('int8', [16, 8, 3, 3]),
      'c2.w_scale': weight('float32', [16]),
      'c2.b_quantized': weight('int32', [16]),
      'c2.b_scale': weight('float32', [16]),
      p_scale: weight('float32', []),
      p_zero_point: weight('uint8', []),
      half_scale: weight('float16', []),
    },
    nodes: [
      node('0', 'MaxPool', 'pool', ['x'], ['p']),
      node('1', 'QuantizeLinear', 'p_q', ['p', 'p_scale', 'p_zero_point'], ['p_quantized']),
      node('2', 'DequantizeLinear', 'p_dq', ['p_quantized', 'p_scale', 'p_zero_point'], ['p_dequantized']),
      node('3', 'DequantizeLinear', 'w_dq', ['c2.w_quantized', 'c2.w_scale'], ['c2.w_dequantized']),
      node('4', 'DequantizeLinear', 'b_dq', ['c2.b_quantized', 'c2.b_scale'], ['c2.b_dequantized']),
      node('5', 'Conv', 'conv2', ['p_dequantized', 'c2.w_dequantized', 'c2.b_dequantized'], ['br_prequant']),
      node('6', 'Relu', 'relu', ['x'], ['rx']),
      node('7', 'Cast', 'to_half', ['rx'], ['rh'], [{ name: 'to', value: '10' }]),
      node('8', 'DequantizeLinear', 'h_dq', ['p_quantized', 'half_scale'], ['ph']),
      node('9', 'Custom', 'mystery', ['x'], ['m']),
    ],
  },
} as unknown as ModelGraph;

describe('knownType', () => {
  const index = indexGraph(model);
  const typeOf = (nodeId: string, name: string) => knownType(index.nodes.get(nodeId), model, index, name);

  it('gives declared types and weights as they are', () => {
    expect(typeOf('0', 'x')).toEqual({ dtype: 'float32', shape: [null, 3, 48, null], declared: true });
    expect(typeOf('3', 'c2.w_quantized')).toEqual({ dtype: 'int8', shape: [16, 8, 3, 3], declared: true });
  });

  it("works out a quantizer's tensors from the node that writes them", () => {
    // A dequantized weight: its scale's type at the quantized weight's shape.
    expect(typeOf('5', 'c2.w_dequantized')).toEqual({
      dtype: 'float32',
      shape: [16, 8, 3, 3],
      declared: false,
    });
    expect(typeOf('5', 'c2.b_dequantized')).toEqual({ dtype: 'float32', shape: [16], declared: false });
    // A quantized activation: the zero point's type; its shape is MaxPool's, which the model does not record.
    expect(typeOf('1', 'p_quantized')).toEqual({ dtype: 'uint8', declared: false });
    expect(typeOf('5', 'p_dequantized')).toEqual({ dtype: 'float32', declared: false });
    // The Conv's renamed output: its input's type.
    expect(typeOf('5', 'br_prequant')).toEqual({ dtype: 'float32', declared: false });
    // Elementwise ops keep the shape, a Cast says its type, a float16 scale makes float16.
    expect(typeOf('6', 'rx')).toEqual({ dtype: 'float32', shape: [null, 3, 48, null], declared: false });
    expect(typeOf('7', 'rh')).toEqual({ dtype: 'float16', shape: [null, 3, 48, null], declared: false });
    expect(typeOf('8', 'ph')).toEqual({ dtype: 'float16', declared: false });
  });

  it('gives no shape for a value declared without one: its empty dims are not a scalar', () => {
    const shapeless = {
      path: '/if.onnx',
      graph: {
        inputs: ['s'],
        outputs: ['yt'],
        values: {
          s: { dtype: 'float32', shape: [] },
          yt: { dtype: 'float32', shape: [], rankUnknown: true },
        },
        weights: {},
        nodes: [node('0', 'MatMul', 'then_mm', ['s', 's'], ['yt'])],
      },
    } as unknown as ModelGraph;
    const at = indexGraph(shapeless);
    const of = (name: string) => knownType(at.nodes.get('0'), shapeless, at, name);
    expect(of('yt')).toEqual({ dtype: 'float32', declared: true });
    expect(of('s')).toEqual({ dtype: 'float32', shape: [], declared: true });
  });

  it('says nothing where nothing tells', () => {
    expect(typeOf('9', 'm')).toBeUndefined();
    expect(typeOf('0', 'nowhere')).toBeUndefined();
  });
});
