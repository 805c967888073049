import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { runFailure } from './run-failure.js';

describe('runFailure', () => {
  const fed = [
    { name: 'audio', dtype: 'float32', shape: [1, 100] },
    { name: 'sr', dtype: 'int64', shape: [1] },
  ];

  it("names what was fed and the failing node, without onnxruntime's C++ location", () => {
    const ort = new Error(
      "Non-zero status code returned while running Reshape node. Name:'frame' Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/tensor/reshape_helper.h:84 onnxruntime::ReshapeHelper::ReshapeHelper(const onnxruntime::TensorShape&, onnxruntime::TensorShapeVector&, bool) size != 0 && (input_shape_size % size) == 0 was false. The input tensor cannot be reshaped to the requested shape. Input shape:{1,100}, requested shape:{-1,64}",
    );
    const error = runFailure(ort, fed, 'speech.onnx');
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toBe(
      "speech.onnx could not run on the inputs it was given (audio float32 [1, 100], sr int64 [1]). Node 'frame' (Reshape) failed: The input tensor cannot be reshaped to the requested shape. Input shape:{1,100}, requested shape:{-1,64}. The input shapes or values probably do not fit the model.",
    );
    // Where to set them is each surface's own: the CLI's flags travel apart from the message, never to the app.
    expect(error.message).not.toMatch(/--shape|CLI/);
    expect(error.cliHint).toBe('Set them with --shape, --dim and --value, or use data of the right shape.');
    expect(error.toInfo()).not.toHaveProperty('cliHint');
    expect(error.detail).toMatch(/reshape_helper\.h:84/);
  });

  it('says the run ran out of memory where onnxruntime reports bad_alloc, instead of blaming the shapes', () => {
    const error = runFailure(new Error('std::bad_alloc'), fed, 'Calibration sample 0');
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toMatch(
      /^Calibration sample 0 ran out of memory on the inputs it was given \(audio float32 \[1, 100\], sr int64 \[1\]\)/,
    );
    expect(error.message).toMatch(/\(std::bad_alloc\)/);
    expect(error.message).not.toMatch(/do not fit the model/);
  });

  it('names an unnamed node by its op type', () => {
    const ort = new Error(
      "Non-zero status code returned while running Reshape node. Name:'' Status Message: The input tensor cannot be reshaped to the requested shape.",
    );
    expect(runFailure(ort, fed, 'speech.onnx').message).toContain(
      'A Reshape node (unnamed) failed: The input tensor cannot be reshaped',
    );
  });

  it('keeps our own typed errors as they are', () => {
    const ours = new StudioError('CANCELLED', 'Cancelled.');
    expect(runFailure(ours, fed, 'x')).toBe(ours);
  });
});
