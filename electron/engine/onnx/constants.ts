import { clearField, create, isFieldSet } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type SparseTensorProto,
  SparseTensorProtoSchema,
  type TensorProto,
  TensorProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
} from 'onnx-buf';
import { StudioError } from '../errors.js';
import { dtypeBits, elementCount } from './dtypes.js';
import { copyBytes, littleEndianBytes, makeAttribute, makeRawTensor, makeValueInfo } from './graph-build.js';
import { type GraphIndex, sparseName } from './graph-index.js';
import { cloneProto } from './clone-proto.js';
import { isDefaultDomain } from './domains.js';

/*
 * Constants: where a weight lives (initializer, sparse initializer, or Constant node), reading its
 * data as little-endian bytes, and replacing it in place.
 */

const DT = TensorProto_DataType;

/** Bytes per element of a fixed-width data type; undefined for STRING, sub-byte and unknown types. */
export function dataTypeByteSize(dataType: number): number | undefined {
  const bits = dtypeBits(dataType);
  return bits !== undefined && bits >= 8 ? bits / 8 : undefined;
}

/** The number of elements a tensor's dims describe (1 for a scalar). */
export function tensorElementCount(tensor: { dims: readonly bigint[] }): number {
  return Number(elementCount(tensor.dims));
}

function dataTypeName(dataType: number): string {
  return DT[dataType] ?? `data type ${dataType}`;
}

function tensorLabel(tensor: TensorProto): string {
  return tensor.name ? `tensor '${tensor.name}'` : 'an unnamed tensor';
}

/**
 * A fixed-width tensor's data as little-endian bytes, whether stored in raw_data or in the typed
 * fields (float_data, int32_data, ...). Returns raw_data itself (not a copy) when that is where the
 * data is. Throws BAD_REQUEST for external data, strings and sub-byte types; MODEL_INVALID when the
 * stored data does not match the dims.
 */
export function tensorRawBytes(tensor: TensorProto): Uint8Array {
  if (tensor.dataLocation === TensorProto_DataLocation.EXTERNAL || tensor.externalData.length > 0) {
    throw new StudioError(
      'BAD_REQUEST',
      `The data of ${tensorLabel(tensor)} is stored externally and not loaded.`,
    );
  }
  const size = dataTypeByteSize(tensor.dataType);
  if (size === undefined) {
    throw new StudioError(
      'BAD_REQUEST',
      `Cannot read the data of ${tensorLabel(tensor)} as bytes: ${dataTypeName(tensor.dataType)} is not supported.`,
    );
  }
  const count = tensorElementCount(tensor);
  if (isFieldSet(tensor, TensorProtoSchema.field.rawData!) && tensor.rawData.length > 0) {
    if (tensor.rawData.length !== count * size) {
      throw new StudioError(
        'MODEL_INVALID',
        `${capitalize(tensorLabel(tensor))} has ${tensor.rawData.length} bytes of data; its dims need ${count * size}.`,
      );
    }
    return tensor.rawData;
  }
  let bytes: Uint8Array;
  let stored: number;
  switch (tensor.dataType) {
    case DT.FLOAT:
    case DT.COMPLEX64:
      bytes = littleEndianBytes(Float32Array.from(tensor.floatData));
      stored = tensor.floatData.length;
      break;
    case DT.DOUBLE:
    case DT.COMPLEX128:
      bytes = littleEndianBytes(Float64Array.from(tensor.doubleData));
      stored = tensor.doubleData.length;
      break;
    case DT.INT32:
      bytes = littleEndianBytes(Int32Array.from(tensor.int32Data));
      stored = tensor.int32Data.length;
      break;
    case DT.INT64:
      bytes = littleEndianBytes(BigInt64Array.from(tensor.int64Data));
      stored = tensor.int64Data.length;
      break;
    case DT.UINT32:
      bytes = littleEndianBytes(Uint32Array.from(tensor.uint64Data, (v) => Number(BigInt.asUintN(32, v))));
      stored = tensor.uint64Data.length;
      break;
    case DT.UINT64:
      bytes = littleEndianBytes(BigUint64Array.from(tensor.uint64Data));
      stored = tensor.uint64Data.length;
      break;
    default:
      if (size === 1) {
        bytes = Uint8Array.from(tensor.int32Data, (v) => v & 0xff);
      } else {
        bytes = littleEndianBytes(Uint16Array.from(tensor.int32Data, (v) => v & 0xffff));
      }
      stored = tensor.int32Data.length;
  }
  if (bytes.length !== count * size) {
    throw new StudioError(
      'MODEL_INVALID',
      `${capitalize(tensorLabel(tensor))} stores ${stored} values; its dims need ${count} elements.`,
    );
  }
  return bytes;
}

/** A FLOAT tensor's values (copied). Throws BAD_REQUEST for other data types. */
export function floatValues(tensor: TensorProto): Float32Array {
  if (tensor.dataType !== DT.FLOAT) {
    throw new StudioError(
      'BAD_REQUEST',
      `${capitalize(tensorLabel(tensor))} is ${dataTypeName(tensor.dataType)}, not FLOAT.`,
    );
  }
  const bytes = tensorRawBytes(tensor);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** An INT64 tensor's values as numbers (for index tensors). */
function int64Values(tensor: TensorProto, what: string): number[] {
  if (tensor.dataType !== DT.INT64) {
    throw new StudioError('MODEL_INVALID', `${what} must be INT64, not ${dataTypeName(tensor.dataType)}.`);
  }
  const bytes = tensorRawBytes(tensor);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = Number(view.getBigInt64(i * 8, true));
  return out;
}

/**
 * The dense tensor a SparseTensorProto stands for (data in raw_data, or string_data for strings),
 * named after the sparse tensor. Indices may be 1-D linear indices ([nnz]) or 2-D coordinates
 * ([nnz, rank]), int64. Throws MODEL_INVALID for malformed sparse tensors.
 */
export function densifySparseTensor(sparse: SparseTensorProto): TensorProto {
  const name = sparseName(sparse);
  const label = name ? `sparse tensor '${name}'` : 'an unnamed sparse tensor';
  const values = sparse.values;
  if (!values) throw new StudioError('MODEL_INVALID', `The ${label} has no values.`);
  const dims = sparse.dims;
  const rank = dims.length;
  const total = tensorElementCount(sparse);
  const nnz = values.dims.length > 0 ? Number(values.dims[0]) : tensorElementCount(values);

  let linear: number[] = [];
  if (nnz > 0) {
    if (!sparse.indices) throw new StudioError('MODEL_INVALID', `The ${label} has values but no indices.`);
    const idx = int64Values(sparse.indices, `The indices of the ${label}`);
    const idims = sparse.indices.dims.map(Number);
    if (idims.length <= 1 && idx.length === nnz) {
      linear = idx;
    } else if (idims.length === 2 && idims[0] === nnz && idims[1] === rank) {
      const strides = new Array<number>(rank).fill(1);
      for (let k = rank - 2; k >= 0; k--) strides[k] = strides[k + 1]! * Number(dims[k + 1]);
      linear = new Array<number>(nnz);
      for (let e = 0; e < nnz; e++) {
        let flat = 0;
        for (let k = 0; k < rank; k++) {
          const c = idx[e * rank + k]!;
          if (c < 0 || c >= Number(dims[k])) {
            throw new StudioError(
              'MODEL_INVALID',
              `The ${label} has coordinate ${c} out of range on axis ${k}.`,
            );
          }
          flat += c * strides[k]!;
        }
        linear[e] = flat;
      }
    } else {
      throw new StudioError(
        'MODEL_INVALID',
        `The indices of the ${label} have shape [${idims.join(', ')}]; expected [${nnz}] or [${nnz}, ${rank}].`,
      );
    }
    for (const i of linear) {
      if (!Number.isInteger(i) || i < 0 || i >= total) {
        throw new StudioError(
          'MODEL_INVALID',
          `The ${label} has index ${i} out of range (${total} elements).`,
        );
      }
    }
  }

  if (values.dataType === DT.STRING) {
    if (values.stringData.length !== nnz) {
      throw new StudioError(
        'MODEL_INVALID',
        `The ${label} has ${values.stringData.length} values for ${nnz} indices.`,
      );
    }
    const strings = Array.from({ length: total }, () => new Uint8Array(0));
    linear.forEach((i, e) => {
      strings[i] = copyBytes(values.stringData[e]!);
    });
    return create(TensorProtoSchema, { name, dataType: DT.STRING, dims: [...dims], stringData: strings });
  }

  const size = dataTypeByteSize(values.dataType);
  if (size === undefined) {
    throw new StudioError(
      'BAD_REQUEST',
      `Cannot densify the ${label}: ${dataTypeName(values.dataType)} values are not supported.`,
    );
  }
  const flat = cloneProto(TensorProtoSchema, values);
  flat.dims = [BigInt(nnz)];
  const src = tensorRawBytes(flat);
  const dense = new Uint8Array(total * size);
  linear.forEach((i, e) => dense.set(src.subarray(e * size, (e + 1) * size), i * size));
  return makeRawTensor(name, values.dataType, dims, dense);
}

/** Encodes a dense tensor as sparse: the non-zero elements (any non-zero byte) with 1-D int64 indices. */
export function sparsifyTensor(dense: TensorProto, name = dense.name): SparseTensorProto {
  const dims = [...dense.dims];
  const indices: number[] = [];
  let values: TensorProto;
  if (dense.dataType === DT.STRING) {
    const kept: Uint8Array<ArrayBuffer>[] = [];
    dense.stringData.forEach((s, i) => {
      if (s.length > 0) {
        indices.push(i);
        kept.push(copyBytes(s));
      }
    });
    values = create(TensorProtoSchema, {
      name,
      dataType: DT.STRING,
      dims: [BigInt(kept.length)],
      stringData: kept,
    });
  } else {
    const bytes = tensorRawBytes(dense);
    const size = dataTypeByteSize(dense.dataType)!;
    const count = bytes.length / size;
    for (let i = 0; i < count; i++) {
      for (let b = i * size; b < (i + 1) * size; b++) {
        if (bytes[b] !== 0) {
          indices.push(i);
          break;
        }
      }
    }
    const packed = new Uint8Array(indices.length * size);
    indices.forEach((i, e) => packed.set(bytes.subarray(i * size, (i + 1) * size), e * size));
    values = makeRawTensor(name, dense.dataType, [indices.length], packed);
  }
  const idx = makeRawTensor(
    '',
    DT.INT64,
    [indices.length],
    littleEndianBytes(BigInt64Array.from(indices, BigInt)),
  );
  return create(SparseTensorProtoSchema, { values, indices: idx, dims });
}

/** Where a constant lives. */
export type ConstantKind = 'initializer' | 'sparse-initializer' | 'constant-node';

interface ConstantRefBase {
  /** The value name. */
  readonly name: string;
  /**
   * The constant's data as a dense TensorProto. For an initializer and a Constant node's `value`
   * attribute this is the stored proto itself (live); for a sparse tensor or the value_float(s),
   * value_int(s), value_string(s) forms it is a fresh dense copy (computed on first access).
   */
  readonly tensor: TensorProto;
  /** The index of the graph the constant is stored in (an ancestor's when captured from outer scope). */
  readonly index: GraphIndex;
  readonly graph: GraphProto;
}

export type ConstantRef =
  | (ConstantRefBase & {
      readonly kind: 'initializer';
      readonly initializer: TensorProto;
      /** True when a graph input of the same name can override it (so it is only a default). */
      readonly overridable: boolean;
    })
  | (ConstantRefBase & { readonly kind: 'sparse-initializer'; readonly sparse: SparseTensorProto })
  | (ConstantRefBase & {
      readonly kind: 'constant-node';
      readonly node: NodeProto;
      /** The attribute that holds the value (`value`, `sparse_value`, `value_floats`, ...). */
      readonly attribute: AttributeProto;
    });

export interface FindConstantOptions {
  /** Also return initializers that a same-named graph input can override (default false). */
  allowOverridable?: boolean;
  /** Follow `index.parent` for values captured from enclosing graphs (default true). */
  searchOuterScopes?: boolean;
}

/** The attribute names that can carry a Constant node's value. */
export const CONSTANT_VALUE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'value',
  'sparse_value',
  'value_float',
  'value_floats',
  'value_int',
  'value_ints',
  'value_string',
  'value_strings',
]);

/**
 * Where the constant value `valueName` lives, as seen from the graph of `index`: an initializer,
 * a sparse initializer, or a Constant node (any of its value attribute forms). Undefined when the
 * value is not constant (a graph or subgraph input, another node's output, an unknown name).
 */
export function findConstant(
  index: GraphIndex,
  valueName: string,
  options: FindConstantOptions = {},
): ConstantRef | undefined {
  if (valueName === '') return undefined;
  for (
    let idx: GraphIndex | undefined = index;
    idx;
    idx = options.searchOuterScopes === false ? undefined : idx.parent
  ) {
    const graph = idx.graph;
    const isInput = idx.isGraphInput(valueName);
    const init = idx.initializer(valueName);
    if (init) {
      if (isInput && !options.allowOverridable) return undefined;
      return {
        kind: 'initializer',
        name: valueName,
        tensor: init,
        initializer: init,
        overridable: isInput,
        index: idx,
        graph,
      };
    }
    const sparse = idx.sparseInitializers.get(valueName);
    if (sparse) {
      if (isInput && !options.allowOverridable) return undefined;
      return lazyTensor(
        { kind: 'sparse-initializer' as const, name: valueName, sparse, index: idx, graph },
        () => densifySparseTensor(sparse),
      );
    }
    if (isInput) return undefined;
    const producer = idx.producer(valueName);
    if (producer) {
      const node = producer.node;
      if (node.opType !== 'Constant' || !isDefaultDomain(node.domain)) return undefined;
      const attribute = node.attribute.find((a) => CONSTANT_VALUE_ATTRIBUTES.has(a.name));
      if (!attribute || attribute.refAttrName !== '') return undefined;
      if (attribute.name === 'value' && attribute.t) {
        return {
          kind: 'constant-node',
          name: valueName,
          tensor: attribute.t,
          node,
          attribute,
          index: idx,
          graph,
        };
      }
      return lazyTensor(
        { kind: 'constant-node' as const, name: valueName, node, attribute, index: idx, graph },
        () => constantAttributeTensor(attribute, valueName),
      );
    }
  }
  return undefined;
}

function lazyTensor<T extends object>(
  ref: T,
  compute: () => TensorProto,
): T & { readonly tensor: TensorProto } {
  let cached: TensorProto | undefined;
  return Object.defineProperty(ref, 'tensor', {
    enumerable: true,
    get: () => (cached ??= compute()),
  }) as T & { readonly tensor: TensorProto };
}

/**
 * The element type and dims of a Constant node's value, read without densifying a sparse value;
 * undefined when the node has no value attribute or it is malformed (callers skip such nodes).
 */
export function constantNodeValueType(
  node: NodeProto,
): { dataType: number; dims: readonly bigint[] } | undefined {
  const attribute = node.attribute.find((a) => CONSTANT_VALUE_ATTRIBUTES.has(a.name));
  if (!attribute) return undefined;
  if (attribute.name === 'sparse_value') {
    const sparse = attribute.sparseTensor;
    return sparse?.values ? { dataType: sparse.values.dataType, dims: sparse.dims } : undefined;
  }
  try {
    const tensor = constantAttributeTensor(attribute);
    return { dataType: tensor.dataType, dims: tensor.dims };
  } catch {
    return undefined;
  }
}

/** The dense tensor a Constant node's value attribute stands for. */
export function constantAttributeTensor(attribute: AttributeProto, name = ''): TensorProto {
  switch (attribute.name) {
    case 'value':
      if (!attribute.t) break;
      return attribute.t;
    case 'sparse_value':
      if (!attribute.sparseTensor) break;
      {
        const dense = densifySparseTensor(attribute.sparseTensor);
        dense.name = name;
        return dense;
      }
    case 'value_float':
      return makeRawTensor(name, DT.FLOAT, [], littleEndianBytes(Float32Array.of(attribute.f)));
    case 'value_floats':
      return makeRawTensor(
        name,
        DT.FLOAT,
        [attribute.floats.length],
        littleEndianBytes(Float32Array.from(attribute.floats)),
      );
    case 'value_int':
      return makeRawTensor(name, DT.INT64, [], littleEndianBytes(BigInt64Array.of(attribute.i)));
    case 'value_ints':
      return makeRawTensor(
        name,
        DT.INT64,
        [attribute.ints.length],
        littleEndianBytes(BigInt64Array.from(attribute.ints)),
      );
    case 'value_string':
      return create(TensorProtoSchema, {
        name,
        dataType: DT.STRING,
        dims: [],
        stringData: [copyBytes(attribute.s)],
      });
    case 'value_strings':
      return create(TensorProtoSchema, {
        name,
        dataType: DT.STRING,
        dims: [BigInt(attribute.strings.length)],
        stringData: attribute.strings.map(copyBytes),
      });
  }
  throw new StudioError('MODEL_INVALID', `Constant attribute '${attribute.name}' has no value.`);
}

export interface ReplaceConstantOptions {
  /**
   * For a sparse initializer: 'keep' (default) re-encodes the new data as sparse (non-zero elements,
   * 1-D indices); 'densify' turns it into a dense initializer.
   */
  sparse?: 'keep' | 'densify';
}

/** Fields of a TensorProto that describe its data (everything but name, doc string and metadata). */
const TENSOR_DATA_FIELDS = TensorProtoSchema.fields.filter(
  (f) => f.localName !== 'name' && f.localName !== 'docString' && f.localName !== 'metadataProps',
);

/** Overwrites `target`'s data fields (dims, type, data, external-data info) with a copy of `source`'s. */
export function assignTensorData(target: TensorProto, source: TensorProto): void {
  const copy = cloneProto(TensorProtoSchema, source) as unknown as Record<string, unknown>;
  const out = target as unknown as Record<string, unknown>;
  for (const field of TENSOR_DATA_FIELDS) {
    if (isFieldSet(source, field)) out[field.localName] = copy[field.localName];
    else clearField(target, field);
  }
}

/**
 * Replaces a constant's data in place, whatever its kind, keeping its name: an initializer is
 * overwritten, a sparse initializer re-encoded (or made dense), a Constant node's value attributes
 * replaced by one `value` tensor attribute. Value infos for the name in the owning graph are updated
 * to the new type and shape. Returns the up-to-date reference (the index is rebuilt if the kind changed).
 */
export function replaceConstant(
  ref: ConstantRef,
  tensor: TensorProto,
  options: ReplaceConstantOptions = {},
): ConstantRef {
  let result: ConstantRef;
  switch (ref.kind) {
    case 'initializer':
      assignTensorData(ref.initializer, tensor);
      result = { ...ref, tensor: ref.initializer };
      break;
    case 'sparse-initializer': {
      if ((options.sparse ?? 'keep') === 'keep') {
        const encoded = sparsifyTensor(tensor, ref.name);
        ref.sparse.values = encoded.values;
        ref.sparse.indices = encoded.indices;
        ref.sparse.dims = encoded.dims;
        const sparse = ref.sparse;
        result = lazyTensor(
          { kind: 'sparse-initializer' as const, name: ref.name, sparse, index: ref.index, graph: ref.graph },
          () => densifySparseTensor(sparse),
        );
        break;
      }
      const graph = ref.graph;
      const at = graph.sparseInitializer.indexOf(ref.sparse);
      if (at >= 0) graph.sparseInitializer.splice(at, 1);
      const dense = cloneProto(TensorProtoSchema, tensor);
      dense.name = ref.name;
      graph.initializer.push(dense);
      ref.index.rebuild();
      result = {
        kind: 'initializer',
        name: ref.name,
        tensor: dense,
        initializer: dense,
        overridable: ref.index.isGraphInput(ref.name),
        index: ref.index,
        graph,
      };
      break;
    }
    case 'constant-node': {
      const copy = cloneProto(TensorProtoSchema, tensor);
      copy.name = ref.name;
      const attribute = makeAttribute('value', { tensor: copy });
      const node = ref.node;
      node.attribute = [...node.attribute.filter((a) => !CONSTANT_VALUE_ATTRIBUTES.has(a.name)), attribute];
      result = {
        kind: 'constant-node',
        name: ref.name,
        tensor: copy,
        node,
        attribute,
        index: ref.index,
        graph: ref.graph,
      };
      break;
    }
  }
  updateValueInfos(ref.graph, ref.name, tensor.dataType, tensor.dims);
  return result;
}

/** Sets the tensor type of every value info named `name` in the graph (inputs, outputs, value_info). */
function updateValueInfos(graph: GraphProto, name: string, elemType: number, dims: readonly bigint[]): void {
  for (const list of [graph.input, graph.output, graph.valueInfo]) {
    list.forEach((vi, i) => {
      if (vi.name !== name) return;
      const fresh = makeValueInfo(name, elemType, dims.map(Number));
      fresh.docString = vi.docString;
      fresh.metadataProps = vi.metadataProps;
      list[i] = fresh;
    });
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
