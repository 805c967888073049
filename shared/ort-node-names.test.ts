import { describe, expect, it } from 'vitest';
import {
  activationFusedInto,
  fusedChain,
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

describe('the nodes onnxruntime runs as one kernel', () => {
  type N = { name: string; op: string; inputs: string[]; output: string };
  const chainOf = (nodes: N[], last: string) => {
    const producer = new Map(nodes.map((n) => [n.output, n]));
    const reads = (t: string) => nodes.flatMap((n) => n.inputs).filter((i) => i === t).length;
    return fusedChain(
      nodes.find((n) => n.name === last)!,
      {
        opType: (n) => n.op,
        inputs: (n) => n.inputs,
        output: (n) => n.output,
        producer: (t) => producer.get(t),
        readers: reads,
      },
    ).map((n) => n.name);
  };
  const n = (name: string, op: string, inputs: string[]): N => ({ name, op, inputs, output: name });

  it('follows a Relu back through the BatchNormalization to its Conv, and a residual Add through either input', () => {
    const nodes = [
      n('conv', 'Conv', ['x', 'w']),
      n('bn', 'BatchNormalization', ['conv', 's', 'b', 'm', 'v']),
      n('relu', 'Relu', ['bn']),
      n('conv2', 'Conv', ['relu', 'w2']),
      n('add', 'Add', ['relu', 'conv2']),
    ];
    expect(chainOf(nodes, 'relu')).toEqual(['conv', 'bn', 'relu']);
    // The Add's first input is read twice (by conv2 too): it follows the second, the Conv it ends.
    expect(chainOf(nodes, 'add')).toEqual(['conv2', 'add']);
    expect(chainOf(nodes, 'conv')).toEqual(['conv']);
  });

  it('stops where a tensor has another reader: onnxruntime keeps it', () => {
    const nodes = [
      n('conv', 'Conv', ['x', 'w']),
      n('bn', 'BatchNormalization', ['conv', 's', 'b', 'm', 'v']),
      n('relu', 'Relu', ['bn']),
      n('tap', 'Identity', ['conv']),
    ];
    expect(chainOf(nodes, 'relu')).toEqual(['bn', 'relu']);
  });
});
