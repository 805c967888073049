import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema, TensorProto_DataLocation, type ModelProto } from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildMlp,
  buildSparseInitializerModel,
  randomFloats,
} from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { loadModel } from './load-model.js';
import { serializeToBytes } from './proto-stream-writer.js';
import { saveModel } from './save-model.js';
import { forEachTensor } from './walk-tensors.js';

const FIXTURES: [string, () => ModelProto][] = [
  ['mlp', () => buildMlp()],
  ['cnn', () => buildCnn()],
  ['constant weights', () => buildConstantWeightModel()],
  ['if subgraph', () => buildIfModel()],
  ['sparse initializer', () => buildSparseInitializerModel()],
];

async function runMlp(model: string | Uint8Array, input: Float32Array): Promise<Float32Array> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, [2, 16]) });
    return out.logits!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('model I/O', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  for (const [name, build] of FIXTURES) {
    it(`${name}: load + save is byte-identical and leaves the model untouched`, async () => {
      const model = build();
      const original = toBinary(ModelProtoSchema, model);
      fs.writeFileSync(path.join(tmp.dir, 'in.onnx'), original);
      const loaded = await loadModel(path.join(tmp.dir, 'in.onnx'));
      expect(loaded.fileBytes).toBe(original.byteLength);
      expect(Buffer.from(serializeToBytes(ModelProtoSchema, loaded.proto)).equals(Buffer.from(original))).toBe(true);
      const result = await saveModel(loaded.proto, path.join(tmp.dir, 'out.onnx'), { sourceDir: loaded.dir });
      expect(result.outputBytes).toBe(original.byteLength);
      expect(fs.readFileSync(path.join(tmp.dir, 'out.onnx')).equals(Buffer.from(original))).toBe(true);
      expect(Buffer.from(toBinary(ModelProtoSchema, loaded.proto)).equals(Buffer.from(original))).toBe(true);
      expect(fs.readdirSync(tmp.dir).sort()).toEqual(['in.onnx', 'out.onnx']); // no temp files left
    });
  }

  it('keeps unknown fields when round-tripping', async () => {
    const original = toBinary(ModelProtoSchema, buildMlp());
    // Field 99, wire type 2 (length-delimited), 3 bytes: unknown to every ONNX version.
    const withUnknown = Buffer.concat([Buffer.from(original), Buffer.from([0x9a, 0x06, 3, 1, 2, 3])]);
    fs.writeFileSync(path.join(tmp.dir, 'in.onnx'), withUnknown);
    const loaded = await loadModel(path.join(tmp.dir, 'in.onnx'));
    expect(Buffer.from(serializeToBytes(ModelProtoSchema, loaded.proto)).equals(withUnknown)).toBe(true);
  });

  it('moves large tensors to one external data file that onnxruntime loads, and folds them back byte-identically', async () => {
    const model = buildMlp();
    const original = toBinary(ModelProtoSchema, model);
    const input = randomFloats(32, 5);
    const expected = await runMlp(original, input);

    const ext = await saveModel(model, path.join(tmp.dir, 'ext.onnx'), { externalData: { thresholdBytes: 1024 } });
    expect(ext.externalDataPath).toBe(path.join(tmp.dir, 'ext.onnx.data'));
    // fc1.weight (2048 B) and fc2.weight (1024 B) move; the biases (128 B, 32 B) stay inline.
    expect(ext.externalDataBytes).toBeGreaterThanOrEqual(2048 + 1024);
    expect(fs.statSync(ext.externalDataPath!).size).toBe(ext.externalDataBytes);
    expect(ext.outputBytes).toBeLessThan(original.byteLength - 2900); // 3072 B moved, ~40 B of location entries added
    expect(Buffer.from(toBinary(ModelProtoSchema, model)).equals(Buffer.from(original))).toBe(true); // input untouched

    const loaded = await loadModel(ext.output);
    const external: string[] = [];
    forEachTensor(loaded.proto, (t) => {
      if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) external.push(t.name);
    });
    expect(external.sort()).toEqual(['fc1.weight', 'fc2.weight']);
    expect(loaded.externalDataBytes).toBe(2048 + 1024);
    expect(Array.from(await runMlp(ext.output, input))).toEqual(Array.from(expected));

    fs.mkdirSync(path.join(tmp.dir, 'back'));
    const inline = await saveModel(loaded.proto, path.join(tmp.dir, 'back', 'inline.onnx'), { sourceDir: loaded.dir });
    expect(inline.externalDataBytes).toBe(0);
    expect(fs.readFileSync(inline.output).equals(Buffer.from(original))).toBe(true);
  });

  it('re-saves an external-data model to another external file, copying the data', async () => {
    const model = buildCnn();
    const first = await saveModel(model, path.join(tmp.dir, 'a.onnx'), { externalData: { thresholdBytes: 256 } });
    const loaded = await loadModel(first.output);
    const second = await saveModel(loaded.proto, path.join(tmp.dir, 'b.onnx'), {
      sourceDir: loaded.dir,
      externalData: { thresholdBytes: 256, fileName: 'weights.bin' },
    });
    expect(second.externalDataPath).toBe(path.join(tmp.dir, 'weights.bin'));
    const reloaded = await loadModel(second.output);
    const inline = await saveModel(reloaded.proto, path.join(tmp.dir, 'c.onnx'), { sourceDir: reloaded.dir });
    expect(fs.readFileSync(inline.output).equals(Buffer.from(toBinary(ModelProtoSchema, model)))).toBe(true);
  });

  it('refuses to replace an existing output unless forced', async () => {
    const target = path.join(tmp.dir, 'out.onnx');
    fs.writeFileSync(target, 'keep me');
    await expect(saveModel(buildMlp(), target)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: /already exists/ });
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
    await saveModel(buildMlp(), target, { force: true });
    expect((await loadModel(target)).proto.graph?.name).toBe('mlp');
  });

  it('refuses a model over the protobuf limit without writing anything', async () => {
    const target = path.join(tmp.dir, 'big.onnx');
    const error = await saveModel(buildMlp(), target, { protoLimitBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toMatch(/--external-data/);
    expect(fs.readdirSync(tmp.dir)).toEqual([]);
    // The same model fits once its weights are external.
    const ok = await saveModel(buildMlp(), target, { protoLimitBytes: 1000, externalData: { thresholdBytes: 64 } });
    expect(ok.outputBytes).toBeLessThan(1000);
  });

  it('stops when cancelled and leaves no partial file', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await saveModel(buildCnn(), path.join(tmp.dir, 'x.onnx'), { signal: controller.signal }).catch((e: unknown) => e);
    expect((error as StudioError).code).toBe('CANCELLED');
    expect(fs.readdirSync(tmp.dir)).toEqual([]);
  });

  it('reports progress up to the total', async () => {
    const seen: [number, number][] = [];
    await saveModel(buildCnn(), path.join(tmp.dir, 'p.onnx'), {
      externalData: { thresholdBytes: 128 },
      onProgress: (done, total) => seen.push([done, total]),
    });
    const last = seen[seen.length - 1]!;
    expect(last[0]).toBe(last[1]);
    expect(last[1]).toBe(fs.statSync(path.join(tmp.dir, 'p.onnx')).size + fs.statSync(path.join(tmp.dir, 'p.onnx.data')).size);
  });
});
