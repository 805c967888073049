import type { TensorShapeProto, TensorShapeProto_Dimension, TypeProto, TypeProto_Tensor } from 'onnx-buf';
import {
  Fallback,
  RECURSION_LIMIT,
  checkDepth,
  overrun,
  wrongWire,
  type Shapes,
} from './fast-decode-support.js';
import { DELIMITED, VARINT, tag, type WireReader } from './wire-reader.js';

/*
 * The specialised decoder's part for value types (ValueInfoProto.type): TypeProto with a tensor type,
 * its shape and dimensions, which shape-inferred models carry for every value. Sequence, map, optional
 * and sparse types are left to protobuf-es (fast-decode-support.ts's Fallback), as in fast-decode.ts.
 */

export function readTypeProto(
  r: WireReader,
  end: number,
  depth: number,
  s: Shapes,
  into: TypeProto | undefined,
): TypeProto {
  checkDepth(depth, 'onnx.TypeProto');
  const type = into ?? s.typeProto();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    if (t === tag(1, DELIMITED)) {
      // `value` is a oneof: records that protobuf-es reads must land first, in order, to win or lose as
      // they would there.
      if (fallback?.pending) fallback.mergeInto(type, r, depth);
      const current = type.value.case === 'tensorType' ? type.value.value : undefined;
      type.value = { case: 'tensorType', value: readTypeTensor(r, r.delimitedEnd(), depth + 1, s, current) };
    } else if (t === tag(6, DELIMITED)) {
      type.denotation = r.string();
    } else {
      if (t >>> 3 === 1 || t >>> 3 === 6) throw wrongWire('TypeProto', t >>> 3, t & 7);
      r.skip(t, RECURSION_LIMIT - depth);
      (fallback ??= new Fallback(s.typeDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun('onnx.TypeProto');
  fallback?.mergeInto(type, r, depth);
  return type;
}

function readTypeTensor(
  r: WireReader,
  end: number,
  depth: number,
  s: Shapes,
  into: TypeProto_Tensor | undefined,
): TypeProto_Tensor {
  checkDepth(depth, 'onnx.TypeProto.Tensor');
  const tensor = into ?? s.typeTensor();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    if (t === tag(1, VARINT)) {
      tensor.elemType = r.int32();
    } else if (t === tag(2, DELIMITED)) {
      tensor.shape = readShape(r, r.delimitedEnd(), depth + 1, s, tensor.shape);
    } else {
      if (t >>> 3 <= 2) throw wrongWire('TypeProto.Tensor', t >>> 3, t & 7);
      r.skip(t, RECURSION_LIMIT - depth);
      (fallback ??= new Fallback(s.typeTensorDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun('onnx.TypeProto.Tensor');
  fallback?.mergeInto(tensor, r, depth);
  return tensor;
}

function readShape(
  r: WireReader,
  end: number,
  depth: number,
  s: Shapes,
  into: TensorShapeProto | undefined,
): TensorShapeProto {
  checkDepth(depth, 'onnx.TensorShapeProto');
  const shape = into ?? s.shape();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    if (t === tag(1, DELIMITED)) {
      shape.dim.push(readDimension(r, r.delimitedEnd(), depth + 1, s));
    } else {
      if (t >>> 3 === 1) throw wrongWire('TensorShapeProto', 1, t & 7);
      r.skip(t, RECURSION_LIMIT - depth);
      (fallback ??= new Fallback(s.shapeDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun('onnx.TensorShapeProto');
  fallback?.mergeInto(shape, r, depth);
  return shape;
}

function readDimension(r: WireReader, end: number, depth: number, s: Shapes): TensorShapeProto_Dimension {
  checkDepth(depth, 'onnx.TensorShapeProto.Dimension');
  const dim = s.dimension();
  let fallback: Fallback | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const t = r.tag();
    if (t === tag(1, VARINT)) {
      dim.value = { case: 'dimValue', value: r.int64() };
    } else if (t === tag(2, DELIMITED)) {
      dim.value = { case: 'dimParam', value: r.string() };
    } else if (t === tag(3, DELIMITED)) {
      dim.denotation = r.string();
    } else {
      if (t >>> 3 <= 3) throw wrongWire('TensorShapeProto.Dimension', t >>> 3, t & 7);
      r.skip(t, RECURSION_LIMIT - depth);
      (fallback ??= new Fallback(s.dimensionDesc)).add(start, r.pos, t);
    }
  }
  if (r.pos !== end) throw overrun('onnx.TensorShapeProto.Dimension');
  fallback?.mergeInto(dim, r, depth);
  return dim;
}
