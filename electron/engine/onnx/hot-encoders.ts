import { ScalarType, type DescMessage, type Message } from '@bufbuild/protobuf';
import {
  NodeProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  type NodeProto,
  type StringStringEntryProto,
  type TensorProto,
} from 'onnx-buf';
import { scalarSize, unknownSize, utf8Size, varintSize, type AnyMessage } from './proto-wire-sizes.js';

/*
 * Hand-written size and write functions for the messages a large graph is made of (TensorProto, NodeProto
 * and the key/value entries of external data), used by the stream writer in place of its per-field
 * reflection. A graph of 20,000 small initializers and nodes spent most of its save in that reflection
 * (megamorphic reads of fields by name, presence checks through the descriptors: docs/benchmarks.md).
 *
 * The common fields are read directly; rarely set ones go back to the writer's generic field code. Either
 * way the fields are written in field-number order, with the same proto2 presence rule (a field is
 * written when it is an own property, even at its default value), then unknown fields, so the bytes are
 * exactly the generic writer's (tests check whole models byte for byte).
 */

/** What the encoders use of the stream writer (StreamingProtoWriter implements it). */
export interface CodecWriter {
  /** Reserves the next slot of the writer's size list (pre-order, the order it writes messages in). */
  reserveSize(): number;
  setSize(slot: number, size: number): void;
  /** Bytes of a child message field with its tag (`tagBytes` long) and length, measuring the child. */
  sizeOfChild(tagBytes: number, desc: DescMessage, codec: MessageCodec | undefined, item: Message): number;
  /** The generic code's size / write of one field, for the fields the encoders leave to it. */
  sizeFieldNumber(desc: DescMessage, fieldNo: number, msg: AnyMessage): number;
  writeFieldNumber(desc: DescMessage, fieldNo: number, msg: AnyMessage): void;
  writeChild(fieldNo: number, desc: DescMessage, message: Message, codec?: MessageCodec): void;
  writeUnknown(msg: AnyMessage): void;
  byte(value: number): void;
  varint(value: number): void;
  int64(value: bigint | number | string): void;
  string(s: string): void;
  bytes(b: Uint8Array): void;
}

export interface MessageCodec {
  /** The message's size without its tag and length; reserves size slots like the generic writer. */
  size(w: CodecWriter, msg: AnyMessage): number;
  write(w: CodecWriter, msg: AnyMessage): void;
}

const hasOwn = Object.hasOwn;

const stringSize = (s: string) => {
  const n = utf8Size(s);
  return varintSize(n) + n;
};

// A proto2 singular field is present when it is an own property; a value other than the prototype's
// default is necessarily one, so hasOwn only runs for default values.
const hasString = (m: object, value: string | undefined, name: string) =>
  value !== undefined && (value !== '' || hasOwn(m, name));
const hasNumber = (m: object, value: number | undefined, name: string) =>
  value !== undefined && (value !== 0 || hasOwn(m, name));

const tensorCodec: MessageCodec = {
  size(w, msg) {
    const t = msg as unknown as TensorProto;
    const slot = w.reserveSize();
    let size = 0;
    const dims = t.dims;
    for (let i = 0; i < dims.length; i++) size += 1 + scalarSize(ScalarType.INT64, dims[i]);
    if (hasNumber(t, t.dataType, 'dataType')) size += 1 + scalarSize(ScalarType.INT32, t.dataType);
    if (t.segment !== undefined) size += w.sizeFieldNumber(TensorProtoSchema, 3, msg);
    if (t.floatData.length !== 0) size += w.sizeFieldNumber(TensorProtoSchema, 4, msg);
    if (t.int32Data.length !== 0) size += w.sizeFieldNumber(TensorProtoSchema, 5, msg);
    if (t.stringData.length !== 0) size += w.sizeFieldNumber(TensorProtoSchema, 6, msg);
    if (t.int64Data.length !== 0) size += w.sizeFieldNumber(TensorProtoSchema, 7, msg);
    if (hasString(t, t.name, 'name')) size += 1 + stringSize(t.name);
    const raw = t.rawData;
    if (raw !== undefined && (raw.byteLength !== 0 || hasOwn(t, 'rawData')))
      size += 1 + varintSize(raw.byteLength) + raw.byteLength;
    if (t.doubleData.length !== 0) size += w.sizeFieldNumber(TensorProtoSchema, 10, msg);
    if (t.uint64Data.length !== 0) size += w.sizeFieldNumber(TensorProtoSchema, 11, msg);
    if (hasString(t, t.docString, 'docString')) size += 1 + stringSize(t.docString);
    const external = t.externalData;
    for (let i = 0; i < external.length; i++)
      size += w.sizeOfChild(1, StringStringEntryProtoSchema, entryCodec, external[i]!);
    if (hasNumber(t, t.dataLocation, 'dataLocation'))
      size += 1 + scalarSize(ScalarType.INT32, t.dataLocation);
    if (t.metadataProps.length !== 0) size += w.sizeFieldNumber(TensorProtoSchema, 16, msg);
    size += unknownSize(msg);
    w.setSize(slot, size);
    return size;
  },

  write(w, msg) {
    const t = msg as unknown as TensorProto;
    const dims = t.dims;
    for (let i = 0; i < dims.length; i++) {
      w.byte(0x08); // field 1, varint
      w.int64(dims[i]!);
    }
    if (hasNumber(t, t.dataType, 'dataType')) {
      w.byte(0x10);
      w.varint(t.dataType); // int32: negative values are sign-extended by varint()
    }
    if (t.segment !== undefined) w.writeFieldNumber(TensorProtoSchema, 3, msg);
    if (t.floatData.length !== 0) w.writeFieldNumber(TensorProtoSchema, 4, msg);
    if (t.int32Data.length !== 0) w.writeFieldNumber(TensorProtoSchema, 5, msg);
    if (t.stringData.length !== 0) w.writeFieldNumber(TensorProtoSchema, 6, msg);
    if (t.int64Data.length !== 0) w.writeFieldNumber(TensorProtoSchema, 7, msg);
    if (hasString(t, t.name, 'name')) {
      w.byte(0x42);
      w.string(t.name);
    }
    const raw = t.rawData;
    if (raw !== undefined && (raw.byteLength !== 0 || hasOwn(t, 'rawData'))) {
      w.byte(0x4a);
      w.bytes(raw);
    }
    if (t.doubleData.length !== 0) w.writeFieldNumber(TensorProtoSchema, 10, msg);
    if (t.uint64Data.length !== 0) w.writeFieldNumber(TensorProtoSchema, 11, msg);
    if (hasString(t, t.docString, 'docString')) {
      w.byte(0x62);
      w.string(t.docString);
    }
    const external = t.externalData;
    for (let i = 0; i < external.length; i++)
      w.writeChild(13, StringStringEntryProtoSchema, external[i]!, entryCodec);
    if (hasNumber(t, t.dataLocation, 'dataLocation')) {
      w.byte(0x70);
      w.varint(t.dataLocation);
    }
    if (t.metadataProps.length !== 0) w.writeFieldNumber(TensorProtoSchema, 16, msg);
    w.writeUnknown(msg);
  },
};

const nodeCodec: MessageCodec = {
  size(w, msg) {
    const n = msg as unknown as NodeProto;
    const slot = w.reserveSize();
    let size = 0;
    const input = n.input;
    for (let i = 0; i < input.length; i++) size += 1 + stringSize(input[i]!);
    const output = n.output;
    for (let i = 0; i < output.length; i++) size += 1 + stringSize(output[i]!);
    if (hasString(n, n.name, 'name')) size += 1 + stringSize(n.name);
    if (hasString(n, n.opType, 'opType')) size += 1 + stringSize(n.opType);
    if (n.attribute.length !== 0) size += w.sizeFieldNumber(NodeProtoSchema, 5, msg);
    if (hasString(n, n.docString, 'docString')) size += 1 + stringSize(n.docString);
    if (hasString(n, n.domain, 'domain')) size += 1 + stringSize(n.domain);
    if (hasString(n, n.overload, 'overload')) size += 1 + stringSize(n.overload);
    if (n.metadataProps.length !== 0) size += w.sizeFieldNumber(NodeProtoSchema, 9, msg);
    if (n.deviceConfigurations.length !== 0) size += w.sizeFieldNumber(NodeProtoSchema, 10, msg);
    size += unknownSize(msg);
    w.setSize(slot, size);
    return size;
  },

  write(w, msg) {
    const n = msg as unknown as NodeProto;
    const input = n.input;
    for (let i = 0; i < input.length; i++) {
      w.byte(0x0a);
      w.string(input[i]!);
    }
    const output = n.output;
    for (let i = 0; i < output.length; i++) {
      w.byte(0x12);
      w.string(output[i]!);
    }
    if (hasString(n, n.name, 'name')) {
      w.byte(0x1a);
      w.string(n.name);
    }
    if (hasString(n, n.opType, 'opType')) {
      w.byte(0x22);
      w.string(n.opType);
    }
    if (n.attribute.length !== 0) w.writeFieldNumber(NodeProtoSchema, 5, msg);
    if (hasString(n, n.docString, 'docString')) {
      w.byte(0x32);
      w.string(n.docString);
    }
    if (hasString(n, n.domain, 'domain')) {
      w.byte(0x3a);
      w.string(n.domain);
    }
    if (hasString(n, n.overload, 'overload')) {
      w.byte(0x42);
      w.string(n.overload);
    }
    if (n.metadataProps.length !== 0) w.writeFieldNumber(NodeProtoSchema, 9, msg);
    if (n.deviceConfigurations.length !== 0) w.writeFieldNumber(NodeProtoSchema, 10, msg);
    w.writeUnknown(msg);
  },
};

const entryCodec: MessageCodec = {
  size(w, msg) {
    const e = msg as unknown as StringStringEntryProto;
    const slot = w.reserveSize();
    let size = 0;
    if (hasString(e, e.key, 'key')) size += 1 + stringSize(e.key);
    if (hasString(e, e.value, 'value')) size += 1 + stringSize(e.value);
    size += unknownSize(msg);
    w.setSize(slot, size);
    return size;
  },

  write(w, msg) {
    const e = msg as unknown as StringStringEntryProto;
    if (hasString(e, e.key, 'key')) {
      w.byte(0x0a);
      w.string(e.key);
    }
    if (hasString(e, e.value, 'value')) {
      w.byte(0x12);
      w.string(e.value);
    }
    w.writeUnknown(msg);
  },
};

const codecs = new Map<string, MessageCodec>([
  [TensorProtoSchema.typeName, tensorCodec],
  [NodeProtoSchema.typeName, nodeCodec],
  [StringStringEntryProtoSchema.typeName, entryCodec],
]);

/** The hand-written encoder of a message type, if it has one. */
export function codecFor(typeName: string): MessageCodec | undefined {
  return codecs.get(typeName);
}
