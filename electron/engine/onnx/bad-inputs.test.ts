import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { BAD_MODEL_CASES } from '../testing/bad-model-cases.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { loadModel } from './load-model.js';

describe('loadModel rejects bad files with a typed error', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  for (const c of BAD_MODEL_CASES) {
    it(`${c.name} -> ${c.code}`, async () => {
      const file = c.make(tmp.dir);
      const error = await loadModel(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StudioError);
      expect((error as StudioError).code).toBe(c.code);
      expect((error as StudioError).message).toMatch(c.message);
    });
  }
});
