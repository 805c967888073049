import type { GraphProto, NodeProto } from 'onnx-buf';
import { intAttribute } from '../../onnx/attributes.js';
import { isDefaultDomain } from '../../onnx/domains.js';
import type { UniqueNameGenerator } from '../../onnx/graph.js';
import { makeAttribute, makeInt64Tensor, makeNode } from '../../onnx/graph-build.js';

/*
 * int4's companion rewrite for an embedding tied to an LM head. The head's MatMulNBits stores the table
 * [vocab, hidden] as 4-bit blocks along hidden, row by row: the exact bytes com.microsoft
 * GatherBlockQuantized reads for a table quantized along axis 1 (low nibble first, default zero point 8
 * when symmetric; with --asymmetric, MatMulNBits' zero points [N * ceil(k_blocks / 2)] are the per-row
 * [N, ceil(k_blocks / 2)] that onnxruntime 1.30's GatherBlockQuantized reads, see table-gather.ts; int4 shares them
 * only for an even k_blocks, which WebGPU's kernel takes, see there too). So the
 * Gather at the model's start reads the same blocks through Reshapes, and the float table (the model's
 * largest weight) leaves the file instead of staying beside its 4-bit copy.
 */

/** A head whose 4-bit blocks are the table's rows, and the value its Gathers read the table as. */
export interface TiedTable {
  /** The value a Gather of the table reads (the Transpose's input, or Gemm transB's B). */
  value: string;
  graph: GraphProto;
  /** MatMulNBits' B [N, k_blocks, block / 2], scales [N * k_blocks] and zero points [N * ceil(k_blocks / 2)]. */
  b: string;
  scales: string;
  zeroPoints: string | undefined;
  N: number;
  K: number;
}

/** Whether a table quantized for a head can be shared: no padding, no folded alpha. */
export function sharesRows(K: number, blockSize: number, alpha: number): boolean {
  return alpha === 1 && K % blockSize === 0;
}

/** The Gathers (axis 0, not excluded) of `table.value` in its graph. */
export function tiedGathers(table: TiedTable, excluded: readonly string[]): NodeProto[] {
  return gathersOfTable(table.graph, table.value, excluded);
}

/** A Gather's axis on data of rank `rank`, a negative one counted from the end (-2 of a 2-D table is 0). */
export function gatherAxis(node: NodeProto, rank: number): number {
  const axis = intAttribute(node, 'axis', 0);
  return axis < 0 ? axis + rank : axis;
}

/** The Gathers (axis 0, not excluded by name) in `graph` that look up rows of `value`, a 2-D table: an embedding's. */
export function gathersOfTable(graph: GraphProto, value: string, excluded: Iterable<string>): NodeProto[] {
  const skip = new Set(excluded);
  return graph.node.filter(
    (n) =>
      n.opType === 'Gather' &&
      isDefaultDomain(n.domain) &&
      n.input[0] === value &&
      gatherAxis(n, 2) === 0 &&
      !(n.name !== '' && skip.has(n.name)),
  );
}

/** Turns `gathers` into GatherBlockQuantized nodes reading the head's blocks (Reshapes go first in the graph). */
export function rewriteTiedGathers(
  table: TiedTable,
  gathers: readonly NodeProto[],
  blockSize: number,
  names: UniqueNameGenerator,
): void {
  const { graph, N, K } = table;
  const dataShape = makeInt64Tensor(names.next(`${table.b}_rows_shape`), [2], [N, K / 2]);
  const scaleShape = makeInt64Tensor(names.next(`${table.scales}_rows_shape`), [2], [N, K / blockSize]);
  const data = names.next(`${table.b}_rows`);
  const scales = names.next(`${table.scales}_rows`);
  graph.initializer.push(dataShape, scaleShape);
  const reshapes = [
    makeNode('Reshape', [table.b, dataShape.name], [data], { name: names.next(`${table.b}_Reshape`) }),
    makeNode('Reshape', [table.scales, scaleShape.name], [scales], {
      name: names.next(`${table.scales}_Reshape`),
    }),
  ];
  let zeroPoints: string | undefined;
  if (table.zeroPoints) {
    const zpShape = makeInt64Tensor(
      names.next(`${table.zeroPoints}_rows_shape`),
      [2],
      [N, Math.ceil(K / blockSize / 2)],
    );
    zeroPoints = names.next(`${table.zeroPoints}_rows`);
    graph.initializer.push(zpShape);
    reshapes.push(
      makeNode('Reshape', [table.zeroPoints, zpShape.name], [zeroPoints], {
        name: names.next(`${table.zeroPoints}_Reshape`),
      }),
    );
  }
  graph.node.unshift(...reshapes);
  for (const gather of gathers) {
    gather.opType = 'GatherBlockQuantized';
    gather.domain = 'com.microsoft';
    gather.input = [data, gather.input[1] ?? '', scales];
    if (zeroPoints) gather.input.push(zeroPoints);
    gather.attribute = [
      makeAttribute('gather_axis', { int: 0 }),
      makeAttribute('quantize_axis', { int: 1 }),
      makeAttribute('block_size', { int: blockSize }),
      makeAttribute('bits', { int: 4 }),
    ];
  }
}
