import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../onnx/load-model.js';
import { feedsSource, randomOrtTensor } from '../../testing/feeds-source.js';
import { buildConvNet, convNetInputShape } from '../../testing/conv-fixtures.js';
import { buildMlp, modelBytes } from '../../testing/model-fixtures.js';
import { makeTempDir } from '../../testing/temp-dir.js';
import { quantizeModel } from '../quantize-model.js';
import '../all-methods.js';

// buildMlp: fc1 (Gemm) -> relu1 (Relu) -> fc2_matmul (MatMul) -> fc2_add (Add); onnxruntime's pre-optimization
// makes fc2_matmul + fc2_add one Gemm, `fc2_matmul/MatMulAddFusion`.

describe('int8-static: an excluded node the pre-optimization fuses into another', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());
  const input = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(input, modelBytes(buildMlp()));
  const calibration = () => feedsSource([0, 1, 2].map((seed) => ({ input: randomOrtTensor([1, 16], seed) })));

  /** The fused Gemm of the output, and whether its weight is read through a DequantizeLinear (int8). */
  async function fusedGemm(file: string) {
    const graph = (await loadModel(file)).proto.graph!;
    const gemm = graph.node.find((n) => n.name === 'fc2_matmul/MatMulAddFusion');
    const weightDequantized = graph.node.some(
      (n) => n.opType === 'DequantizeLinear' && n.output[0] === gemm?.input[1],
    );
    return { gemm, weightDequantized };
  }

  it('keeps the node it became float, says so, and writes a model onnxruntime runs', async () => {
    const plain = path.join(tmp.dir, 'plain.onnx');
    await quantizeModel({ input, output: plain, method: 'int8-static', calibration: calibration() });
    expect(await fusedGemm(plain)).toMatchObject({ gemm: expect.anything(), weightDequantized: true });

    const output = path.join(tmp.dir, 'excluded.onnx');
    const report = await quantizeModel({
      input,
      output,
      method: 'int8-static',
      common: { excludeNodes: ['fc2_add'] },
      calibration: calibration(),
    });
    expect(report.notes).toContain(
      "--exclude-nodes names 'fc2_add' (Add), which the pre-optimization before quantization fused into " +
        "'fc2_matmul/MatMulAddFusion' (Gemm): that node is kept float instead.",
    );
    expect(await fusedGemm(output)).toMatchObject({ gemm: expect.anything(), weightDequantized: false });
    // The row says which name the user gave: 'excluded' beside a Gemm nobody named read as a mistake.
    expect(report.skippedNodes).toContainEqual(
      expect.objectContaining({
        opType: 'Gemm',
        reason: "excluded by --exclude-nodes (as 'fc2_add', fused into it)",
      }),
    );
    // The other layer is still quantized, and the model runs.
    const session = await ort.InferenceSession.create(output);
    const result = await session.run({ input: randomOrtTensor([2, 16], 9) });
    expect(result.logits?.dims).toEqual([2, 8]);
    await session.release();
  });

  it('says nothing more for an excluded node the pre-optimization leaves alone', async () => {
    const report = await quantizeModel({
      input,
      output: path.join(tmp.dir, 'fc1.onnx'),
      method: 'int8-static',
      common: { excludeNodes: ['fc1'] },
      calibration: calibration(),
    });
    expect(report.notes.join('\n')).not.toMatch(/fused into|removed from the graph/);
  });

  it('follows a BatchNormalization folded into its Conv: the Conv stays float', async () => {
    const conv = path.join(tmp.dir, 'conv.onnx');
    fs.writeFileSync(conv, modelBytes(buildConvNet()));
    const shape = [1, ...convNetInputShape()];
    const output = path.join(tmp.dir, 'conv-excluded.onnx');
    const report = await quantizeModel({
      input: conv,
      output,
      method: 'int8-static',
      common: { excludeNodes: ['sep.pw_bn'] },
      calibration: feedsSource([0, 1].map((seed) => ({ input: randomOrtTensor(shape, seed) }))),
    });
    expect(report.notes).toContain(
      "--exclude-nodes names 'sep.pw_bn' (BatchNormalization), which the pre-optimization before quantization " +
        "fused into 'sep.pw' (Conv): that node is kept float instead.",
    );
    const graph = (await loadModel(output)).proto.graph!;
    const pw = graph.node.find((n) => n.name === 'sep.pw')!;
    expect(graph.node.some((n) => n.opType === 'DequantizeLinear' && n.output[0] === pw.input[1])).toBe(
      false,
    );
    // The other convs are quantized.
    const dw = graph.node.find((n) => n.name === 'sep.dw')!;
    expect(graph.node.some((n) => n.opType === 'DequantizeLinear' && n.output[0] === dw.input[1])).toBe(true);
  });

  it('says an excluded node it would not quantize anyway stays float, where no pre-optimization fuses it', async () => {
    const conv = path.join(tmp.dir, 'conv-noopt.onnx');
    fs.writeFileSync(conv, modelBytes(buildConvNet()));
    const report = await quantizeModel({
      input: conv,
      output: path.join(tmp.dir, 'conv-noopt.int8.onnx'),
      method: 'int8-static',
      options: { optimize: false },
      common: { excludeNodes: ['sep.pw_bn', 'sep.pw'] },
      calibration: feedsSource(
        [0, 1].map((seed) => ({ input: randomOrtTensor([1, ...convNetInputShape()], seed) })),
      ),
    });
    expect(report.notes).toContain(
      "--exclude-nodes names 'sep.pw_bn' (BatchNormalization), which int8-static does not quantize: it stays float anyway.",
    );
    // The Conv it would quantize gets no such note.
    expect(report.notes.join('\n')).not.toMatch(/names 'sep\.pw' /);
  });
});
