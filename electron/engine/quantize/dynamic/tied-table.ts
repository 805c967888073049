import type { NodeProto, TensorProto } from 'onnx-buf';
import { TensorProto_DataType } from 'onnx-buf';
import type { UniqueNameGenerator } from '../../onnx/graph.js';
import { makeFloatTensor, makeNode } from '../../onnx/graph-build.js';
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

/** The int8 table a tied head and its Gathers share, as graph value names. */
export interface TiedInt8Table {
  /** int8 [N, K]: the table's own layout. */
  rows: string;
  /** [N, 1] float32 scales (per table row), or a scalar per tensor. */
  rowScale: string;
  /** [N, 1] int8 zero points, or a scalar per tensor; undefined when symmetric. */
  rowZeroPoint: string | undefined;
}

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
  perChannel: boolean,
  symmetric: boolean,
): { tensors: TensorProto[]; table: TiedInt8Table } {
  const paramDims = perChannel ? [q.cols, 1] : [];
  const rows = encodeTensor(names.next(`${base}_quantized`), DT.INT8, [q.cols, q.rows], tableRows(q));
  const scale = makeFloatTensor(names.next(`${base}_row_scale`), paramDims, q.scales);
  const zeroPoint = symmetric
    ? undefined
    : encodeTensor(names.next(`${base}_row_zero_point`), DT.INT8, paramDims, q.zeroPoints);
  return {
    tensors: [rows, scale, ...(zeroPoint ? [zeroPoint] : [])],
    table: { rows: rows.name, rowScale: scale.name, rowZeroPoint: zeroPoint?.name },
  };
}

/** The head's [K, N] weight: a Transpose of the shared rows (folded by onnxruntime at session start). */
export function headTranspose(table: TiedInt8Table, names: UniqueNameGenerator): NodeProto {
  return makeNode('Transpose', [table.rows], [names.next(`${table.rows}_transposed`)], {
    name: names.next(`${table.rows}_Transpose`),
    attributes: { perm: { ints: [1, 0] } },
  });
}

/**
 * The nodes that replace `gather` (of the float table): the same ids looked up in the int8 rows and dequantized,
 * into the Gather's output, in `computeType` (float, or float16 for a model that computes in it).
 */
export function dequantizedGather(
  gather: NodeProto,
  table: TiedInt8Table,
  perChannel: boolean,
  computeType: number,
  names: UniqueNameGenerator,
): NodeProto[] {
  const ids = gather.input[1] ?? '';
  const out = gather.output[0] ?? '';
  const base = gather.name !== '' ? gather.name : out;
  const node = (op: string, inputs: string[], hint: string, attributes?: Parameters<typeof makeNode>[3]) =>
    makeNode(op, inputs, [names.next(`${base}_${hint}`)], {
      name: names.next(`${base}_${op}`),
      ...attributes,
    });
  const lookup = (value: string, hint: string) =>
    perChannel ? [node('Gather', [value, ids], hint, { attributes: { axis: { int: 0 } } })] : [];
  const nodes: NodeProto[] = [];
  const rows = node('Gather', [table.rows, ids], 'int8_rows', { attributes: { axis: { int: 0 } } });
  const floats = node('Cast', [rows.output[0]!], 'rows_float', { attributes: { to: { int: DT.FLOAT } } });
  nodes.push(rows, floats);
  let centered = floats.output[0]!;
  if (table.rowZeroPoint !== undefined) {
    const zp = lookup(table.rowZeroPoint, 'zero_point');
    const zpValue = zp[0]?.output[0] ?? table.rowZeroPoint;
    const zpFloat = node('Cast', [zpValue], 'zero_point_float', { attributes: { to: { int: DT.FLOAT } } });
    const sub = node('Sub', [centered, zpFloat.output[0]!], 'centered');
    nodes.push(...zp, zpFloat, sub);
    centered = sub.output[0]!;
  }
  const scale = lookup(table.rowScale, 'scale');
  const scaled = node('Mul', [centered, scale[0]?.output[0] ?? table.rowScale], 'dequantized');
  nodes.push(...scale, scaled);
  const last =
    computeType === DT.FLOAT
      ? scaled
      : node('Cast', [scaled.output[0]!], 'cast', {
          attributes: { to: { int: computeType } },
        });
  if (last !== scaled) nodes.push(last);
  // The last node writes the Gather's own output (and keeps its name), so nothing downstream changes.
  last.output = [out];
  if (gather.name !== '') last.name = gather.name;
  return nodes;
}
