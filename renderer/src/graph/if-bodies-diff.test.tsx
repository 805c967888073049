/**
 * The change overlay and the diff table of a model whose If bodies changed: int4 of x -> ReduceSum -> Greater ->
 * If (then: MatMul -> Relu, else: MatMul -> Relu) -> MatMul -> y, every MatMul now a MatMulNBits (the rows are
 * those `onnx-studio diff --json` gives for the user test's ifsub.onnx and its int4 variant). A user test saw
 * "replaced (3)" in the legend, one row in the table, and the collapsed If green, "kept".
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { colorDistance, MIN_SERIES_DISTANCE } from '../../../shared/chart-colors.js';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeDiff } from '../../../shared/model-diff.js';
import type { GraphBody, GraphNode } from '../../../shared/model-graph.js';
import { node } from '../host/mock-graph.js';
import { bodyPlace, DiffTable } from './diff-table.js';
import {
  ADDED_COLOR,
  bodyRowIds,
  CHANGE_COLORS,
  CHANGED_INSIDE_COLOR,
  changeOverlay,
  PRUNED_COLOR,
  UPCAST_COLOR,
  variantChangeOverlay,
} from './overlays.js';

const body = (nodes: GraphNode[], outputs: string[]): GraphBody => ({
  nodes,
  inputs: [],
  outputs,
  values: {},
  weights: {},
});

/** The model, with `matmul` as the op of its three MatMuls (MatMul in the original, MatMulNBits in int4). */
function ifModel(matmul: string): GraphBody {
  const branch = (attribute: string) => {
    const name = attribute.replace('_branch', '');
    return body(
      [
        node(`2/${attribute}/0`, matmul, '', ['x', `${name}_w`], [`${name}_o`]),
        node(`2/${attribute}/1`, 'Relu', '', [`${name}_o`], [`${name}_out`]),
      ],
      [`${name}_out`],
    );
  };
  const ifNode = node('2', 'If', '', ['cond'], ['ifo']);
  ifNode.subgraphs = [
    { attribute: 'then_branch', graph: branch('then_branch') },
    { attribute: 'else_branch', graph: branch('else_branch') },
  ];
  return {
    ...body(
      [
        node('0', 'ReduceSum', '', ['x'], ['s']),
        node('1', 'Greater', '', ['s', 'zero'], ['cond']),
        ifNode,
        node('3', matmul, '', ['ifo', 'W0'], ['y']),
      ],
      ['y'],
    ),
    inputs: ['x'],
  };
}

const kept = (opType: string, i: number): NodeDiff => ({
  name: '',
  opType,
  change: 'kept',
  variantOpType: opType,
  precision: 'float32',
  originalPrecision: 'float32',
  variantIndex: i,
});
const matmulRow = (i: number): NodeDiff => ({
  name: '',
  opType: 'MatMul',
  change: 'replaced',
  variantOpType: 'MatMulNBits',
  precision: 'int4',
  originalPrecision: 'float32',
  variantIndex: i,
});
const inBody = (row: NodeDiff, branch: string, i: number): NodeDiff => ({
  ...row,
  graph: `If#2/${branch}`,
  id: `2/${branch}/${i}`,
  variantId: `2/${branch}/${i}`,
});

const diff = {
  original: '/m/ifsub.onnx',
  variant: '/w/int4.onnx',
  nodes: {
    original: 4,
    variant: 4,
    originalWithSubgraphs: 8,
    variantWithSubgraphs: 8,
    byChange: { kept: 5, replaced: 3, fused: 0, removed: 0 },
    byPrecision: { float32: 5, float16: 0, int8: 0, int4: 3, other: 0 },
    added: { quantizeDequantize: 0, casts: 0, other: {} },
    list: [kept('ReduceSum', 0), kept('Greater', 1), kept('If', 2), matmulRow(3)],
    subgraphList: [
      inBody(matmulRow(0), 'else_branch', 0),
      inBody(kept('Relu', 1), 'else_branch', 1),
      inBody(matmulRow(0), 'then_branch', 0),
      inBody(kept('Relu', 1), 'then_branch', 1),
    ],
  },
  weights: { bytesBefore: 3076, bytesAfter: 500, byChange: {}, list: [], addedCount: 0, addedBytes: 0 },
  skippedNodes: [],
} as unknown as VariantDiff;

describe('a kept If whose bodies changed', () => {
  it("is coloured and labelled as changed inside on the original's graph, and counted apart from 'kept'", () => {
    const o = changeOverlay(diff, ifModel('MatMul'));
    expect(o.marks.get('2')).toEqual({
      color: CHANGED_INSIDE_COLOR,
      text: 'kept; changed inside: 2 replaced',
    });
    expect(o.marks.get('2/then_branch/0')?.color).toBe(CHANGE_COLORS.replaced);
    expect(o.legend.map((l) => l.text)).toEqual([
      'kept (4)',
      'kept, changed inside its bodies (1)',
      'replaced (3)',
      'fused (0)',
      'removed (0)',
    ]);
  });

  it("is coloured and labelled the same on the variant's graph", () => {
    const o = variantChangeOverlay(ifModel('MatMulNBits'), diff);
    expect(o.marks.get('2')).toEqual({
      color: CHANGED_INSIDE_COLOR,
      text: 'kept; changed inside: 2 replaced',
    });
    expect(o.legend.slice(0, 3).map((l) => l.text)).toEqual([
      'kept (4)',
      'kept, changed inside its bodies (1)',
      'replaced (3)',
    ]);
  });

  it('has a colour of its own, apart from every change colour', () => {
    const others = [...Object.values(CHANGE_COLORS), PRUNED_COLOR, UPCAST_COLOR, ADDED_COLOR];
    for (const c of others)
      expect(colorDistance(CHANGED_INSIDE_COLOR, c), c).toBeGreaterThanOrEqual(MIN_SERIES_DISTANCE);
  });
});

describe('the diff table of a model with If bodies', () => {
  it('lists the body nodes that changed after their If, with where they are, and links them', () => {
    for (const [graph, side] of [
      [ifModel('MatMul'), 'original'],
      [ifModel('MatMulNBits'), 'variant'],
    ] as const) {
      const html = renderToStaticMarkup(
        <DiffTable
          diff={diff}
          nodeIds={['0', '1', '2', '3']}
          bodyIds={bodyRowIds(diff, side)}
          graph={graph}
          onShow={() => {}}
        />,
      );
      expect(html.match(/class="link"/g)?.length, side).toBe(3);
      const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => m[1]!.replace(/(<[^>]+>)+/g, '|'));
      // The counts table's two rows, then the changed nodes: the else branch's MatMul, the then branch's, the main one.
      expect(rows.slice(3), side).toEqual([
        '|#0|If #2 else_branch|MatMul|replaced|MatMulNBits|float32 → int4|',
        '|#0|If #2 then_branch|MatMul|replaced|MatMulNBits|float32 → int4|',
        '|#3|main graph|MatMul|replaced|MatMulNBits|float32 → int4|',
      ]);
    }
  });

  it("names a named holder by its name, nested bodies from the outside in, and a Scan's listed bodies by index", () => {
    const nodes = new Map<string, GraphNode>([
      ['4', node('4', 'If', 'cond_if', [], [])],
      ['4/then_branch/1', node('4/then_branch/1', 'Loop', '', [], [])],
    ]);
    expect(bodyPlace('4/then_branch/1/body/0', (id) => nodes.get(id))).toBe(
      "If 'cond_if' then_branch › Loop #1 body",
    );
    expect(bodyPlace('4/branches.1/0', (id) => nodes.get(id))).toBe("If 'cond_if' branches[1]");
    expect(bodyPlace('4', (id) => nodes.get(id))).toBeUndefined();
  });
});
