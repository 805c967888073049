import { clone, createFileRegistry, type DescMessage, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { file_onnx, TensorProtoSchema } from 'onnx-buf';
import { DOUBLE_DATA, FLOAT_DATA } from './float-lists.js';

/*
 * A copy of onnx.proto's schema in which TensorProto has no float_data and double_data fields: decoding
 * against it leaves those lists as unknown fields (slices of the file), which float-lists.ts turns into
 * typed arrays. Both model decoders build their messages from this schema (decode-model.ts).
 */

let variant: Registry | undefined;

/** onnx.proto's messages, with TensorProto's float_data and double_data left out (so kept as unknown). */
export function schemaWithoutFloatLists(): Registry {
  if (variant) return variant;
  const file = clone(FileDescriptorProtoSchema, file_onnx.proto);
  const tensor = file.messageType.find((m) => m.name === TensorProtoSchema.name);
  if (!tensor) throw new Error('onnx.proto has no TensorProto');
  tensor.field = tensor.field.filter((f) => f.number !== FLOAT_DATA && f.number !== DOUBLE_DATA);
  variant = createFileRegistry(file, () => undefined);
  return variant;
}

/** The variant schema's type of the given name (e.g. ModelProtoSchema.typeName). */
export function variantMessage(typeName: string): DescMessage {
  const desc = schemaWithoutFloatLists().getMessage(typeName);
  if (!desc) throw new Error(`onnx.proto has no ${typeName}`);
  return desc;
}
