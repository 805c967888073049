import fs from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { TensorProtoSchema, type TensorProto } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { dtypeName } from '../onnx/dtypes.js';
import { float16BitsToFloat32 } from '../onnx/float16.js';
import { decodeTensor } from '../onnx/tensor-codec.js';
import { ortTypeOf } from '../runtime/ort-types.js';

/*
 * Test helpers between ONNX TensorProtos (the `.pb` files of ONNX's backend test data) and
 * onnxruntime-node tensors: reading a stored tensor as an `ort.Tensor`, and comparing tensors either
 * within a tolerance (against stored expectations) or exactly (run-to-run).
 */

export { ortTypeOf };

/** Reads a serialized TensorProto (`input_0.pb`, `output_0.pb`, ...). */
export function readTensorProto(file: string): TensorProto {
  return fromBinary(TensorProtoSchema, fs.readFileSync(file));
}

/** A TensorProto as an `ort.Tensor` (numeric data may alias the proto's bytes). */
export function tensorProtoToOrt(tensor: TensorProto): ort.Tensor {
  const type = ortTypeOf(tensor.dataType);
  if (type === undefined) {
    throw new Error(
      `Tensor '${tensor.name}' is ${dtypeName(tensor.dataType)}, which onnxruntime-node cannot take.`,
    );
  }
  const { dims, values } = decodeTensor(tensor);
  // decodeTensor's array per data type is the one ort.Tensor wants for `type` (see ORT_TYPES).
  return new ort.Tensor(type, values as ort.Tensor.DataType, dims);
}

/** Reads a `.pb` TensorProto file as an `ort.Tensor`. */
export function readOrtTensor(file: string): ort.Tensor {
  return tensorProtoToOrt(readTensorProto(file));
}

export interface Tolerance {
  /** Relative tolerance, applied to the expected value (numpy's `isclose` rule). */
  rtol: number;
  /** Absolute tolerance. */
  atol: number;
}

/** The backend-test tolerances: floats within 1e-5 + 1e-3 * |expected|; everything else exact. */
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

const FLOAT_TYPES = new Set<ort.Tensor.Type>(['float32', 'float64', 'float16']);

function shapeOf(t: ort.Tensor): string {
  return `${t.type}[${t.dims.join(', ')}]`;
}

function describeShapeMismatch(expected: ort.Tensor, actual: ort.Tensor): string | undefined {
  if (expected.type !== actual.type) return `type: expected ${shapeOf(expected)}, got ${shapeOf(actual)}`;
  if (expected.dims.length !== actual.dims.length || expected.dims.some((d, i) => d !== actual.dims[i])) {
    return `shape: expected ${shapeOf(expected)}, got ${shapeOf(actual)}`;
  }
  if (expected.data.length !== actual.data.length) {
    return `length: expected ${expected.data.length} elements, got ${actual.data.length}`;
  }
  return undefined;
}

/** Element `i` of a float tensor as a JS number (float16 bit patterns converted). */
function floatAt(t: ort.Tensor, i: number): number {
  const v = (t.data as Float32Array | Float64Array | Uint16Array)[i]!;
  return t.type === 'float16' ? float16BitsToFloat32(v) : v;
}

/**
 * Compares `actual` with `expected`: same type and shape; float elements within tolerance (NaN matches
 * NaN, infinities must match exactly); every other type exact. Returns a description of the first
 * mismatch (and how many elements differ), or undefined when they match.
 */
export function compareTensors(
  expected: ort.Tensor,
  actual: ort.Tensor,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): string | undefined {
  const shape = describeShapeMismatch(expected, actual);
  if (shape) return shape;
  const n = expected.data.length;
  let first: string | undefined;
  let bad = 0;
  if (FLOAT_TYPES.has(expected.type)) {
    for (let i = 0; i < n; i++) {
      const e = floatAt(expected, i);
      const a = floatAt(actual, i);
      const ok =
        Number.isNaN(e) || Number.isNaN(a)
          ? Number.isNaN(e) && Number.isNaN(a)
          : e === a || Math.abs(a - e) <= tolerance.atol + tolerance.rtol * Math.abs(e);
      if (!ok) {
        bad++;
        first ??= `element ${i}: expected ${e}, got ${a} (difference ${Math.abs(a - e)})`;
      }
    }
  } else {
    const ed = expected.data as ArrayLike<number | bigint | string>;
    const ad = actual.data as ArrayLike<number | bigint | string>;
    for (let i = 0; i < n; i++) {
      if (ed[i] !== ad[i]) {
        bad++;
        first ??= `element ${i}: expected ${String(ed[i])}, got ${String(ad[i])}`;
      }
    }
  }
  return first === undefined ? undefined : `${first}; ${bad} of ${n} elements differ (${shapeOf(expected)})`;
}

/**
 * Whether two tensors are identical: same type, shape and bit-for-bit the same data (so NaN payloads and
 * signed zeros count). Returns a description of the first difference, or undefined.
 */
export function identicalTensors(a: ort.Tensor, b: ort.Tensor): string | undefined {
  const shape = describeShapeMismatch(a, b);
  if (shape) return shape;
  if (a.type === 'string') {
    const as = a.data as string[];
    const bs = b.data as string[];
    const i = as.findIndex((s, k) => s !== bs[k]);
    return i < 0 ? undefined : `element ${i}: ${JSON.stringify(as[i])} vs ${JSON.stringify(bs[i])}`;
  }
  const ad = a.data as Exclude<ort.Tensor.DataType, string[]>;
  const bd = b.data as Exclude<ort.Tensor.DataType, string[]>;
  const ab = Buffer.from(ad.buffer, ad.byteOffset, ad.byteLength);
  const bb = Buffer.from(bd.buffer, bd.byteOffset, bd.byteLength);
  if (ab.equals(bb)) return undefined;
  const width = ad.BYTES_PER_ELEMENT;
  let byte = 0;
  while (ab[byte] === bb[byte]) byte++;
  const i = Math.floor(byte / width);
  return `element ${i} differs bitwise: ${String(ad[i])} vs ${String(bd[i])}`;
}
