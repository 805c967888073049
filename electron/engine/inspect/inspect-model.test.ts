import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveModel } from '../onnx/save-model.js';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildMlp,
  buildSparseInitializerModel,
} from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { writeHubModel, writeWithExternalData } from '../testing/external-data-files.js';
import { inspectModel } from './inspect-model.js';

describe('inspectModel', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  function write(name: string, bytes: Uint8Array): string {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  }

  it('summarizes an MLP: IO with symbolic dims, op counts, parameters and bytes', async () => {
    const bytes = toBinary(ModelProtoSchema, buildMlp());
    const s = await inspectModel(write('mlp.onnx', bytes));
    expect(s.fileBytes).toBe(bytes.byteLength);
    expect(s.externalDataBytes).toBe(0);
    expect(s.irVersion).toBe(8);
    expect(s.producer).toEqual({ name: 'onnx-studio-fixtures', version: '1' });
    expect(s.opsets).toEqual({ '': 17 });
    expect(s.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['batch', 16] }]);
    expect(s.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch', 8] }]);
    expect(s.nodes).toBe(4);
    expect(s.opCounts).toEqual({ Gemm: 1, Relu: 1, MatMul: 1, Add: 1 });
    expect(s.subgraphOpCounts).toEqual({});
    const params = 32 * 16 + 32 + 32 * 8 + 8;
    expect(s.parameters).toBe(params);
    expect(s.parameterBytes).toEqual({ float32: params * 4 });
    expect(s.largestTensors[0]).toEqual({ name: 'fc1.weight', dtype: 'float32', shape: [32, 16], bytes: 2048 });
    expect(s.largestTensors.map((t) => t.bytes)).toEqual([2048, 1024, 128, 32]);
  });

  it('says an input declares no shape (unknown rank) apart from a scalar, whose shape is [] too', async () => {
    const model = buildMlp();
    const input = model.graph!.input[0]!;
    if (input.type?.value.case === 'tensorType') delete input.type.value.value.shape;
    const s = await inspectModel(write('shapeless.onnx', toBinary(ModelProtoSchema, model)));
    expect(s.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [], rankUnknown: true }]);
    expect(s.outputs[0]).not.toHaveProperty('rankUnknown');
  });

  it('counts Constant-node values (tensor and value_floats) as parameters', async () => {
    const s = await inspectModel(write('const.onnx', toBinary(ModelProtoSchema, buildConstantWeightModel())));
    expect(s.parameters).toBe(8 * 4 + 4);
    expect(s.parameterBytes).toEqual({ float32: (8 * 4 + 4) * 4 });
    expect(s.opCounts.Constant).toBe(2);
  });

  it('counts sparse initializers by their dense shape and stored bytes', async () => {
    const model = buildSparseInitializerModel();
    const sparse = model.graph!.sparseInitializer[0]!;
    const nnz = Number(sparse.values!.dims[0]);
    const s = await inspectModel(write('sparse.onnx', toBinary(ModelProtoSchema, model)));
    expect(s.parameters).toBe(8 * 6 + 6);
    expect(s.parameterBytes).toEqual({ float32: (nnz + 6) * 4, int64: nnz * 8 });
  });

  it('counts constants in If subgraphs but only main-graph nodes', async () => {
    const model = buildIfModel();
    const then = model.graph!.node.find((n) => n.opType === 'If')!.attribute[0]!.g!;
    then.initializer.push({ ...model.graph!.initializer[2]!, name: 'then.extra' });
    const s = await inspectModel(write('if.onnx', toBinary(ModelProtoSchema, model)));
    expect(s.nodes).toBe(3);
    expect(s.opCounts).toEqual({ MatMul: 1, If: 1, Relu: 1 });
    expect(s.subgraphOpCounts).toEqual({ MatMul: 1, Add: 1 });
    expect(s.parameters).toBe(16 + 16 + 4 + 4);
    expect(s.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual([
      ['input', 'float32', ['batch', 4]],
      ['cond', 'bool', []],
    ]);
  });

  it('reports external data bytes', async () => {
    const out = await saveModel(buildCnn(), path.join(tmp.dir, 'cnn.onnx'), { externalData: { thresholdBytes: 256 } });
    const s = await inspectModel(out.output);
    expect(s.externalDataBytes).toBeGreaterThan(0);
    expect(s.fileBytes).toBe(out.outputBytes);
    const inline = await inspectModel(write('cnn-inline.onnx', toBinary(ModelProtoSchema, buildCnn())));
    expect(s.parameters).toBe(inline.parameters);
    expect(s.parameterBytes).toEqual(inline.parameterBytes);
  });

  it('names each external data file: its location as the model writes it, its bytes and tensors (user test 3c, finding 9)', async () => {
    // Weights in two files of a subfolder; './weights/a.bin' is the same file as 'weights/a.bin'.
    const file = writeWithExternalData(tmp.dir, 'mlp.onnx', buildMlp(), {
      'fc1.weight': 'weights/a.bin',
      'fc1.bias': './weights/a.bin',
      'fc2.weight': 'weights/b.bin',
    });
    const s = await inspectModel(file);
    expect(s.externalDataFiles).toEqual([
      { location: 'weights/a.bin', bytes: (32 * 16 + 32) * 4, tensors: 2 },
      { location: 'weights/b.bin', bytes: 32 * 8 * 4, tensors: 1 },
    ]);
    expect(s.externalDataBytes).toBe((32 * 16 + 32 + 32 * 8) * 4);
    const inline = await inspectModel(write('inline.onnx', toBinary(ModelProtoSchema, buildMlp())));
    expect(inline.externalDataFiles).toEqual([]);
  });

  it('lists the data file of a model kept as the Hugging Face cache keeps it (links into blobs/)', async () => {
    const { model } = await writeHubModel(tmp.dir);
    const s = await inspectModel(model);
    expect(s.externalDataFiles).toEqual([{ location: 'model.onnx_data', bytes: s.externalDataBytes, tensors: 2 }]);
  });

  it('says where a missing data file belongs: in its folder below the model, not beside it', async () => {
    const file = writeWithExternalData(tmp.dir, 'sub.onnx', buildMlp(), { 'fc1.weight': 'weights/a.bin' });
    fs.rmSync(path.join(tmp.dir, 'weights'), { recursive: true });
    await expect(inspectModel(file)).rejects.toThrow(
      `External data file 'weights/a.bin' of tensor 'fc1.weight' is missing. Keep the data file in the folder weights/ beside the model (${fs.realpathSync(tmp.dir)}).`,
    );
  });
});
