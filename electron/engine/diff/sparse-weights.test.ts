/**
 * The diff of a model with a sparse initializer: the sparse weight counts as a weight (its values and indices, as
 * `inspect` counts it, under its dense shape), and the dense `W_quantized` a quantizer makes of it is that
 * weight's new form, not an added scale or zero point.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../onnx/save-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { buildSparseInitializerModel } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModels } from './diff-models.js';

let tmp: ReturnType<typeof makeTempDir>;
let original: string;
beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-diff-sparse-');
  original = path.join(tmp.dir, 'sparse.onnx');
  await saveModel(buildSparseInitializerModel(), original);
});
afterAll(() => tmp.cleanup());

describe('diff of a model with a sparse initializer', () => {
  it('lists the sparse weight with its dense shape and stored bytes; unchanged against itself', async () => {
    const model = buildSparseInitializerModel();
    const sparse = model.graph!.sparseInitializer[0]!;
    // float32 values and int64 indices, one each per non-zero.
    const stored = Number(sparse.values!.dims[0]) * (4 + 8);
    const diff = await diffModels(original, original);
    const weight = diff.weights.list.find((w) => w.name === 'sparse.weight');
    expect(weight).toMatchObject({ change: 'unchanged', dtype: 'float32', shape: [8, 6], bytes: stored });
    expect(diff.weights.bytesBefore).toBe(stored + 6 * 4);
    expect(diff.weights.bytesAfter).toBe(diff.weights.bytesBefore);
  });

  it('int8-dynamic: the sparse weight is quantized into its W_quantized, which is not counted as added', async () => {
    const variant = path.join(tmp.dir, 'sparse.int8-dynamic.onnx');
    await quantizeModel({ input: original, output: variant, method: 'int8-dynamic' });
    const diff = await diffModels(original, variant);
    const weight = diff.weights.list.find((w) => w.name === 'sparse.weight');
    expect(weight).toMatchObject({
      change: 'quantized',
      shape: [8, 6],
      variantDtype: 'int8',
      variantShape: [8, 6],
    });
    expect(weight!.variantNames).toContain('sparse.weight_quantized');
    expect(diff.weights.addedList!.map((w) => w.name)).not.toContain('sparse.weight_quantized');
  });
});
