import { describe, expect, it } from 'vitest';
import type { BenchProfile } from '../../../shared/bench.js';
import { buildConvNet } from '../testing/conv-fixtures.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { fusedWriters, nameBlockedKernels } from './kernel-nodes.js';

describe('the node a blocked-layout kernel ran', () => {
  it('follows the ops onnxruntime fuses into a node back to it (a Relu into a Gemm, a bias Add into its MatMul)', () => {
    const writers = fusedWriters(buildMlp());
    expect(Object.fromEntries(writers)).toEqual({
      'fc1.out': 'fc1',
      'relu1.out': 'fc1',
      'fc2.matmul': 'fc2_matmul',
      logits: 'fc2_matmul',
    });
  });

  it('names the Conv a Conv + BatchNormalization + Relu kernel ran, and leaves other kernels as they are', () => {
    const model = buildConvNet();
    const writers = fusedWriters(model);
    const relu = model.graph!.node.find((n) => n.name === 'sep.pw_relu')!;
    const kernels: Pick<BenchProfile, 'topNodes' | 'nodes'> = {
      topNodes: [{ name: `${relu.output[0]}_nchwc`, opType: 'Conv', ms: 1 }],
      nodes: [
        { name: `${relu.output[0]}_nchwc`, opType: 'Conv', ms: 1 },
        { name: 'ReorderOutput', opType: 'ReorderOutput', ms: 0.1 },
        { name: 'nowhere_nchwc', opType: 'Conv', ms: 0.1 },
      ],
    };
    const profile = nameBlockedKernels(kernels, writers);
    expect(profile.topNodes[0]).toEqual({
      name: `${relu.output[0]}_nchwc`,
      opType: 'Conv',
      ms: 1,
      node: 'sep.pw',
    });
    expect(profile.nodes!.map((n) => n.node)).toEqual(['sep.pw', undefined, undefined]);
  });
});
