/**
 * Fidelity tests measure the quantizer through onnxruntime's int8 kernels. On an x86 CPU without VNNI those add
 * u8 x s8 products in saturating 16-bit pairs (bench/int8-support.ts), and a model with full 8-bit weights loses
 * accuracy the quantizer did not lose: a cosine of 0.98 where a VNNI CPU gives 0.9999. There, the tests quantize
 * with 7-bit weights (`reduceRange`), what the product advises on such a CPU, so their thresholds measure the
 * quantizer on every machine. A test that sets `reduceRange` itself keeps its own value.
 */
import { int8ProductsMaySaturate } from '../bench/int8-support.js';

export const INT8_KERNELS_SATURATE = int8ProductsMaySaturate();

/** `common` with `reduceRange: true` added on a CPU whose int8 kernels saturate, unless it says otherwise. */
export function kernelSafe<T extends Record<string, unknown>>(common: T): T {
  return INT8_KERNELS_SATURATE && common.reduceRange === undefined
    ? { ...common, reduceRange: true }
    : common;
}
