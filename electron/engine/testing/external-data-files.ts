import fs from 'node:fs';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
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
