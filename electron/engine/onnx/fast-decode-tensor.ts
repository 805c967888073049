import {
  StringStringEntryProtoSchema,
  TensorProtoSchema,
  type StringStringEntryProto,
  type TensorProto,
} from 'onnx-buf';
import { DOUBLE_DATA, FLOAT_DATA, setFloatLists, type UnknownField } from './float-lists.js';
import {
  Fallback,
  RECURSION_LIMIT,
  checkDepth,
  overrun,
  ownList,
  SHARED_TENSOR_LISTS,
  wrongWire,
  type Shapes,
} from './fast-decode-support.js';
import { BIT32, BIT64, DELIMITED, VARINT, tag, type WireReader } from './wire-reader.js';

/*
 * The specialised decoder's part for TensorProto (initializers, tensor attributes) and the key/value
 * entries of external data and metadata: see fast-decode.ts. float_data and double_data are collected as
 * the records protobuf-es would keep as unknown fields and turned into typed arrays (float-lists.ts).
 */

/** A float_data/double_data record as protobuf-es would keep it as an unknown field (payload after the tag). */
function floatRecord(r: WireReader, t: number, start: number): UnknownField {
  const wire = t & 7;
  if (wire === DELIMITED) r.pos = r.delimitedEnd();
  else if (wire === BIT32 || wire === BIT64) r.pos += wire === BIT32 ? 4 : 8;
  else r.skip(t, 0); // a wire type a value list cannot have: setFloatLists names it
  if (r.pos > r.len) throw new RangeError('premature EOF');
  return { no: t >>> 3, wireType: wire, data: r.buf.subarray(start, r.pos) };
}

export function readTensor(
  r: WireReader,
  end: number,
  depth: number,
  s: Shapes,
  into?: TensorProto,
): TensorProto {
  checkDepth(depth, TensorProtoSchema.typeName);
  const tensor = into ?? s.tensor();
  let fallback: Fallback | undefined;
  let floats: UnknownField[] | undefined;
  let doubles: UnknownField[] | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    switch (t) {
      case tag(1, VARINT):
        tensor.dims = r.int64Run(tensor.dims, tag(1, VARINT), end);
        break;
      case tag(1, DELIMITED):
        tensor.dims = r.packedInt64s(tensor.dims);
        break;
      case tag(2, VARINT):
        tensor.dataType = r.int32();
        break;
      case tag(8, DELIMITED):
        tensor.name = r.string();
        break;
      case tag(9, DELIMITED):
        tensor.rawData = r.bytes() as Uint8Array<ArrayBuffer>;
        break;
      case tag(5, VARINT):
        ownList(tensor, 'int32Data').push(r.int32());
        break;
      case tag(5, DELIMITED): {
        const listEnd = r.delimitedEnd();
        const list = ownList(tensor, 'int32Data');
        while (r.pos < listEnd) list.push(r.int32());
        if (r.pos !== listEnd) throw overrun('packed list');
        break;
      }
      case tag(6, DELIMITED):
        ownList(tensor, 'stringData').push(r.bytes() as Uint8Array<ArrayBuffer>);
        break;
      case tag(7, VARINT):
        ownList(tensor, 'int64Data').push(r.int64());
        break;
      case tag(7, DELIMITED): {
        const listEnd = r.delimitedEnd();
        const list = ownList(tensor, 'int64Data');
        while (r.pos < listEnd) list.push(r.int64());
        if (r.pos !== listEnd) throw overrun('packed list');
        break;
      }
      case tag(11, VARINT):
        ownList(tensor, 'uint64Data').push(r.uint64());
        break;
      case tag(11, DELIMITED): {
        const listEnd = r.delimitedEnd();
        const list = ownList(tensor, 'uint64Data');
        while (r.pos < listEnd) list.push(r.uint64());
        if (r.pos !== listEnd) throw overrun('packed list');
        break;
      }
      case tag(12, DELIMITED):
        tensor.docString = r.string();
        break;
      case tag(13, DELIMITED):
        ownList(tensor, 'externalData').push(readEntry(r, r.delimitedEnd(), depth + 1, s));
        break;
      case tag(14, VARINT): {
        const value = r.int32();
        if (s.dataLocations.has(value)) tensor.dataLocation = value;
        else (fallback ??= new Fallback(s.tensorDesc)).add(start, r.pos, t);
        break;
      }
      case tag(16, DELIMITED):
        ownList(tensor, 'metadataProps').push(readEntry(r, r.delimitedEnd(), depth + 1, s));
        break;
      default: {
        const field = t >>> 3;
        if (field === FLOAT_DATA) {
          (floats ??= []).push(floatRecord(r, t, r.pos));
        } else if (field === DOUBLE_DATA) {
          (doubles ??= []).push(floatRecord(r, t, r.pos));
        } else {
          if (field <= 16 && field !== 3 && field !== 15) throw wrongWire('TensorProto', field, t & 7);
          r.skip(t, RECURSION_LIMIT - depth);
          (fallback ??= new Fallback(s.tensorDesc)).add(start, r.pos, t);
        }
      }
    }
  }
  if (r.pos !== end) throw overrun(TensorProtoSchema.typeName);
  if (fallback) {
    for (const key of SHARED_TENSOR_LISTS) ownList(tensor, key); // protobuf-es appends to them
    fallback.mergeInto(tensor, r, depth);
  }
  if (floats || doubles) setFloatLists(tensor, floats ?? [], doubles ?? []);
  return tensor;
}

export function readEntry(r: WireReader, end: number, depth: number, s: Shapes): StringStringEntryProto {
  checkDepth(depth, StringStringEntryProtoSchema.typeName);
  const entry = s.entry();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    if (t === tag(1, DELIMITED)) entry.key = r.string();
    else if (t === tag(2, DELIMITED)) entry.value = r.string();
    else {
      if (t >>> 3 <= 2) throw wrongWire('StringStringEntryProto', t >>> 3, t & 7);
      r.skip(t, RECURSION_LIMIT - depth);
      (fallback ??= new Fallback(s.entryDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun(StringStringEntryProtoSchema.typeName);
  fallback?.mergeInto(entry, r, depth);
  return entry;
}
