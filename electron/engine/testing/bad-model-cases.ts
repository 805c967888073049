import fs from 'node:fs';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  type ModelProto,
} from 'onnx-buf';
import type { ErrorCode } from '../../../shared/errors.js';
import { makeNode, makeRawTensor } from '../onnx/graph-build.js';
import { buildMlp, mulberry32 } from './model-fixtures.js';

/**
 * The data-driven table of files a user might open by mistake or malice, and the error each must give.
 * Grows with every bug. `make` writes the case into an empty folder and returns the path to open.
 */
export interface BadModelCase {
  name: string;
  code: ErrorCode;
  /** What the message must say, so the user knows what happened. */
  message: RegExp;
  make(dir: string): string;
}

function write(dir: string, name: string, data: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

function bytesOf(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** An MLP whose fc1.weight is moved to external data at `location` (no data file is written). */
function externalModel(location: string, length = 16 * 32 * 4): ModelProto {
  const model = buildMlp();
  const weight = model.graph!.initializer.find((t) => t.name === 'fc1.weight')!;
  weight.rawData = new Uint8Array(0);
  delete (weight as { rawData?: unknown }).rawData;
  weight.dataLocation = TensorProto_DataLocation.EXTERNAL;
  weight.externalData = [
    create(StringStringEntryProtoSchema, { key: 'location', value: location }),
    create(StringStringEntryProtoSchema, { key: 'offset', value: '0' }),
    create(StringStringEntryProtoSchema, { key: 'length', value: String(length) }),
  ];
  return model;
}

export const BAD_MODEL_CASES: BadModelCase[] = [
  { name: 'missing file', code: 'IO', message: /No such file/, make: (dir) => path.join(dir, 'nope.onnx') },
  {
    name: 'a directory',
    code: 'IO',
    message: /is a folder/,
    make: (dir) => {
      fs.mkdirSync(path.join(dir, 'folder.onnx'));
      return path.join(dir, 'folder.onnx');
    },
  },
  { name: 'empty file', code: 'MODEL_PARSE', message: /empty/, make: (dir) => write(dir, 'empty.onnx', new Uint8Array(0)) },
  {
    name: 'random bytes',
    code: 'MODEL_PARSE',
    message: /not a valid ONNX model|not an ONNX model/,
    make: (dir) => {
      const next = mulberry32(7);
      return write(dir, 'random.onnx', Uint8Array.from({ length: 4096 }, () => Math.floor(next() * 256)));
    },
  },
  {
    name: 'a PNG image',
    code: 'MODEL_PARSE',
    message: /PNG image/,
    make: (dir) => write(dir, 'image.onnx', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])),
  },
  { name: 'a JSON file', code: 'MODEL_PARSE', message: /JSON/, make: (dir) => write(dir, 'config.onnx', '{"model": "resnet"}') },
  {
    name: 'truncated model',
    code: 'MODEL_PARSE',
    message: /corrupt or truncated/,
    make: (dir) => {
      const bytes = bytesOf(buildMlp());
      return write(dir, 'truncated.onnx', bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
    },
  },
  {
    name: 'no graph',
    code: 'MODEL_INVALID',
    message: /has no graph/,
    make: (dir) => write(dir, 'nograph.onnx', bytesOf(create(ModelProtoSchema, { irVersion: 8n }))),
  },
  {
    name: 'absurd dims',
    code: 'MODEL_INVALID',
    message: /needs \d+ bytes/,
    make: (dir) => {
      const model = buildMlp();
      const t = model.graph!.initializer[0]!;
      t.dims = [1n << 40n, 1n << 40n];
      return write(dir, 'absurd.onnx', bytesOf(model));
    },
  },
  {
    name: 'negative dim',
    code: 'MODEL_INVALID',
    message: /negative dimension/,
    make: (dir) => {
      const model = buildMlp();
      model.graph!.initializer[0]!.dims = [-1n, 16n];
      return write(dir, 'negative.onnx', bytesOf(model));
    },
  },
  {
    name: 'cyclic graph',
    code: 'MODEL_INVALID',
    message: /cycle/i,
    make: (dir) => {
      const model = buildMlp();
      const g = model.graph!;
      // a -> b -> a, feeding nothing else: a cycle no runtime can order.
      g.node.push(makeNode('Relu', ['loop.b'], ['loop.a'], { name: 'loop_a' }));
      g.node.push(makeNode('Relu', ['loop.a'], ['loop.b'], { name: 'loop_b' }));
      return write(dir, 'cyclic.onnx', bytesOf(model));
    },
  },
  {
    name: 'data length does not match dims',
    code: 'MODEL_INVALID',
    message: /stores 4/,
    make: (dir) => {
      const model = buildMlp();
      model.graph!.initializer.push(makeRawTensor('odd', TensorProto_DataType.FLOAT, [3], new Uint8Array(4)));
      return write(dir, 'mismatch.onnx', bytesOf(model));
    },
  },
  {
    name: 'external data at an absolute path',
    code: 'MODEL_INVALID',
    message: /Refusing external-data location/,
    make: (dir) => write(dir, 'abs.onnx', bytesOf(externalModel('/etc/passwd'))),
  },
  {
    name: 'external data outside the folder',
    code: 'MODEL_INVALID',
    message: /Refusing external-data location/,
    make: (dir) => {
      fs.mkdirSync(path.join(dir, 'inner'));
      fs.writeFileSync(path.join(dir, 'secret.bin'), new Uint8Array(4096));
      return write(path.join(dir, 'inner'), 'escape.onnx', bytesOf(externalModel('../secret.bin')));
    },
  },
  {
    name: 'external data through a symbolic link that leaves the folder',
    code: 'MODEL_INVALID',
    message: /Refusing external-data location/,
    make: (dir) => {
      fs.mkdirSync(path.join(dir, 'inner'));
      fs.writeFileSync(path.join(dir, 'secret.bin'), new Uint8Array(4096));
      fs.symlinkSync(path.join(dir, 'secret.bin'), path.join(dir, 'inner', 'weights.bin'));
      return write(path.join(dir, 'inner'), 'link.onnx', bytesOf(externalModel('weights.bin')));
    },
  },
  {
    name: 'missing external data file',
    code: 'IO',
    message: /is missing/,
    make: (dir) => write(dir, 'nodata.onnx', bytesOf(externalModel('weights.bin'))),
  },
  {
    name: 'short external data file',
    code: 'IO',
    message: /too short/,
    make: (dir) => {
      fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(100));
      return write(dir, 'short.onnx', bytesOf(externalModel('weights.bin')));
    },
  },
];
