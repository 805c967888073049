import fs from 'node:fs';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
  type ModelProto,
  type TensorProto,
} from 'onnx-buf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { makeModel, randomFloats } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { cloneProto } from './clone-proto.js';
import { decodeModel } from './decode-model.js';
import { makeNode, makeValueInfo } from './graph-build.js';
import { loadModel } from './load-model.js';
import { saveModel } from './save-model.js';
import { forEachTensor } from './walk-tensors.js';

const FLOAT = TensorProto_DataType.FLOAT;

function floatDataTensor(name: string, dims: number[], values: Float32Array): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dataType: FLOAT,
    dims: dims.map(BigInt),
    floatData: Array.from(values),
  });
}

/**
 * y = (x + bias) * scale: `bias` in float_data (an initializer), `scale` a Constant node whose tensor
 * attribute stores double_data cast to float by a Cast node. Both lists must decode wherever they are.
 */
function floatDataModel(bias: Float32Array, scale: Float64Array): ModelProto {
  const n = bias.length;
  const constant = makeNode('Constant', [], ['scale64'], { name: 'scale_const' });
  constant.attribute.push(
    create(AttributeProtoSchema, {
      name: 'value',
      type: AttributeProto_AttributeType.TENSOR,
      t: create(TensorProtoSchema, {
        dataType: TensorProto_DataType.DOUBLE,
        dims: [BigInt(n)],
        doubleData: Array.from(scale),
      }),
    }),
  );
  const cast = makeNode('Cast', ['scale64'], ['scale'], { name: 'cast', attributes: { to: { int: 1 } } });
  return makeModel(
    create(GraphProtoSchema, {
      name: 'float-data',
      node: [
        constant,
        cast,
        makeNode('Add', ['x', 'bias'], ['shifted'], { name: 'add' }),
        makeNode('Mul', ['shifted', 'scale'], ['y'], { name: 'mul' }),
      ],
      initializer: [floatDataTensor('bias', [n], bias)],
      input: [makeValueInfo('x', FLOAT, [n])],
      output: [makeValueInfo('y', FLOAT, [n])],
    }),
  );
}

function tensorsOf(model: ModelProto): TensorProto[] {
  const out: TensorProto[] = [];
  forEachTensor(model, (t) => out.push(t));
  return out;
}

/** A varint, as protobuf writes it. */
function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function le32(values: number[]): number[] {
  return [...new Uint8Array(Float32Array.from(values).buffer)];
}

/** A ModelProto holding one initializer whose TensorProto body is `tensorBody` (raw protobuf bytes). */
function modelWithTensorBytes(tensorBody: number[]): Uint8Array {
  const graphBody = [0x2a, ...varint(tensorBody.length), ...tensorBody]; // GraphProto.initializer = 5
  return Uint8Array.from([0x3a, ...varint(graphBody.length), ...graphBody]); // ModelProto.graph = 7
}

const NAME_W = [0x42, 0x01, 0x77]; // TensorProto.name = 8: "w"
const DIMS_4 = [0x08, 0x04]; // dims = 1: [4]
const TYPE_FLOAT = [0x10, 0x01]; // data_type = 2: FLOAT

describe('decodeModel', () => {
  it('reads float_data and double_data as typed arrays equal to the standard decoder, everywhere in the model', () => {
    const bias = randomFloats(1000, 3);
    const scale = Float64Array.from(randomFloats(1000, 4), (v) => v + 1.5);
    const bytes = toBinary(ModelProtoSchema, floatDataModel(bias, scale));
    const fast = decodeModel(bytes);
    const standard = fromBinary(ModelProtoSchema, bytes);
    const [fastTensors, standardTensors] = [tensorsOf(fast), tensorsOf(standard)];
    expect(fastTensors).toHaveLength(2);
    for (let i = 0; i < fastTensors.length; i++) {
      const [f, s] = [fastTensors[i]!, standardTensors[i]!];
      expect([...f.floatData]).toEqual(s.floatData);
      expect([...f.doubleData]).toEqual(s.doubleData);
      expect(f.$unknown).toBeUndefined();
    }
    expect(fast.graph!.initializer[0]!.floatData).toBeInstanceOf(Float32Array);
    expect(fast.graph!.node[0]!.attribute[0]!.t!.doubleData).toBeInstanceOf(Float64Array);
    // The other list is an ordinary empty list, ready to be filled.
    expect(fast.graph!.initializer[0]!.doubleData).toEqual([]);
    // And the model is the same message: the standard encoder writes the same bytes for both.
    expect(Buffer.from(toBinary(ModelProtoSchema, fast)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('joins several packed runs and unpacked values in order, like the standard decoder', () => {
    // prettier-ignore
    const body = [
      ...DIMS_4,
      ...TYPE_FLOAT,
      0x22, 0x08, ...le32([1.5, -2]), // float_data = 4, packed run
      0x25, ...le32([3.25]), // one unpacked value (wire type 5)
      0x22, 0x04, ...le32([-4.5]), // another packed run
      ...NAME_W,
    ];
    const bytes = modelWithTensorBytes(body);
    const fast = decodeModel(bytes).graph!.initializer[0]!;
    expect([...fast.floatData]).toEqual([1.5, -2, 3.25, -4.5]);
    expect(fast.floatData).toEqual(
      Float32Array.from(fromBinary(ModelProtoSchema, bytes).graph!.initializer[0]!.floatData),
    );
  });

  it('copies a payload that is not 4-byte aligned and keeps other unknown fields', () => {
    for (const pad of [0, 1, 2, 3]) {
      // prettier-ignore
      const body = [
        ...DIMS_4,
        ...TYPE_FLOAT,
        // An unknown field (99, bytes) of `pad` bytes before the list shifts the payload's offset.
        0x9a, 0x06, pad, ...new Array<number>(pad).fill(7),
        0x22, 0x10, ...le32([1, 2, 3, 4]),
        ...NAME_W,
      ];
      const tensor = decodeModel(modelWithTensorBytes(body)).graph!.initializer[0]!;
      expect([...tensor.floatData]).toEqual([1, 2, 3, 4]);
      expect(tensor.$unknown?.map((u) => u.no)).toEqual([99]);
    }
  });

  it('refuses a float list that is not whole values or has a wrong wire type', () => {
    const ragged = [...DIMS_4, ...TYPE_FLOAT, 0x22, 0x03, 1, 2, 3, ...NAME_W];
    expect(() => decodeModel(modelWithTensorBytes(ragged))).toThrow(/float_data of tensor 'w' holds 3 bytes/);
    const varintWire = [...DIMS_4, ...TYPE_FLOAT, 0x20, 0x05, ...NAME_W];
    expect(() => decodeModel(modelWithTensorBytes(varintWire))).toThrow(/float_data of tensor 'w' has wire type 0/);
  });
});

describe('cloneProto', () => {
  it('copies typed float lists as typed arrays of their own, and the rest like clone()', () => {
    const bytes = toBinary(ModelProtoSchema, floatDataModel(randomFloats(64, 1), Float64Array.from([1, 2])));
    const model = decodeModel(bytes);
    const copy = cloneProto(ModelProtoSchema, model);
    const [bias, biasCopy] = [model.graph!.initializer[0]!, copy.graph!.initializer[0]!];
    expect(biasCopy.floatData).toBeInstanceOf(Float32Array);
    expect(biasCopy.floatData).toEqual(bias.floatData);
    expect(copy.graph!.node[0]!.attribute[0]!.t!.doubleData).toEqual(Float64Array.from([1, 2]));
    // Its own copy: changing it leaves the original (and the file's bytes) alone.
    biasCopy.floatData[0] = 42;
    expect(bias.floatData[0]).not.toBe(42);
    expect(bias.floatData).toBeInstanceOf(Float32Array);
    biasCopy.floatData[0] = bias.floatData[0]!;
    expect(Buffer.from(toBinary(ModelProtoSchema, copy)).equals(Buffer.from(bytes))).toBe(true);
    // A single tensor, and a message without typed lists.
    expect(cloneProto(TensorProtoSchema, bias).floatData).toEqual(bias.floatData);
    const plain = fromBinary(ModelProtoSchema, bytes);
    expect(toBinary(ModelProtoSchema, cloneProto(ModelProtoSchema, plain))).toEqual(bytes);
  });
});

describe('models with float_data weights', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('onnx-decode-');
  });
  afterEach(() => tmp.cleanup());

  it('load, run in onnxruntime like the original, and save back byte for byte', async () => {
    const bias = randomFloats(4096, 11);
    const scale = Float64Array.from(randomFloats(4096, 12), (v) => v + 2);
    const source = path.join(tmp.dir, 'float-data.onnx');
    const bytes = toBinary(ModelProtoSchema, floatDataModel(bias, scale));
    fs.writeFileSync(source, bytes);

    const loaded = await loadModel(source);
    const copy = path.join(tmp.dir, 'copy.onnx');
    await saveModel(loaded.proto, copy, { sourceDir: loaded.dir });
    expect(Buffer.compare(fs.readFileSync(copy), Buffer.from(bytes))).toBe(0);

    const x = randomFloats(4096, 13);
    const session = await ort.InferenceSession.create(copy);
    try {
      const y = (await session.run({ x: new ort.Tensor('float32', x, [4096]) })).y!.data as Float32Array;
      for (const i of [0, 1, 2047, 4095]) {
        expect(y[i]).toBeCloseTo((x[i]! + bias[i]!) * Math.fround(scale[i]!), 4);
      }
    } finally {
      await session.release();
    }
  });

  it('turn a malformed float list into MODEL_PARSE', async () => {
    const file = path.join(tmp.dir, 'ragged.onnx');
    fs.writeFileSync(file, modelWithTensorBytes([...DIMS_4, ...TYPE_FLOAT, 0x22, 0x03, 1, 2, 3, ...NAME_W]));
    const error = await loadModel(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('MODEL_PARSE');
    expect((error as StudioError).message).toMatch(/float_data of tensor 'w' holds 3 bytes/);
  });
});
