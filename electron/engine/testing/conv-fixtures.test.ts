import { toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { graphProblems, valueInfo } from '../onnx/graph.js';
import {
  buildConvNet,
  buildOcrLineNet,
  convNetConvNames,
  convNetInputShape,
  convNetSamples,
} from './conv-fixtures.js';
import { randomOrtTensor } from './feeds-source.js';

async function run(
  model: ReturnType<typeof buildConvNet>,
  input: Float32Array,
  shape: number[],
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, model));
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, shape) });
    return out.logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('conv fixtures', () => {
  it('builds the small CNN: Conv+BN+Relu blocks, a residual Add, a depthwise-separable block, GAP+Flatten+Gemm', async () => {
    const model = buildConvNet();
    const graph = model.graph!;
    expect(graphProblems(graph)).toEqual([]);
    const ops = graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(5);
    expect(ops.filter((o) => o === 'BatchNormalization')).toHaveLength(5);
    expect(ops).toContain('Add');
    expect(ops).toContain('MaxPool');
    expect(ops.slice(-3)).toEqual(['GlobalAveragePool', 'Flatten', 'Gemm']);
    expect(graph.node.filter((n) => n.opType === 'Conv').map((n) => n.name)).toEqual(
      convNetConvNames('small'),
    );
    const dw = graph.node.find((n) => n.name === 'sep.dw')!;
    expect(Number(dw.attribute.find((a) => a.name === 'group')!.i)).toBe(8);
    const [c, h, w] = convNetInputShape('small');
    const logits = await run(model, convNetSamples(1)[0]!, [1, c, h, w]);
    expect(logits).toHaveLength(10);
    expect(logits.every(Number.isFinite)).toBe(true);
  });

  it('builds the large variant (3x64x64, 8 convs of 32-64 channels) at a chosen opset and batch', async () => {
    const model = buildConvNet({ variant: 'large', opset: 11, batch: 2, numClasses: 5 });
    expect(Number(model.opsetImport[0]!.version)).toBe(11);
    const convs = model.graph!.node.filter((n) => n.opType === 'Conv');
    expect(convs.map((n) => n.name)).toEqual(convNetConvNames('large'));
    const widths = convs.map((n) =>
      Number(model.graph!.initializer.find((t) => t.name === n.input[1])!.dims[0]),
    );
    expect(Math.min(...widths)).toBe(32);
    expect(Math.max(...widths)).toBe(64);
    const samples = convNetSamples(2, { variant: 'large' });
    const input = new Float32Array(2 * 3 * 64 * 64);
    input.set(samples[0]!, 0);
    input.set(samples[1]!, 3 * 64 * 64);
    const logits = await run(model, input, [2, 3, 64, 64]);
    expect(logits).toHaveLength(10);
  });

  it('builds the OCR line net, pooled between stages, declaring the output shape onnxruntime computes', async () => {
    const cases = [
      { model: buildOcrLineNet(), ops: ['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'ReduceMean'] },
      {
        model: buildOcrLineNet({ height: 16, width: 16, channels: [8] }),
        ops: ['Conv', 'Relu', 'ReduceMean'],
      },
    ];
    for (const { model, ops } of cases) {
      const graph = model.graph!;
      expect(graphProblems(graph)).toEqual([]);
      expect(graph.node.map((n) => n.opType)).toEqual(ops);
      const session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, model));
      try {
        const x = randomOrtTensor(valueInfo(graph, 'x')!.shape as number[], 1);
        expect((await session.run({ x })).y!.dims).toEqual(valueInfo(graph, 'y')!.shape);
      } finally {
        await session.release();
      }
    }
    expect(valueInfo(cases[0]!.model.graph!, 'y')!.shape).toEqual([1, 16, 1, 100]);
  });

  it('is deterministic for a seed', () => {
    const a = toBinary(ModelProtoSchema, buildConvNet({ seed: 3 }));
    const b = toBinary(ModelProtoSchema, buildConvNet({ seed: 3 }));
    const c = toBinary(ModelProtoSchema, buildConvNet({ seed: 4 }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    expect(convNetSamples(3, { seed: 5 })).toEqual(convNetSamples(3, { seed: 5 }));
  });
});
