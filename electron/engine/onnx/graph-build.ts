import { create } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  type GraphProto,
  type NodeProto,
  NodeProtoSchema,
  type TensorProto,
  TensorProtoSchema,
  TensorProto_DataType,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import { trackNewTensor } from './streamed-weights.js';

/**
 * Small builders for ONNX protos, used by the graph editors, the quantizer/pruner and the test fixtures.
 * Tensors are always built with little-endian `raw_data`.
 */

/** An attribute value; numbers are FLOAT unless `ints`/`int` is used via the explicit form. */
export type AttributeValue =
  | { float: number }
  | { int: number | bigint }
  | { string: string }
  | { tensor: TensorProto }
  | { graph: GraphProto }
  | { floats: number[] }
  | { ints: (number | bigint)[] }
  | { strings: string[] }
  | { graphs: GraphProto[] };

/** Builds an AttributeProto with its `type` set. */
export function makeAttribute(name: string, value: AttributeValue): AttributeProto {
  const T = AttributeProto_AttributeType;
  if ('float' in value) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: value.float });
  if ('int' in value) return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(value.int) });
  if ('string' in value) {
    return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(value.string) });
  }
  if ('tensor' in value) return create(AttributeProtoSchema, { name, type: T.TENSOR, t: value.tensor });
  if ('graph' in value) return create(AttributeProtoSchema, { name, type: T.GRAPH, g: value.graph });
  if ('floats' in value) return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: value.floats });
  if ('ints' in value) {
    return create(AttributeProtoSchema, { name, type: T.INTS, ints: value.ints.map((v) => BigInt(v)) });
  }
  if ('strings' in value) {
    const enc = new TextEncoder();
    return create(AttributeProtoSchema, {
      name,
      type: T.STRINGS,
      strings: value.strings.map((s) => enc.encode(s)),
    });
  }
  return create(AttributeProtoSchema, { name, type: T.GRAPHS, graphs: value.graphs });
}

export interface MakeNodeOptions {
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

/** Builds a NodeProto. */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  options: MakeNodeOptions = {},
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input: [...inputs],
    output: [...outputs],
    name: options.name ?? '',
    domain: options.domain ?? '',
    attribute: Object.entries(options.attributes ?? {}).map(([n, v]) => makeAttribute(n, v)),
  });
}

/** A shape dimension: a fixed size, a symbolic name, or `null` for unknown. */
export type Dim = number | string | null;

/** Builds a tensor-typed ValueInfoProto; `shape` undefined means unknown rank. */
export function makeValueInfo(name: string, elemType: number, shape?: readonly Dim[]): ValueInfoProto {
  const tensorType = create(TypeProto_TensorSchema, { elemType });
  if (shape !== undefined) {
    tensorType.shape = create(TensorShapeProtoSchema, {
      dim: shape.map((d) =>
        create(TensorShapeProto_DimensionSchema, {
          value:
            d === null
              ? { case: undefined }
              : typeof d === 'number'
                ? { case: 'dimValue', value: BigInt(d) }
                : { case: 'dimParam', value: d },
        }),
      ),
    });
  }
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensorType } }),
  });
}

/** Builds a tensor whose data is `raw` (little-endian bytes, copied). */
export function makeRawTensor(
  name: string,
  dataType: number,
  dims: readonly (number | bigint)[],
  raw: Uint8Array,
): TensorProto {
  const tensor = create(TensorProtoSchema, {
    name,
    dataType,
    dims: dims.map((d) => BigInt(d)),
    rawData: copyBytes(raw),
  });
  trackNewTensor(tensor);
  return tensor;
}

/** A float32 tensor stored in raw_data. */
export function makeFloatTensor(
  name: string,
  dims: readonly (number | bigint)[],
  values: ArrayLike<number>,
): TensorProto {
  const data = Float32Array.from(values);
  return makeRawTensor(name, TensorProto_DataType.FLOAT, dims, littleEndianBytes(data));
}

/** An int64 tensor stored in raw_data. */
export function makeInt64Tensor(
  name: string,
  dims: readonly (number | bigint)[],
  values: ArrayLike<number | bigint>,
): TensorProto {
  const data = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return makeRawTensor(name, TensorProto_DataType.INT64, dims, littleEndianBytes(data));
}

/** Copies bytes into a fresh `Uint8Array<ArrayBuffer>` (what protobuf-es bytes fields are typed as). */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of a typed array (copied). */
export function littleEndianBytes(
  data:
    | Float32Array
    | Float64Array
    | Int32Array
    | Uint32Array
    | Int16Array
    | Uint16Array
    | BigInt64Array
    | BigUint64Array,
): Uint8Array<ArrayBuffer> {
  const bytes = copyBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!LITTLE_ENDIAN_HOST && data.BYTES_PER_ELEMENT > 1) {
    const w = data.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  return bytes;
}
