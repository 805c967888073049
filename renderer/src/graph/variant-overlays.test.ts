/**
 * The precision and change overlays on a variant's own graph: the diff's rows (the original's nodes) matched to
 * the variant's nodes by name, the way the engine's diff matched them.
 */
import { describe, expect, it } from 'vitest';
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeDiff } from '../../../shared/model-diff.js';
import type { GraphBody } from '../../../shared/model-graph.js';
import {
  ADDED_COLOR,
  CHANGE_COLORS,
  PRECISION_COLORS,
  changeOverlay,
  graphPrecisions,
  precisionOverlay,
  variantChangeOverlay,
  variantNodeIds,
  variantPrecisionOverlay,
} from './overlays.js';
import { node } from '../host/mock-graph.js';

/**
 * An int8-dynamic variant of x -> fc1 (MatMul) -> bias (Add) -> relu -> fc2 (MatMul) -> drop (Identity) -> y:
 * fc1 became a MatMulInteger fed by an added DynamicQuantizeLinear, its bias Add fused into it; fc2 became
 * onnxruntime's `fc2/MatMulAddFusion`; relu kept; drop removed.
 */
const variant: GraphBody = {
  inputs: ['x'],
  outputs: ['y'],
  values: {},
  weights: {},
  nodes: [
    node('0', 'DynamicQuantizeLinear', 'x_quant', ['x'], ['xq', 'xs', 'xz']),
    node('1', 'MatMulInteger', 'fc1', ['xq', 'w1q'], ['h0']),
    node('2', 'Relu', 'relu', ['h0'], ['h1']),
    node('3', 'FusedMatMul', 'fc2/MatMulAddFusion', ['h1', 'w2'], ['y']),
  ],
};
const row = (r: Partial<NodeDiff> & Pick<NodeDiff, 'name' | 'opType' | 'change'>): NodeDiff => r;
const diff = {
  original: '/m.onnx',
  variant: '/m-int8.onnx',
  nodes: {
    original: 5,
    variant: 4,
    originalWithSubgraphs: 5,
    variantWithSubgraphs: 4,
    byChange: { kept: 1, replaced: 2, fused: 1, removed: 1 },
    byPrecision: { float32: 2, float16: 0, int8: 1, int4: 0, other: 0 },
    added: { quantizeDequantize: 1, casts: 0, other: {} },
    list: [
      row({
        name: 'fc1',
        opType: 'MatMul',
        change: 'replaced',
        variantOpType: 'MatMulInteger',
        precision: 'int8',
      }),
      row({ name: 'bias', opType: 'Add', change: 'fused', fusedInto: 'fc1' }),
      row({ name: 'relu', opType: 'Relu', change: 'kept', variantOpType: 'Relu', precision: 'float32' }),
      row({
        name: 'fc2',
        opType: 'MatMul',
        change: 'replaced',
        variantOpType: 'FusedMatMul',
        precision: 'float32',
      }),
      row({ name: 'drop', opType: 'Identity', change: 'removed' }),
    ],
  },
  weights: { bytesBefore: 0, bytesAfter: 0, byChange: {}, list: [], addedCount: 0, addedBytes: 0 },
  skippedNodes: [{ name: 'fc2', reason: 'excluded by the user' }],
} as unknown as VariantDiff;

describe('overlays on a variant graph', () => {
  it("finds the variant node each of the original's nodes became, by name, fusion name or fusedInto", () => {
    expect(variantNodeIds(variant, diff)).toEqual(['1', '1', '2', '3', undefined]);
  });

  it('takes the index the engine gives for unnamed nodes, which names cannot find', () => {
    const unnamed = {
      ...diff,
      nodes: {
        ...diff.nodes,
        list: diff.nodes.list.map((r, i) => ({
          ...r,
          name: '',
          ...(i < 4 ? { variantIndex: [1, 1, 2, 3][i] } : {}),
        })),
      },
    } as unknown as VariantDiff;
    expect(variantNodeIds(variant, unnamed)).toEqual(['1', '1', '2', '3', undefined]);
  });

  it('colours every variant node by what it computes in, added nodes included', () => {
    const o = variantPrecisionOverlay(variant, diff);
    expect(o.marks.get('0')).toEqual({ color: PRECISION_COLORS.other, text: 'other, added by the variant' });
    expect(o.marks.get('1')).toEqual({ color: PRECISION_COLORS.int8, text: 'int8, was MatMul' });
    expect(o.marks.get('2')).toEqual({ color: PRECISION_COLORS.float32, text: 'float32' });
    expect(o.marks.get('3')).toEqual({
      color: PRECISION_COLORS.float32,
      text: 'stayed float32: excluded by the user',
    });
    // The legend counts the nodes on screen, not the original's.
    expect(o.legend.map((l) => l.text)).toEqual([
      'float32 (2)',
      'float16 (0)',
      'int8 (1)',
      'int4 (0)',
      'Q/DQ, integer Cast (1)',
    ]);
  });

  it('colours every variant node by its change, and says what is not in this graph', () => {
    const o = variantChangeOverlay(variant, diff);
    expect(o.marks.get('0')).toEqual({ color: ADDED_COLOR, text: 'added by the variant' });
    // fc1 took the work of the fused bias Add: coloured and counted as such, as the diff table says.
    expect(o.marks.get('1')).toEqual({
      color: CHANGE_COLORS.fused,
      text: 'replaced MatMul; took the work of fused bias',
    });
    expect(o.marks.get('2')).toEqual({ color: CHANGE_COLORS.kept, text: 'kept' });
    expect(o.marks.get('3')!.color).toBe(CHANGE_COLORS.replaced);
    expect(o.legend.map((l) => l.text)).toEqual([
      'kept (1)',
      'replaced (1)',
      "took fused nodes' work (1)",
      'added by the variant (1)',
      'removed (1) and fused (1): not in this graph, see the table',
    ]);
  });

  it('computes precision from the graph as the engine does: DQ readers int8 where onnxruntime fuses them, float16 weights and casts', () => {
    const g: GraphBody = {
      inputs: ['x'],
      outputs: ['z'],
      values: {},
      weights: { w16: { dtype: 'float16', shape: [2, 2], bytes: 8 } },
      nodes: [
        node('0', 'DequantizeLinear', 'dq', ['xq', 's'], ['xd']),
        node('1', 'Conv', 'conv', ['xd', 'w'], ['c']),
        node('2', 'MatMul', 'mm16', ['c', 'w16'], ['m']),
        node('3', 'Relu', 'r16', ['m'], ['r']),
        node('4', 'Cast', 'to_half', ['r'], ['h'], [{ name: 'to', value: '10' }]),
        // A Cast computes in what it produces: float16, float32; an integer Cast (a shape) is no float work.
        node('4b', 'Cast', 'to_float', ['h'], ['hf'], [{ name: 'to', value: '1' }]),
        node('4c', 'Cast', 'to_int', ['h'], ['hi'], [{ name: 'to', value: '7' }]),
        node('5', 'Add', 'add16', ['h', 'h'], ['a']),
        node('6', 'MatMulNBits', 'mm4', ['a', 'q4'], ['z']),
        node('7', 'Softmax', 'sm', ['x'], ['p']),
        // DQ -> Conv -> Q is a QLinearConv; a ReduceMean between Q/DQ stays a float kernel (as explain profiles it).
        node('8', 'QuantizeLinear', 'q', ['c', 's'], ['cq']),
        node('9', 'ReduceMean', 'mean', ['xd'], ['md']),
        node('10', 'QuantizeLinear', 'q2', ['md', 's'], ['mq']),
      ],
    };
    expect([...graphPrecisions(g).values()]).toEqual([
      'other',
      'int8',
      'float16',
      'float16',
      'float16',
      'float32',
      'other',
      'float16',
      'int4',
      'float32',
      'other',
      'float32',
      'other',
    ]);
  });

  it("colours the original's subgraph nodes too, by their Graph view id, as the legend counts them", () => {
    const withBody = {
      ...diff,
      nodes: {
        ...diff.nodes,
        subgraphList: [
          row({
            name: 'then_mm',
            opType: 'MatMul',
            change: 'replaced',
            variantOpType: 'MatMulNBits',
            precision: 'int4',
            graph: 'branch/then_branch',
            id: '2/then_branch/0',
          }),
        ],
      },
    } as unknown as VariantDiff;
    expect(changeOverlay(withBody).marks.get('2/then_branch/0')).toEqual({
      color: CHANGE_COLORS.replaced,
      text: 'replaced by MatMulNBits',
    });
    expect(precisionOverlay(withBody).marks.get('2/then_branch/0')?.color).toBe(PRECISION_COLORS.int4);
    expect(changeOverlay(withBody).marks.get('0')?.color).toBe(CHANGE_COLORS.replaced);
  });

  it("colours the nodes of an fp16 variant's If/Loop bodies, counts them, and finds them by the engine's variantId", () => {
    // x -> Cast -> Loop (body: Cast, MatMul reading the body's float16 WL, Tanh, Cast) -> Cast -> y. The body
    // sits under main node 1 in the variant and 0 in the original: the rows say where each row went.
    const loop = node('1', 'Loop', '', ['trip', 'cond', 'x_fp16'], ['looped_fp16']);
    loop.subgraphs = [
      {
        attribute: 'body',
        graph: {
          inputs: ['i', 'c', 'state'],
          outputs: ['c_out', 'state_next'],
          values: {},
          weights: { WL: { dtype: 'float16', shape: [4, 4], bytes: 32 } },
          nodes: [
            node('1/body/0', 'Cast', '', ['state'], ['state_fp16'], [{ name: 'to', value: '10' }]),
            node('1/body/1', 'MatMul', '', ['state_fp16', 'WL'], ['s1']),
            node('1/body/2', 'Tanh', '', ['s1'], ['state_next_fp16']),
            node('1/body/3', 'Cast', '', ['state_next_fp16'], ['state_next'], [{ name: 'to', value: '1' }]),
            node('1/body/4', 'Identity', '', ['c'], ['c_out']),
          ],
        },
      },
    ];
    const fp16Graph: GraphBody = {
      inputs: ['x'],
      outputs: ['y'],
      values: {},
      weights: {},
      nodes: [
        node('0', 'Cast', '', ['x'], ['x_fp16'], [{ name: 'to', value: '10' }]),
        loop,
        node('2', 'Cast', '', ['looped_fp16'], ['y'], [{ name: 'to', value: '1' }]),
      ],
    };
    const bodyRow = (opType: string, i: number, variantIndex: number, precision: 'float16' | 'float32') =>
      row({
        name: '',
        opType,
        change: 'kept',
        variantOpType: opType,
        precision,
        variantIndex,
        graph: 'Loop#0/body',
        id: `0/body/${i}`,
        variantId: `1/body/${variantIndex}`,
      });
    const fp16Diff = {
      ...diff,
      nodes: {
        ...diff.nodes,
        list: [
          row({
            name: '',
            opType: 'Loop',
            change: 'kept',
            variantOpType: 'Loop',
            precision: 'float16',
            variantIndex: 1,
          }),
        ],
        subgraphList: [
          bodyRow('MatMul', 0, 1, 'float16'),
          bodyRow('Tanh', 1, 2, 'float16'),
          bodyRow('Identity', 2, 4, 'float32'),
        ],
      },
      skippedNodes: [],
    } as unknown as VariantDiff;
    const o = variantPrecisionOverlay(fp16Graph, fp16Diff);
    expect(o.marks.get('1/body/1')).toEqual({ color: PRECISION_COLORS.float16, text: 'float16' });
    expect(o.marks.get('1/body/2')).toEqual({ color: PRECISION_COLORS.float16, text: 'float16' });
    expect(o.marks.get('1/body/4')).toEqual({ color: PRECISION_COLORS.float32, text: 'float32' });
    expect(o.marks.get('1/body/0')).toEqual({
      color: PRECISION_COLORS.float16,
      text: 'cast to float16, added by the variant',
    });
    expect(o.marks.get('1/body/3')).toEqual({
      color: PRECISION_COLORS.float32,
      text: 'cast to float32, added by the variant',
    });
    // The Casts count with what they produce: the two to float16 with the float16 nodes, the two back with float32.
    expect(o.legend.map((l) => l.text)).toEqual([
      'float32 (3)',
      'float16 (5)',
      'int8 (0)',
      'int4 (0)',
      'Q/DQ, integer Cast (0)',
    ]);
    const c = variantChangeOverlay(fp16Graph, fp16Diff);
    expect(c.marks.get('1/body/1')).toEqual({ color: CHANGE_COLORS.kept, text: 'kept' });
    expect(c.marks.get('1/body/3')).toEqual({ color: ADDED_COLOR, text: 'added by the variant' });
    // Without rows for the bodies (a diff from before subgraphList), the bodies are not called added.
    const mainOnly = { ...fp16Diff, nodes: { ...fp16Diff.nodes, subgraphList: undefined } } as VariantDiff;
    expect(variantPrecisionOverlay(fp16Graph, mainOnly).marks.has('1/body/1')).toBe(false);
    // The graph's own rules reach into bodies too, with what the graphs around them defined.
    const local = graphPrecisions(fp16Graph);
    expect(['1/body/0', '1/body/1', '1/body/2', '1/body/3', '1/body/4'].map((id) => local.get(id))).toEqual([
      'float16',
      'float16',
      'float16',
      'float32',
      'float32',
    ]);
  });
});
