import { describe, expect, it } from 'vitest';
import type { RecipeRequest } from '../state/pipeline-requests.js';
import { queueSignature } from './queue-signature.js';

const int8: RecipeRequest = {
  kind: 'quantize',
  method: 'int8-dynamic',
  common: {},
  options: { perChannel: true },
};
const fp16: RecipeRequest = { kind: 'quantize', method: 'fp16', common: {}, options: {} };
const bench = { ep: 'cpu', warmup: 10, iterations: 200, profile: true };

describe('the key of what Queue submits', () => {
  it('is the same for the same selection, whatever order its objects were built in', () => {
    const a = queueSignature([int8, fp16], { bench });
    const b = queueSignature(
      [{ options: { perChannel: true }, common: {}, method: 'int8-dynamic', kind: 'quantize' }, fp16],
      { bench: { profile: true, iterations: 200, warmup: 10, ep: 'cpu' } },
    );
    expect(a).toBe(b);
  });

  it('changes with a recipe, an option, the data or the steps after', () => {
    const base = queueSignature([int8, fp16], { bench });
    expect(queueSignature([int8], { bench })).not.toBe(base);
    expect(queueSignature([{ ...int8, options: { perChannel: false } }, fp16], { bench })).not.toBe(base);
    expect(queueSignature([int8, fp16], {})).not.toBe(base);
    expect(
      queueSignature([int8, fp16], { bench, evaluate: { kind: 'synthetic', samples: 32, seed: 0 } }),
    ).not.toBe(base);
  });
});
