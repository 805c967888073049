import { describe, expect, it } from 'vitest';
import {
  activationFusedInto,
  fusedFrom,
  mayBecome,
  indexByOriginalName,
  nchwcOutputOf,
  originalNodeName,
  qdqKernelFrom,
  unnamedNodeIndex,
} from './ort-node-names.js';

describe("onnxruntime's names for rewritten nodes", () => {
  it('traces a fusion, a QDQ kernel and an NCHWc node back to what they came from', () => {
    expect(fusedFrom('/layer1/MatMul/MatMulAddFusion')).toBe('/layer1/MatMul');
    expect(fusedFrom('conv1/ConvReluFusion')).toBe('conv1');
    expect(fusedFrom('conv1')).toBeUndefined();
    expect(fusedFrom('/Fusion')).toBeUndefined();
    expect(fusedFrom('a/b/Fused')).toBeUndefined();
    // GemmActivationFusion's FusedGemm of Gemm fc1 and its Relu.
    expect(fusedFrom('fused fc1')).toBe('fc1');
    expect(activationFusedInto('fused /l1/Gemm')).toBe('/l1/Gemm');
    expect(activationFusedInto('fused ')).toBeUndefined();
    expect(activationFusedInto('fc1')).toBeUndefined();
    expect(originalNodeName('fused fc1')).toBe('fc1');
    expect(mayBecome('Gemm', 'FusedGemm')).toBe(true);
    expect(mayBecome('Relu', 'FusedGemm')).toBe(false);
    expect(qdqKernelFrom('conv1_token_12')).toBe('conv1');
    expect(originalNodeName('/l1/MatMul/MatMulAddFusion')).toBe('/l1/MatMul');
    expect(originalNodeName('/l1/MatMul/MatMulAddFusion_token_3')).toBe('/l1/MatMul');
    expect(originalNodeName('conv1_token_12')).toBe('conv1_token_12');
    expect(originalNodeName('conv1')).toBe('conv1');
    expect(qdqKernelFrom('_token_12')).toBeUndefined();
    expect(qdqKernelFrom('conv1_token_')).toBeUndefined();
    expect(nchwcOutputOf('relu1_out_nchwc')).toBe('relu1_out');
    expect(nchwcOutputOf('_nchwc')).toBeUndefined();
    expect(nchwcOutputOf('nchwc')).toBeUndefined();
    expect(unnamedNodeIndex('ReduceMean_9', 'ReduceMean')).toBe(9);
    expect(unnamedNodeIndex('ReduceMean_9', 'Transpose')).toBeUndefined();
    expect(unnamedNodeIndex('ReduceMean_9b', 'ReduceMean')).toBeUndefined();
    expect(unnamedNodeIndex('ReduceMean_', 'ReduceMean')).toBeUndefined();
  });

  it("indexes a fused node under its original's name only where no node keeps that name", () => {
    const nodes = ['a/MatMulAddFusion', 'b', 'b/ConvActivationFusion', 'c/GeluFusion', 'c/BiasGeluFusion'];
    const byName = new Map(nodes.filter((n) => !n.includes('/')).map((n) => [n, n]));
    indexByOriginalName(nodes, (n) => n, byName);
    expect(byName.get('a')).toBe('a/MatMulAddFusion');
    expect(byName.get('b')).toBe('b');
    // Of two fusions named after one node, the first in graph order stands for it.
    expect(byName.get('c')).toBe('c/GeluFusion');
  });
});
