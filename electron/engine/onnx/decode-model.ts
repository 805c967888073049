import os from 'node:os';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from 'onnx-buf';
import { decodeModelFast } from './fast-decode.js';
import { restoreFloatLists } from './float-lists.js';
import { variantMessage } from './variant-schema.js';
import { forEachTensor } from './walk-tensors.js';

/*
 * Decoding ONNX bytes into a ModelProto, fast for graphs of many small messages and where weights are
 * stored in TensorProto.float_data or double_data (`onnx.helper.make_tensor`'s default, and some older
 * exporters).
 *
 * protobuf-es decodes a packed `repeated float` one element at a time into a JS array: loading a model
 * with 48 MB of float_data took 1.55 s and 1.2 GB of memory (Python's C++ protobuf: 47 ms; see
 * docs/benchmarks.md). So models are decoded against a copy of onnx.proto's schema in which TensorProto
 * has no float_data and double_data fields, and those two lists become Float32Array (Float64Array) views
 * of the file's bytes (float-lists.ts). The fields keep their meaning (element count, indexing,
 * iteration); the stream writer writes typed arrays back byte for byte, so a load-save round trip stays
 * identical, and clone-proto.ts copies them without unpacking them.
 *
 * The messages a graph is made of (nodes, attributes, tensors, value infos) are read by a hand-specialised
 * decoder (fast-decode.ts) that builds the very objects protobuf-es would build from that variant schema,
 * and hands every other field to protobuf-es. `decodeModelGeneric` is the all-protobuf-es path; tests
 * check that both give deep-equal models. A big-endian host, where the typed arrays would read the
 * little-endian wire bytes wrongly, uses the standard decoder.
 */

const littleEndian = os.endianness() === 'LE';

/**
 * Decodes a serialized ModelProto. Throws what protobuf-es throws on corrupt bytes, and an Error when a
 * float list is malformed; callers turn both into MODEL_PARSE.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!littleEndian) return fromBinary(ModelProtoSchema, bytes);
  try {
    return decodeModelFast(bytes);
  } catch {
    // The specialised decoder is stricter than protobuf-es (wire types, message lengths), which reads
    // some corrupt files anyway; validation then says what is wrong with them. So whatever it refuses
    // is decoded again here, and accepted or refused exactly as before it existed.
    return decodeModelGeneric(bytes);
  }
}

/** The same model as decodeModel, decoded by protobuf-es alone (the reference the fast path is tested on). */
export function decodeModelGeneric(bytes: Uint8Array): ModelProto {
  if (!littleEndian) return fromBinary(ModelProtoSchema, bytes);
  const model = fromBinary(variantMessage(ModelProtoSchema.typeName), bytes) as unknown as ModelProto;
  forEachTensor(model, restoreFloatLists);
  return model;
}
