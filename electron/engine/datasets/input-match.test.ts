import { describe, expect, it } from 'vitest';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { fitSample } from './input-match.js';

const FLOAT = 1;

function ocrInput(extra: Partial<ResolvedInput>): ResolvedInput {
  return {
    name: 'x',
    elemType: FLOAT,
    ortType: 'float32',
    declared: [null, 3, 48, null],
    dims: [1, 3, 48, 200],
    ...extra,
  };
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('what a data mismatch says the model expects', () => {
  it('quotes the shape the input spec gives, naming the dims it set, not the model’s open one', () => {
    const message = messageOf(() => fitSample(ocrInput({}), 'float32', [1, 64], 'mlp_x.npy'));
    expect(message).toBe(
      "Input 'x': the model expects float32 [1, 3, 48, 200] (dims 0 and 3 set by the input spec; the model declares [?, 3, 48, ?]), but mlp_x.npy has float32 samples of shape [1, 64]: a sample needs 4 dims (or 3 without the batch axis), the data has 2.",
    );
  });

  it('keeps the declared dims nothing set (guessed sizes are not the spec’s)', () => {
    const message = messageOf(() => fitSample(ocrInput({ guessedAxes: [0] }), 'float32', [64], 'a.npy'));
    expect(message).toMatch(
      /^Input 'x': the model expects float32 \[\?, 3, 48, 200\] \(dim 3 set by the input spec; the model declares \[\?, 3, 48, \?\]\), but/,
    );
    const none = messageOf(() => fitSample(ocrInput({ guessedAxes: [0, 3] }), 'float32', [64], 'a.npy'));
    expect(none).toMatch(/^Input 'x': the model expects float32 \[\?, 3, 48, \?\], but/);
  });

  it('advises data of the model’s shape when the model fixes every dim, not the input spec', () => {
    const fixed = ocrInput({ name: 'image', declared: [1, 3, 16, 16], dims: [1, 3, 16, 16] });
    expect(messageOf(() => fitSample(fixed, 'float32', [3, 20, 20], 'wrong.npy'))).toBe(
      "Input 'image': the model expects float32 [1, 3, 16, 16], but wrong.npy has float32 samples of shape [3, 20, 20]: " +
        "dim 2 is 20 where the model fixes 16. The model fixes every dim of 'image', so the input spec cannot change it: " +
        "make data whose samples have the model's shape, [1, 3, 16, 16] (or [3, 16, 16]).",
    );
    // An open dim leaves the spec as the way: no such advice.
    expect(messageOf(() => fitSample(ocrInput({}), 'float32', [3, 40, 200], 'a.npy'))).not.toMatch(
      /fixes every dim/,
    );
  });
});
