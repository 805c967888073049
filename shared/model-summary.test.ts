import { describe, expect, it } from 'vitest';
import { externalDataPlace } from './model-summary.js';

describe('where external data files lie, said for a sentence (user test 3c, finding 9)', () => {
  it("says beside the model only for files in the model's own folder", () => {
    expect(externalDataPlace(['model.onnx.data'])).toBe('beside the model');
    expect(externalDataPlace(['./w.bin', 'sub/../x.bin', '..w.bin'])).toBe('beside the model');
  });

  it('names the folder of a file below the model, as the model resolves it', () => {
    expect(externalDataPlace(['weights/w.bin'])).toBe('in the folder weights/ beside the model');
    expect(externalDataPlace(['weights\\w.bin', './weights/x.bin'])).toBe(
      'in the folder weights/ beside the model',
    );
    expect(externalDataPlace(['a/b/w.bin', 'c/w.bin'])).toBe('in the folders a/b/ and c/ beside the model');
    expect(externalDataPlace(['emb.bin', 'weights/w.bin', 'x/y.bin', 'z/y.bin'])).toBe(
      'beside the model and in the folders weights/, x/ and z/ beside it',
    );
  });
});
