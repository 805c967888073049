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

  describe('an index past the rows of a Gather table', () => {
    const gather = (idx: number, rows: number) =>
      new Error(
        `Non-zero status code returned while running Gather node. Name:'pe' Status Message: indices element out of data bounds, idx=${idx} must be within the inclusive range [${-rows},${rows - 1}]`,
      );
    const ids = (values: number[]) => ({
      name: 'input_ids',
      dtype: 'int64',
      shape: [1, values.length],
      data: BigInt64Array.from(values, BigInt),
    });

    it('names the input that holds it, with the rows, and what to fix: the data, or the values set', () => {
      const fromData = runFailure(gather(1500, 1000), [ids([3, 1500])], 'encoder.onnx', {
        sample: 3,
        fromData: true,
      });
      expect(fromData.message).toMatch(/^encoder\.onnx could not run on sample 3 \(input_ids int64 \[1, 2\]\)\./);
      expect(fromData.message).toMatch(
        /The data's 'input_ids' holds 1500, past the 1000 rows of the table that node looks up: its values must be 0 to 999\.$/,
      );
      expect(fromData.cliHint).toMatch(/^Fix the data/);
      const synthetic = runFailure(gather(1500, 1000), [ids([1500])], 'encoder.onnx', { fromData: false });
      expect(synthetic.cliHint).toBe("Give 'input_ids' values from 0 to 999: --value input_ids=0:999.");
      expect(runFailure(gather(1500, 1000), [ids([1500])], 'Calibration sample 0').cliHint).toBe(
        "Give 'input_ids' values from 0 to 999: fix the data, or --value input_ids=0:999 for synthetic data.",
      );
    });

    it('names the dim longer than the table where no input holds it (a position past a position table)', () => {
      const error = runFailure(gather(64, 64), [ids(Array(128).fill(5))], 'decoder.onnx', {
        fromData: false,
      });
      expect(error.message).toContain(
        "No input holds 64: it is computed, most likely a position, and dim 1 of 'input_ids' (128) is longer than the 64 rows of the table",
      );
      expect(error.cliHint).toBe('Set that dim to at most 64 with --dim or --shape.');
      // A benchmark's error lists shapes only: the position is then a likelihood, not a fact.
      const shapesOnly = runFailure(
        gather(64, 64),
        [{ name: 'input_ids', dtype: 'int64', shape: [1, 128] }],
        'decoder.onnx',
      );
      expect(shapesOnly.message).toContain("64 is most likely a position: dim 1 of 'input_ids' (128) is longer than");
    });
  });

  it('keeps our own typed errors as they are', () => {
    const ours = new StudioError('CANCELLED', 'Cancelled.');
    expect(runFailure(ours, fed, 'x')).toBe(ours);
  });
});
