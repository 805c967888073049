import os from 'node:os';
import { clone, createFileRegistry, fromBinary, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { file_onnx, ModelProtoSchema, TensorProtoSchema, type ModelProto, type TensorProto } from 'onnx-buf';
import { forEachTensor } from './walk-tensors.js';

/*
 * Decoding ONNX bytes into a ModelProto, fast where weights are stored in TensorProto.float_data or
 * double_data (`onnx.helper.make_tensor`'s default, and some older exporters).
 *
 * protobuf-es decodes a packed `repeated float` one element at a time into a JS array: loading a model
 * with 48 MB of float_data took 1.55 s and 1.2 GB of memory (Python's C++ protobuf: 47 ms; see
 * docs/benchmarks.md). So the model is first decoded with a copy of onnx.proto's schema in which TensorProto
 * has no float_data and double_data fields. protobuf-es then keeps those fields as unknown fields: slices of
 * the file's bytes, with their wire types, in order. Each slice becomes a Float32Array (Float64Array) of the
 * values: a view of the bytes when the packed payload is aligned, else one copy. The fields keep their
 * meaning (element count, indexing, iteration); the stream writer writes typed arrays back byte for byte,
 * so a load-save round trip stays identical, and clone-proto.ts copies them without unpacking them.
 *
 * Every encoding the standard decoder accepts is handled: one packed run (what every writer emits), several
 * packed runs (concatenated), or unpacked elements. A big-endian host, where the typed arrays would read the
 * little-endian wire bytes wrongly, uses the standard decoder.
 */

const FLOAT_DATA = 4;
const DOUBLE_DATA = 10;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED64 = 1;
const WIRE_FIXED32 = 5;

type UnknownField = { no: number; wireType: number; data: Uint8Array };

let variantSchema: DescMessage | undefined;

/** onnx.proto's ModelProto, with TensorProto's float_data and double_data left out (so kept as unknown). */
function modelSchemaWithoutFloatLists(): DescMessage {
  if (variantSchema) return variantSchema;
  const file = clone(FileDescriptorProtoSchema, file_onnx.proto);
  const tensor = file.messageType.find((m) => m.name === TensorProtoSchema.name);
  if (!tensor) throw new Error('onnx.proto has no TensorProto');
  tensor.field = tensor.field.filter((f) => f.number !== FLOAT_DATA && f.number !== DOUBLE_DATA);
  variantSchema = createFileRegistry(file, () => undefined).getMessage(ModelProtoSchema.typeName);
  if (!variantSchema) throw new Error('onnx.proto has no ModelProto');
  return variantSchema;
}

/** Reads a varint length prefix: [value, bytes it took]. */
function lengthPrefix(data: Uint8Array): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < data.length && i < 5; i++) {
    const byte = data[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, i + 1];
    shift += 7;
  }
  throw new Error('a tensor value list has a malformed length');
}

/**
 * The values of one float list field from its unknown-field records, in order. `width` is 4 (float) or 8
 * (double); `single` is the wire type of one unpacked element.
 */
function valuesOf(records: UnknownField[], width: 4 | 8, single: number, field: string): Uint8Array {
  // `field` names the list and its tensor, e.g. "float_data of tensor 'fc1.weight'".
  const runs: Uint8Array[] = [];
  for (const record of records) {
    if (record.wireType === WIRE_LENGTH_DELIMITED) {
      const [length, prefix] = lengthPrefix(record.data);
      if (length % width !== 0)
        throw new Error(`the ${field} holds ${length} bytes, not a whole number of values`);
      runs.push(record.data.subarray(prefix, prefix + length));
    } else if (record.wireType === single) {
      runs.push(record.data);
    } else {
      throw new Error(`the ${field} has wire type ${record.wireType}, which a value list cannot have`);
    }
  }
  if (runs.length === 1) return runs[0]!;
  const total = runs.reduce((sum, r) => sum + r.byteLength, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const r of runs) {
    joined.set(r, at);
    at += r.byteLength;
  }
  return joined;
}

/** A typed array over the bytes: a view when aligned, else over a copy. */
function typedValues(bytes: Uint8Array, width: 4 | 8): Float32Array | Float64Array {
  // new Uint8Array(bytes) copies (a Buffer's slice() would not).
  const aligned = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
  const count = aligned.byteLength / width;
  return width === 4
    ? new Float32Array(aligned.buffer, aligned.byteOffset, count)
    : new Float64Array(aligned.buffer, aligned.byteOffset, count);
}

/** Moves float_data/double_data from the tensor's unknown fields into the fields, as typed arrays. */
function restoreFloatLists(tensor: TensorProto): void {
  const record = tensor as unknown as Record<string, unknown> & { $unknown?: UnknownField[] };
  const unknown = record.$unknown;
  if (!unknown) {
    // Most tensors (raw_data, external data): nothing to move, just the empty lists.
    record.floatData = [];
    record.doubleData = [];
    return;
  }
  const floats = unknown.filter((u) => u.no === FLOAT_DATA);
  const doubles = unknown.filter((u) => u.no === DOUBLE_DATA);
  const of = `of tensor '${tensor.name || '(unnamed)'}'`;
  // Typed as number[] by onnx-buf: a typed array reads the same (length, index, iteration).
  record.floatData =
    floats.length > 0 ? typedValues(valuesOf(floats, 4, WIRE_FIXED32, `float_data ${of}`), 4) : [];
  record.doubleData =
    doubles.length > 0 ? typedValues(valuesOf(doubles, 8, WIRE_FIXED64, `double_data ${of}`), 8) : [];
  if (floats.length + doubles.length > 0) {
    const rest = unknown.filter((u) => u.no !== FLOAT_DATA && u.no !== DOUBLE_DATA);
    if (rest.length > 0) record.$unknown = rest;
    else delete record.$unknown;
  }
}

/**
 * Decodes a serialized ModelProto. Throws what protobuf-es throws on corrupt bytes, and an Error when a
 * float list is malformed; callers turn both into MODEL_PARSE.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (os.endianness() !== 'LE') return fromBinary(ModelProtoSchema, bytes);
  const model = fromBinary(modelSchemaWithoutFloatLists(), bytes) as unknown as ModelProto;
  forEachTensor(model, restoreFloatLists);
  return model;
}
