import type { NodeProto, TensorProto } from 'onnx-buf';
import { TensorProto_DataType } from 'onnx-buf';
import type { UniqueNameGenerator } from '../onnx/graph.js';
import { makeFloatTensor, makeNode } from '../onnx/graph-build.js';
import { encodeTensor } from '../onnx/tensor-codec.js';

/*
 * An embedding's lookup of an int8 table, shared by int8-dynamic (a table tied to the LM head) and int8-weight (any
 * embedding): the Gather takes int8 rows and dequantizes only those, Gather(int8) -> Cast -> (- zero point) -> *
 * scale, the scale and zero point looked up per row from [N, 1] copies. A DequantizeLinear of the whole table in
 * front of the Gather would run on every call, however few rows it looks up.
 */

const DT = TensorProto_DataType;

/** An int8 table whose rows a Gather looks up, and its per-row parameters, as graph value names. */
export interface TiedInt8Table {
  /** int8 [N, K]: the table's own layout. */
  rows: string;
  /** [N, 1] float32 scales (per table row), or a scalar per tensor. */
  rowScale: string;
  /** [N, 1] int8 zero points, or a scalar per tensor; undefined when symmetric. */
  rowZeroPoint: string | undefined;
}

/**
 * The per-row scale and zero point of a table of `rows` rows ([rows, 1], or scalars per tensor; no zero point when
 * symmetric), beside its int8 data `data`: the tensors to write and the table's names.
 */
export function rowParameters(
  data: string,
  rows: number,
  scales: Float32Array,
  zeroPoints: Int8Array | undefined,
  names: UniqueNameGenerator,
  base: string,
): { tensors: TensorProto[]; table: TiedInt8Table } {
  const dims = scales.length > 1 ? [rows, 1] : [];
  const scale = makeFloatTensor(names.next(`${base}_row_scale`), dims, scales);
  const zeroPoint =
    zeroPoints && encodeTensor(names.next(`${base}_row_zero_point`), DT.INT8, dims, zeroPoints);
  return {
    tensors: [scale, ...(zeroPoint ? [zeroPoint] : [])],
    table: { rows: data, rowScale: scale.name, rowZeroPoint: zeroPoint?.name },
  };
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
