/**
 * The diff of a model whose weights are Constant nodes' values, not initializers (as some exporters write them):
 * they count as weights, in the totals and the per-node precision, in the main graph and in subgraph bodies.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDiff } from '../../../shared/model-diff.js';
import { saveModel } from '../onnx/save-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { buildConstantWeightModel } from '../testing/model-fixtures.js';
import { buildSubgraphWeights } from '../testing/prune-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModels } from './diff-models.js';

let tmp: ReturnType<typeof makeTempDir>;
/** Quantizes `model` with `method` and diffs the variant against it. */
async function quantizeAndDiff(
  label: string,
  model: Parameters<typeof saveModel>[0],
  method: string,
): Promise<ModelDiff> {
  const original = path.join(tmp.dir, `${label}.onnx`);
  const variant = path.join(tmp.dir, `${label}.${method}.onnx`);
  await saveModel(model, original, { force: true });
  await quantizeModel({ input: original, output: variant, method, common: {} });
  return diffModels(original, variant);
}

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-diff-constants-');
});
afterAll(() => tmp.cleanup());

/*
 * buildConstantWeightModel(): Constant `weight_const` (value tensor const.weight, float32 [8, 4], 128 bytes) and
 * Constant `bias_const` (value_floats const.bias, float32 [4], 16 bytes) -> MatMul `matmul` -> Add `add`.
 */
describe('diff of a model whose weights are Constant nodes', () => {
  it('fp16: both Constant weights are cast to float16 in place, halving their bytes', async () => {
    const d = await quantizeAndDiff('constants', buildConstantWeightModel(), 'fp16');
    expect(
      d.weights.list.map((w) => [
        w.name,
        w.change,
        w.dtype,
        w.shape,
        w.bytes,
        w.variantDtype,
        w.variantBytes,
      ]),
    ).toEqual([
      ['const.weight', 'cast', 'float32', [8, 4], 128, 'float16', 64],
      ['const.bias', 'cast', 'float32', [4], 16, 'float16', 8],
    ]);
    expect(d.weights).toMatchObject({ bytesBefore: 144, bytesAfter: 72, addedCount: 0 });
    expect(d.weights.byChange).toMatchObject({ cast: 2, removed: 0 });
    // The Constants now hold float16, and what reads them computes in float16.
    const rows = Object.fromEntries(d.nodes.list.map((n) => [n.name, [n.change, n.precision]]));
    expect(rows).toEqual({
      weight_const: ['kept', 'float16'],
      bias_const: ['kept', 'float16'],
      matmul: ['kept', 'float16'],
      add: ['kept', 'float16'],
    });
    expect(d.match).toMatchObject({ weights: 2, weightsFound: 2, unrelated: false });
  });

  it('int8-weight: the Constant weight became int8 initializers, the bias Constant is unchanged', async () => {
    const d = await quantizeAndDiff('constants', buildConstantWeightModel(), 'int8-weight');
    const weight = d.weights.list.find((w) => w.name === 'const.weight');
    expect(weight).toMatchObject({
      change: 'quantized',
      dtype: 'float32',
      bytes: 128,
      variantDtype: 'int8',
      variantShape: [8, 4],
      // 32 int8 values, 4 float32 scales and 4 int8 zero points (per output channel).
      variantBytes: 32 + 16 + 4,
      variantNames: ['const.weight_quantized', 'const.weight_scale', 'const.weight_zero_point'],
    });
    expect(d.weights.list.find((w) => w.name === 'const.bias')).toMatchObject({
      change: 'unchanged',
      bytes: 16,
      variantBytes: 16,
    });
    expect(d.weights).toMatchObject({ bytesBefore: 144, bytesAfter: 52 + 16, addedCount: 0 });
    expect(d.nodes.list.find((n) => n.name === 'matmul')).toMatchObject({
      change: 'kept',
      precision: 'int8',
    });
    expect(d.match).toMatchObject({ weights: 2, weightsFound: 2 });
  });

  it('int8-weight: a Loop body whose weight is a Constant node counts it, in the body', async () => {
    // The default build keeps body.weight (float32 [16, 16], 1024 bytes) in a Constant node of the Loop body.
    const d = await quantizeAndDiff('subgraphs', buildSubgraphWeights({ seed: 81 }), 'int8-weight');
    expect(d.weights.list.find((w) => w.name === 'body.weight')).toMatchObject({
      graph: 'loop/body',
      change: 'quantized',
      bytes: 1024,
      variantDtype: 'int8',
      variantBytes: 256 + 64 + 16,
    });
    // in, outer, then and body weights, plus the Loop's trip count and condition.
    expect(d.weights.byChange).toMatchObject({ quantized: 4, unchanged: 2, removed: 0 });
    expect(d.weights.addedCount).toBe(0);
    expect(d.match).toMatchObject({ weights: 6, weightsFound: 6 });
  });
});
