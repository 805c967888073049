/**
 * The diff reads every weight it compares, wherever the model stores it: in external data files (each model's
 * own, beside it), as a sparse initializer (its share of zeros under its dense shape), or under a new name a
 * quantizer gave a weight it kept as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { clone, create } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto, SparseTensorProtoSchema } from 'onnx-buf';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliInProcess } from '../../cli/testing/run-cli.js';
import { floatValues } from '../onnx/constants.js';
import { makeFloatTensor } from '../onnx/graph-build.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { spillLimits } from '../onnx/streamed-weights.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { buildMlp, buildSparseInitializerModel } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModels } from './diff-models.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-diff-stored-');
});
afterAll(() => tmp.cleanup());
const defaults = { ...spillLimits };
const realOpenSync = fs.openSync;
afterEach(() => Object.assign(spillLimits, defaults));

const mlp = () => buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 });

function initializer(model: ModelProto, name: string) {
  return model.graph!.initializer.find((t) => t.name === name)!;
}

/** The model with weight `name` given new values. */
function withValues(model: ModelProto, name: string, change: (values: Float32Array) => void): ModelProto {
  const out = clone(ModelProtoSchema, model);
  const graph = out.graph!;
  const i = graph.initializer.findIndex((t) => t.name === name);
  const values = floatValues(graph.initializer[i]!);
  change(values);
  graph.initializer[i] = makeFloatTensor(name, graph.initializer[i]!.dims, values);
  return out;
}

/** Saves `model` as `folder/model.onnx` with every weight in `folder/weights.bin`. */
async function saveExternal(model: ModelProto, folder: string): Promise<string> {
  const file = path.join(tmp.dir, folder, 'model.onnx');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const saved = await saveModel(model, file, {
    externalData: { thresholdBytes: 0, fileName: 'weights.bin' },
  });
  expect(saved.externalDataBytes).toBeGreaterThan(0);
  return file;
}

describe('diff of weights in external data', () => {
  it('reads them from each model’s own data file: pruned and changed weights are values, with zeros', async () => {
    const original = mlp();
    const variant = withValues(
      withValues(original, 'fc1.weight', (v) => v.fill(0, 0, v.length / 2)),
      'fc2.bias',
      (v) => (v[0]! += 1),
    );
    // The same data file name in both folders: each model's is read from beside it.
    const a = await saveExternal(original, 'ext-a');
    const b = await saveExternal(variant, 'ext-b');
    const d = await diffModels(a, b);
    const row = (name: string) => d.weights.list.find((w) => w.name === name)!;
    expect(row('fc1.weight')).toMatchObject({ change: 'values', zeros: { before: 0, after: 0.5 } });
    expect(row('fc2.bias').change).toBe('values');
    expect(row('fc1.bias').change).toBe('unchanged');
    expect(row('fc2.weight').change).toBe('unchanged');
    expect(d.weights.byChange).toMatchObject({ unchanged: 2, values: 2 });
    const bytes = original.graph!.initializer.reduce((s, t) => s + t.rawData.length, 0);
    expect([d.weights.bytesBefore, d.weights.bytesAfter]).toEqual([bytes, bytes]);
  });

  it('compares a weight in external data with the same weight inline', async () => {
    const a = await saveExternal(mlp(), 'ext-same');
    const inline = path.join(tmp.dir, 'inline.onnx');
    await saveModel(mlp(), inline);
    const d = await diffModels(a, inline);
    expect(d.weights.byChange).toMatchObject({ unchanged: 4, values: 0 });
    const changed = path.join(tmp.dir, 'inline-changed.onnx');
    await saveModel(
      withValues(mlp(), 'fc2.weight', (v) => v.reverse()),
      changed,
    );
    const e = await diffModels(a, changed);
    expect(e.weights.list.find((w) => w.name === 'fc2.weight')!.change).toBe('values');
  });

  it('magnitude pruning of a model with external data', async () => {
    const a = await saveExternal(mlp(), 'ext-prune');
    const out = path.join(tmp.dir, 'ext-prune-out', 'pruned.onnx');
    fs.mkdirSync(path.dirname(out));
    const r = await runCliInProcess(['prune', a, '-o', out, '--method', 'magnitude', '--sparsity', '0.5']);
    expect(r.code, r.stderr).toBe(0);
    const d = await diffModels(a, out);
    const pruned = d.weights.list.filter((w) => w.change === 'values');
    expect(pruned.length).toBeGreaterThan(0);
    for (const w of pruned) expect(w.zeros!.after).toBeGreaterThanOrEqual(0.45);
  });

  it('writes no file, however much it reads (a reader spills no weights)', async () => {
    // Every read past the spill limit, every tensor large enough to spill: a transform would spill the biases
    // kept inline here to a scratch file.
    Object.assign(spillLimits, { everyReadBytes: 1, pendingBytes: 1, minBytes: 1 });
    const save = async (model: ModelProto, folder: string) => {
      const file = path.join(tmp.dir, folder, 'model.onnx');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await saveModel(model, file, { externalData: { thresholdBytes: 1024, fileName: 'weights.bin' } });
      return file;
    };
    const a = await save(mlp(), 'mixed-a');
    const b = await save(
      withValues(mlp(), 'fc1.weight', (v) => v.fill(0)),
      'mixed-b',
    );
    const opened: string[] = [];
    const openSync = vi.spyOn(fs, 'openSync');
    openSync.mockImplementation(((file: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode) => {
      if (flags !== 'r') opened.push(`${String(file)} (${String(flags)})`);
      return realOpenSync(file, flags, mode);
    }) as typeof fs.openSync);
    try {
      const d = await diffModels(a, b);
      expect(d.weights.list.find((w) => w.name === 'fc1.weight')!.zeros).toEqual({ before: 0, after: 1 });
      expect(d.weights.byChange).toMatchObject({ unchanged: 3, values: 1 });
    } finally {
      openSync.mockRestore();
    }
    expect(opened).toEqual([]);
  });
});

describe('diff of a sparse weight', () => {
  it('gives the share of zeros under its dense shape, zeros among its stored values counted', async () => {
    const model = buildSparseInitializerModel();
    const sparse = model.graph!.sparseInitializer[0]!;
    const nnz = Number(sparse.values!.dims[0]);
    const variant = clone(ModelProtoSchema, model);
    const values = floatValues(sparse.values!);
    values[0] = 0;
    variant.graph!.sparseInitializer[0] = create(SparseTensorProtoSchema, {
      ...sparse,
      values: makeFloatTensor('sparse.weight', [nnz], values),
    });
    const a = path.join(tmp.dir, 'sparse.onnx');
    const b = path.join(tmp.dir, 'sparse-one-more-zero.onnx');
    await saveModel(model, a);
    await saveModel(variant, b);
    const d = await diffModels(a, b);
    expect(d.weights.list.find((w) => w.name === 'sparse.weight')).toMatchObject({
      change: 'values',
      zeros: { before: (48 - nnz) / 48, after: (48 - nnz + 1) / 48 },
    });
  });

  it('magnitude pruning saved with --sparse-storage: the share of zeros of each sparse weight', async () => {
    const a = path.join(tmp.dir, 'mlp.onnx');
    await saveModel(mlp(), a);
    const out = path.join(tmp.dir, 'mlp.sparse.onnx');
    const r = await runCliInProcess([
      'prune',
      a,
      '-o',
      out,
      '--method',
      'magnitude',
      '--sparsity',
      '0.9',
      '--sparse-storage',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const sparse = (await loadModel(out)).proto.graph!.sparseInitializer;
    expect(sparse.length).toBeGreaterThan(0);
    const d = await diffModels(a, out);
    for (const s of sparse) {
      const dense = s.dims.reduce((n, x) => n * Number(x), 1);
      const nonZeros = floatValues(s.values!).filter((v) => v !== 0).length;
      expect(d.weights.list.find((w) => w.name === s.values!.name)).toMatchObject({
        change: 'values',
        zeros: { before: 0, after: (dense - nonZeros) / dense },
      });
    }
  });
});

describe('diff of a weight under a new name', () => {
  it('int4 keeps a Gemm bias as `B_bias`: unchanged, under its new name', async () => {
    const a = path.join(tmp.dir, 'mlp-int4-src.onnx');
    await saveModel(mlp(), a);
    const out = path.join(tmp.dir, 'mlp.int4.onnx');
    await quantizeModel({ input: a, output: out, method: 'int4', common: {} });
    const d = await diffModels(a, out);
    expect(d.weights.list.find((w) => w.name === 'fc1.bias')).toMatchObject({
      change: 'unchanged',
      variantDtype: 'float32',
      variantShape: [128],
      variantNames: ['fc1.bias_bias'],
    });
    const quantized = d.weights.list.filter((w) => w.change === 'quantized').map((w) => w.name);
    expect(quantized.sort()).toEqual(['fc1.weight', 'fc2.weight']);
  });

  it('a renamed weight with other values stays counted as quantized (made from it)', async () => {
    const a = path.join(tmp.dir, 'mlp-rename-src.onnx');
    await saveModel(mlp(), a);
    const variant = withValues(mlp(), 'fc1.bias', (v) => v.forEach((x, i) => (v[i] = x * 2)));
    initializer(variant, 'fc1.bias').name = 'fc1.bias_bias';
    variant.graph!.node[0]!.input[2] = 'fc1.bias_bias';
    const b = path.join(tmp.dir, 'mlp-renamed.onnx');
    await saveModel(variant, b);
    const d = await diffModels(a, b);
    expect(d.weights.list.find((w) => w.name === 'fc1.bias')!.change).toBe('quantized');
  });
});
