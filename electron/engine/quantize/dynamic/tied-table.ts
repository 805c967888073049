import type { NodeProto, TensorProto } from 'onnx-buf';
import { TensorProto_DataType } from 'onnx-buf';
import type { UniqueNameGenerator } from '../../onnx/graph.js';
import { makeNode } from '../../onnx/graph-build.js';
import { rowParameters, type TiedInt8Table } from '../int8-rows.js';
import { encodeTensor } from '../../onnx/tensor-codec.js';
import type { ColumnQuantized } from './column-quant.js';

/*
 * int8-dynamic's rewrite for an embedding tied to an LM head (MatMul(h, Transpose(table)), or Gemm transB on the
 * table). Quantizing the head alone wrote an int8 copy beside the float table the embedding's Gather still read:
 * on a 1 GB decoder the file grew from 0.45x to 0.51x of the original. Here one int8 table [N, K], stored as the
 * Gather reads it, serves both:
 * - the head reads Transpose(int8 table): onnxruntime folds a Transpose of an initializer at session start, so the
 *   kernel gets its [K, N] weight as before, with one scale per table row (the head's output channels);
 * - each Gather looks up int8 rows and dequantizes only the rows it took: Gather(int8) -> Cast -> (- zero point)
 *   -> * scale, the scale and zero point looked up per row from [N, 1] copies (N floats: nothing beside the table).
 * The float table then has no reader and leaves the file.
 */

const DT = TensorProto_DataType;

/** The [K, N] column quantization of a table's transpose as the table's own [N, K] rows. */
export function tableRows(q: ColumnQuantized): Int8Array {
  const { rows: k, cols: n, data } = q;
  const out = new Int8Array(k * n);
  for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) out[c * k + r] = data[r * n + c]!;
  return out;
}

/** The initializers of the shared table: rows [N, K], and scale and zero point per row ([N, 1]) or per tensor. */
export function tiedTableTensors(
  q: ColumnQuantized,
  names: UniqueNameGenerator,
  base: string,
  symmetric: boolean,
): { tensors: TensorProto[]; table: TiedInt8Table } {
  const rows = encodeTensor(names.next(`${base}_quantized`), DT.INT8, [q.cols, q.rows], tableRows(q));
  const params = rowParameters(
    rows.name,
    q.cols,
    q.scales,
    symmetric ? undefined : q.zeroPoints,
    names,
    base,
  );
  return { tensors: [rows, ...params.tensors], table: params.table };
}

/** The head's [K, N] weight: a Transpose of the shared rows (folded by onnxruntime at session start). */
export function headTranspose(table: TiedInt8Table, names: UniqueNameGenerator): NodeProto {
  return makeNode('Transpose', [table.rows], [names.next(`${table.rows}_transposed`)], {
    name: names.next(`${table.rows}_Transpose`),
    attributes: { perm: { ints: [1, 0] } },
  });
}
