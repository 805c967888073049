import type { TensorProto } from 'onnx-buf';
import { StudioError } from '../errors.js';
import { dataTypeByteSize, tensorRawBytes } from '../onnx/constants.js';
import { makeRawTensor } from '../onnx/graph-build.js';

/*
 * Byte-level tensor surgery for pruning: keeping some positions of one axis works for every fixed-width
 * data type (float32, float16, int64 shape tensors...) without decoding the values.
 */

/** A tensor's dims as numbers. */
export function dimsOf(tensor: { dims: readonly bigint[] }): number[] {
  return tensor.dims.map(Number);
}

/**
 * A copy of `tensor` that keeps only the positions `keep` (ascending, in range) of `axis`. Name and data type
 * are kept; data is written as little-endian raw_data. Throws BAD_REQUEST for types without a fixed width.
 */
export function sliceTensorAxis(tensor: TensorProto, axis: number, keep: readonly number[]): TensorProto {
  const dims = dimsOf(tensor);
  if (axis < 0 || axis >= dims.length) {
    throw new StudioError(
      'INTERNAL',
      `Cannot slice axis ${axis} of '${tensor.name}' with ${dims.length} dims.`,
    );
  }
  const size = dataTypeByteSize(tensor.dataType);
  if (size === undefined) {
    throw new StudioError('BAD_REQUEST', `Cannot slice '${tensor.name}': its data type has no fixed width.`);
  }
  const length = dims[axis]!;
  for (const k of keep) {
    if (!Number.isInteger(k) || k < 0 || k >= length) {
      throw new StudioError(
        'INTERNAL',
        `Position ${k} is outside axis ${axis} (length ${length}) of '${tensor.name}'.`,
      );
    }
  }
  const src = tensorRawBytes(tensor);
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i]!;
  let innerBytes = size;
  for (let i = axis + 1; i < dims.length; i++) innerBytes *= dims[i]!;
  const out = new Uint8Array(outer * keep.length * innerBytes);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * length * innerBytes;
    for (const k of keep) {
      const from = base + k * innerBytes;
      out.set(src.subarray(from, from + innerBytes), at);
      at += innerBytes;
    }
  }
  const newDims = dims.slice();
  newDims[axis] = keep.length;
  return makeRawTensor(tensor.name, tensor.dataType, newDims, out);
}

/**
 * The p-norm of every position of `axis` over all other axes (L1 for p = 1, L2 for p = 2), from float
 * values laid out row-major with `dims`.
 */
export function axisNorms(
  values: Float32Array,
  dims: readonly number[],
  axis: number,
  p: 1 | 2,
): Float64Array {
  const length = dims[axis] ?? 1;
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i]!;
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i]!;
  const sums = new Float64Array(length);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < length; c++) {
      let s = 0;
      for (let k = 0; k < inner; k++, i++) {
        const v = values[i]!;
        s += p === 1 ? Math.abs(v) : v * v;
      }
      sums[c]! += s;
    }
  }
  if (p === 2) for (let c = 0; c < length; c++) sums[c] = Math.sqrt(sums[c]!);
  return sums;
}
