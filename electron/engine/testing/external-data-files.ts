import fs from 'node:fs';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { saveModel } from '../onnx/save-model.js';
import { buildMlp } from './model-fixtures.js';
import {
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  type ModelProto,
} from 'onnx-buf';

/**
 * Writes `model` to `dir/name` with each initializer named in `places` moved to the data file there: its location
 * relative to the model's folder, as the model writes it (`weights/a.bin`, `./weights/a.bin`). Each data file starts
 * with a 3-byte pad, so offsets are odd, as in the user tests' models. Returns the model's path.
 */
export function writeWithExternalData(
  dir: string,
  name: string,
  model: ModelProto,
  places: Record<string, string>,
): string {
  const started = new Set<string>();
  for (const tensor of model.graph!.initializer) {
    const location = places[tensor.name];
    if (location === undefined) continue;
    const file = path.resolve(dir, location.replace(/\\/g, '/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!started.has(file)) fs.writeFileSync(file, new Uint8Array(3));
    started.add(file);
    const offset = fs.statSync(file).size;
    fs.appendFileSync(file, tensor.rawData);
    tensor.externalData = [
      create(StringStringEntryProtoSchema, { key: 'location', value: location }),
      create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
      create(StringStringEntryProtoSchema, { key: 'length', value: String(tensor.rawData.byteLength) }),
    ];
    tensor.dataLocation = TensorProto_DataLocation.EXTERNAL;
    tensor.rawData = new Uint8Array(0);
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, toBinary(ModelProtoSchema, model));
  return file;
}

/**
 * A model as the Hugging Face cache keeps it, under `dir/hub`: `snapshots/abc123/model.onnx` and its data file
 * `model.onnx_data`, both links into `blobs/` (saved in a staging folder, then moved under content names, as the
 * hub stores them). Returns the model's path (the link) and the two folders.
 */
export async function writeHubModel(
  dir: string,
): Promise<{ model: string; blobs: string; snapshot: string }> {
  const blobs = path.join(dir, 'hub', 'blobs');
  const snapshot = path.join(dir, 'hub', 'snapshots', 'abc123');
  fs.mkdirSync(blobs, { recursive: true });
  fs.mkdirSync(snapshot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dir, 'staging-'));
  await saveModel(buildMlp(), path.join(staging, 'model.onnx'), {
    externalData: { thresholdBytes: 1024, fileName: 'model.onnx_data' },
  });
  fs.renameSync(path.join(staging, 'model.onnx'), path.join(blobs, '5f1e'));
  fs.renameSync(path.join(staging, 'model.onnx_data'), path.join(blobs, '9c2d'));
  fs.rmdirSync(staging);
  fs.symlinkSync('../../blobs/5f1e', path.join(snapshot, 'model.onnx'));
  fs.symlinkSync('../../blobs/9c2d', path.join(snapshot, 'model.onnx_data'));
  return { model: path.join(snapshot, 'model.onnx'), blobs, snapshot };
}
