/**
 * Quantizing a model that is already quantized is refused (BAD_INPUT, nothing written) for every method: int8-static
 * stacked a second Q/DQ layer on the first, and the other methods wrote a larger copy that quantized nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { saveModel } from '../onnx/save-model.js';
import { buildConvNet, convNetInputShape, convNetSamples } from '../testing/conv-fixtures.js';
import { feedsSource } from '../testing/feeds-source.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { quantizeModel } from './quantize-model.js';
import { isQuantizationOp } from './quantized-input.js';
import './all-methods.js';

let tmp: ReturnType<typeof makeTempDir>;
let float: string;
const calibration = () => {
  const shape = [1, ...convNetInputShape()];
  return feedsSource(
    convNetSamples(4, { seed: 3 }).map((x) => ({ input: new ort.Tensor('float32', x, shape) })),
  );
};

beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-quantized-input-');
  float = path.join(tmp.dir, 'conv.onnx');
  await saveModel(buildConvNet(), float);
});
afterAll(() => tmp.cleanup());

describe('an already-quantized input', () => {
  it('names the quantization ops: Q/DQ, int8 kernels and block-quantized weights', () => {
    for (const op of [
      'QuantizeLinear',
      'DequantizeLinear',
      'QLinearConv',
      'QLinearSoftmax',
      'MatMulNBits',
      'DynamicQuantizeMatMul',
      'MatMulInteger',
    ]) {
      expect(isQuantizationOp(op), op).toBe(true);
    }
    for (const op of ['Conv', 'MatMul', 'Gemm', 'Cast', 'Quantize'])
      expect(isQuantizationOp(op), op).toBe(false);
  });

  for (const [first, calibrated] of [
    ['int8-static', true],
    ['int8-dynamic', false],
  ] as const) {
    it(`is refused by every method when it is an ${first} output, writing nothing`, async () => {
      const quantized = path.join(tmp.dir, `conv.${first}.onnx`);
      await quantizeModel({
        input: float,
        output: quantized,
        method: first,
        ...(calibrated ? { calibration: calibration() } : {}),
      });
      for (const method of ['int8-static', 'int8-dynamic', 'int8-weight', 'int4', 'fp16']) {
        const output = path.join(tmp.dir, `again.${first}.${method}.onnx`);
        const error = await quantizeModel({
          input: quantized,
          output,
          method,
          ...(method === 'int8-static' ? { calibration: calibration() } : {}),
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${first} then ${method}`).toBeInstanceOf(StudioError);
        expect((error as StudioError).code).toBe('BAD_INPUT');
        expect((error as StudioError).message).toMatch(/is already quantized \(it has \d+ \w+/);
        expect((error as StudioError).message).toMatch(/Start from the float model/);
        expect(fs.existsSync(output)).toBe(false);
      }
    });
  }
});
