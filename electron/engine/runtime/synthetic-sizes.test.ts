/**
 * Synthetic inputs too large to make are refused before anything is allocated (a huge `--dim` was an internal
 * "Invalid typed array length"), with the size the app's large-input warning computes; above 1 GiB they warn.
 */
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, TensorProto_DataType as DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { syntheticSource } from '../datasets/synthetic-source.js';
import { StudioError } from '../errors.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeModel } from '../testing/model-fixtures.js';
import { resolveInputSpecs } from './input-specs.js';
import {
  largeSyntheticInputNotes,
  refuseUnallocatableInputs,
  syntheticFeed,
  syntheticInputLimit,
} from './synthetic-feeds.js';

/** `x float32 [batch, seq, 64]`, passed through. */
function sequenceModel() {
  return makeModel(
    create(GraphProtoSchema, {
      name: 'seq',
      input: [makeValueInfo('x', DataType.FLOAT, ['batch', 'seq', 64])],
      output: [makeValueInfo('y', DataType.FLOAT, ['batch', 'seq', 64])],
      node: [makeNode('Identity', ['x'], ['y'])],
    }),
  );
}

function errorOf(run: () => unknown): StudioError {
  try {
    run();
  } catch (error) {
    return error as StudioError;
  }
  throw new Error('expected an error');
}

describe('synthetic input sizes', () => {
  it('refuses an input with more elements than a typed array holds, naming its size and dims (BAD_INPUT)', () => {
    const { inputs } = resolveInputSpecs(sequenceModel(), { dims: { batch: 1, seq: 100_000_000 } });
    const error = errorOf(() => syntheticFeed(inputs, () => 0.5));
    expect(error).toBeInstanceOf(StudioError);
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toMatch(
      /^Input 'x' float32 \[1, 100000000, 64\] would need 25,600,000,000 bytes \(25\.6 GB\) per sample/,
    );
    expect(error.message).toMatch(/--dim batch=1, --dim seq=100000000/);
    // The synthetic source refuses as it is made, before a session opens.
    expect(errorOf(() => syntheticSource(inputs, { samples: 2, seed: 1 })).code).toBe('BAD_INPUT');
  });

  it("refuses an input larger than the limit the machine's memory sets, before allocating it", () => {
    const { inputs } = resolveInputSpecs(sequenceModel(), { dims: { batch: 1, seq: 1000 } });
    // 256,000 bytes against a 100,000-byte limit.
    const error = errorOf(() => refuseUnallocatableInputs(inputs, { limitBytes: 100_000 }));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toMatch(/256,000 bytes .* more than half of this machine's/);
    expect(() => refuseUnallocatableInputs(inputs, { limitBytes: 1_000_000 })).not.toThrow();
    expect(syntheticInputLimit(8e9)).toBe(4e9);
    // The samples a benchmark holds at once count together: 4 x 256,000 bytes pass no 1,000,000-byte limit.
    const held = errorOf(() => refuseUnallocatableInputs(inputs, { limitBytes: 1_000_000, held: 4 }));
    expect(held.message).toMatch(/the 4 samples held at once, 1,024,000 bytes .*or fewer samples\.$/);
  });

  it("warns above 1 GiB with the app's large-input warning, and not below", () => {
    const large = resolveInputSpecs(sequenceModel(), { dims: { batch: 1, seq: 5_000_000 } }).inputs;
    expect(largeSyntheticInputNotes(large)).toEqual([
      expect.stringMatching(
        /^Input 'x' float32 \[1, 5000000, 64\] takes 1,280,000,000 bytes \(1\.3 GB\) per run/,
      ),
    ]);
    const small = resolveInputSpecs(sequenceModel(), { dims: { batch: 1, seq: 128 } }).inputs;
    expect(largeSyntheticInputNotes(small)).toEqual([]);
    expect(syntheticSource(small, { samples: 1, seed: 1 }).notes).toEqual([]);
  });
});
