import { describe, expect, it } from 'vitest';
import type { BenchProfile } from '../../../shared/bench.js';
import type { GraphBody, GraphNode } from '../../../shared/model-graph.js';
import { mockModelGraph, node } from '../host/mock-graph.js';
import { closestPair, colorDistance, MIN_SERIES_DISTANCE, toLab } from '../../../shared/chart-colors.js';
import {
  heatOverlay,
  NO_MARK,
  OP_COLOR_DISTANCE,
  OP_PALETTE,
  opTypeOverlay,
  sensitivityOverlay,
} from './overlays.js';

const graph = mockModelGraph('/models/m.onnx').graph;

describe('opTypeOverlay', () => {
  it('gives each op type one colour, the commonest first in the legend, bodies included', () => {
    const o = opTypeOverlay(graph);
    expect(o.marks.get('0')!.color).toBe(o.marks.get('3')!.color); // both Conv
    expect(o.marks.get('0')!.color).not.toBe(o.marks.get('1')!.color); // Conv vs Relu
    expect(o.marks.get('6/then_branch/0')!.text).toBe('Mul');
    expect(o.legend[0]!.text).toMatch(/^(Conv|MaxPool|Relu) \(2\)$/);
  });

  it('says which of its counts are nodes inside If/Loop bodies, not of the main graph', () => {
    // The legend counted the If's branches silently: its totals differed from the main graph's node count.
    const text = opTypeOverlay(graph).legend.map((l) => l.text);
    expect(text).toContain('Mul (1 in subgraphs)');
    expect(text).toContain('Identity (1 in subgraphs)');
    expect(text).toContain('If (1)');
    const mixed: GraphBody = {
      ...graph,
      nodes: [
        node('0', 'Mul', 'm0', [], []),
        {
          ...node('1', 'If', 'branch', [], []),
          subgraphs: graph.nodes.find((n) => n.opType === 'If')!.subgraphs!,
        },
      ],
    };
    expect(opTypeOverlay(mixed).legend.map((l) => l.text)).toContain('Mul (2 incl. 1 in subgraphs)');
  });

  it('gives the commonest op types colours told apart at a glance, light enough for the dark labels', () => {
    // A user test read Conv (#ffb703) and Flatten (#f9c74f) of a CNN as one yellow: ΔE 19.5.
    const { distance, pair } = closestPair(OP_PALETTE);
    expect(distance, `${pair.join(' and ')} are too alike`).toBeGreaterThanOrEqual(OP_COLOR_DISTANCE);
    for (const c of OP_PALETTE) {
      // The canvas draws labels in #1d1d1f: L* 60 keeps them at 5:1 or more.
      expect(toLab(c)[0], `${c} is too dark for the labels`).toBeGreaterThanOrEqual(60);
      expect(colorDistance(c, NO_MARK.color), `${c} reads as the unmarked grey`).toBeGreaterThanOrEqual(
        MIN_SERIES_DISTANCE,
      );
    }
    // The CNN's eight op types, ranked as the overlay ranks them, get eight of these colours.
    const cnn: GraphBody = {
      nodes: ['Conv', 'BatchNormalization', 'Relu', 'Conv', 'BatchNormalization', 'Relu', 'MaxPool']
        .concat(['GlobalAveragePool', 'Flatten', 'MatMul', 'Add'])
        .map((op, i) => node(String(i), op, `n${i}`, [], [])),
      inputs: [],
      outputs: [],
      values: {},
      weights: {},
    };
    const o = opTypeOverlay(cnn);
    const colors = new Set([...o.marks.values()].map((m) => m.color));
    expect(colors.size).toBe(8);
    expect(colorDistance(o.marks.get('0')!.color, o.marks.get('8')!.color)).toBeGreaterThanOrEqual(
      OP_COLOR_DISTANCE,
    );
  });

  it('never gives two op types one colour: past the palette, the rest are grey and named in the legend', () => {
    // tfm.onnx of a user test: 17 op types. Equal had MatMul's blue, Where Transpose's pink, and the legend
    // listed ten types, leaving out the seven it had drawn in reused colours.
    const counts: [string, number][] = [
      ['MatMul', 17],
      ['Add', 12],
      ['Reshape', 8],
      ['Transpose', 8],
      ['Div', 4],
      ['LayerNormalization', 4],
      ['Mul', 4],
      ['Shape', 4],
      ['Gather', 3],
      ['Erf', 2],
      ['Softmax', 2],
      ['Equal', 1],
      ['Expand', 1],
      ['Range', 1],
      ['ReduceMean', 1],
      ['Unsqueeze', 1],
      ['Where', 1],
    ];
    const nodes = counts.flatMap(([op, n]) =>
      Array.from({ length: n }, (_, i) => node(`${op}${i}`, op, '', [], [])),
    );
    const tfm: GraphBody = { nodes, inputs: [], outputs: [], values: {}, weights: {} };
    const o = opTypeOverlay(tfm);
    const colorOfOp = new Map<string, Set<string>>();
    for (const [id, mark] of o.marks) {
      const op = id.replace(/\d+$/, '');
      expect(mark.text).toBe(op);
      colorOfOp.set(mark.color, (colorOfOp.get(mark.color) ?? new Set()).add(op));
    }
    // One colour per op type, save the grey of the rest.
    const grey = o.legend.at(-1)!;
    for (const [color, ops] of colorOfOp) if (color !== grey.color) expect([...ops], color).toHaveLength(1);
    expect(colorOfOp.get(grey.color)).toEqual(
      new Set(['Equal', 'Expand', 'Range', 'ReduceMean', 'Unsqueeze', 'Where']),
    );
    expect(grey.text).toBe('other (6 types: Equal, Expand, Range, ReduceMean, Unsqueeze, Where)');
    // The legend lists what the canvas colours: every op type, in its entry of its colour.
    expect(o.legend).toHaveLength(12);
    for (const [color, ops] of colorOfOp) {
      const entry = o.legend.find((l) => l.color === color)!;
      for (const op of ops) expect(entry.text, op).toContain(op);
    }
    expect(o.legend[10]).toEqual({ color: OP_PALETTE[10], text: 'Softmax (2)' });
    const colored = o.legend.slice(0, -1).map((l) => l.color);
    expect(closestPair(colored).distance).toBeGreaterThanOrEqual(OP_COLOR_DISTANCE);
    for (const c of colored)
      expect(colorDistance(c, grey.color), c).toBeGreaterThanOrEqual(MIN_SERIES_DISTANCE);
    // As many op types as the palette has colours all keep their own.
    const twelve = opTypeOverlay({
      ...tfm,
      nodes: nodes.filter((n) => counts.findIndex(([op]) => op === n.opType) < 12),
    });
    expect(twelve.legend.map((l) => l.color)).toEqual([...OP_PALETTE]);
  });
});

describe('heatOverlay', () => {
  it('marks the profiled nodes by their share of all kernel time, matched by node name', () => {
    const profile: BenchProfile = {
      byOpType: [
        { opType: 'Conv', ms: 3, pct: 75 },
        { opType: 'MatMul', ms: 1, pct: 25 },
      ],
      topNodes: [
        { name: 'conv2', opType: 'Conv', ms: 2 },
        { name: 'fc', opType: 'MatMul', ms: 0.4 },
        { name: 'not-in-graph', opType: 'Relu', ms: 0.1 },
      ],
      runs: 10,
      traceFile: '/tmp/trace.json',
    };
    const o = heatOverlay(graph, profile);
    expect([...o.marks.keys()].sort()).toEqual(['3', '8']);
    expect(o.marks.get('3')!.text).toBe('2.000 ms a run (50.0% of kernel time)');
    expect(o.marks.get('3')!.color).toBe('rgb(245, 60, 60)');
    expect(o.marks.get('8')!.text).toBe('0.400 ms a run (10.0% of kernel time)');
    // A profile with every node heats them all, not just the ten slowest.
    const full = heatOverlay(graph, {
      ...profile,
      topNodes: [],
      nodes: [{ name: 'softmax', opType: 'Softmax', ms: 0.04 }],
    });
    expect([...full.marks.keys()]).toEqual(['10']);
  });
});

describe('sensitivityOverlay', () => {
  it('reddens nodes by the SQNR they lose against the largest drop, finding fused nodes by their original name', () => {
    const row = (node: string, dropDb: number | null) => ({
      node,
      opType: 'Conv',
      inputs: [],
      localSqnrDb: 40,
      sqnrDb: 30,
      outputSqnrDb: dropDb === null ? null : 30 - dropDb,
      dropDb,
    });
    const o = sensitivityOverlay(graph, [
      row('conv2/FusedConvFusion', 12),
      row('fc', 3),
      row('not-in-graph', 1),
    ]);
    expect([...o.marks.keys()].sort()).toEqual(['3', '8']);
    expect(o.marks.get('3')).toEqual({
      color: 'rgb(245, 60, 60)',
      text: 'sensitivity rank 1: loses 12.0 dB in int8 (local SQNR 40.0 dB)',
    });
    expect(o.marks.get('8')!.color).toBe('rgb(245, 191, 191)');
    expect(o.legend[1]!.text).toBe('the largest drop (12.0 dB)');
  });
});

describe('nodes that share a name across bodies', () => {
  const n = (id: string, name: string, opType: string, subgraphs?: GraphNode['subgraphs']): GraphNode => ({
    ...node(id, opType, name, [], []),
    ...(subgraphs ? { subgraphs } : {}),
  });
  const body = (nodes: GraphNode[]): GraphBody => ({
    nodes,
    inputs: [],
    outputs: [],
    values: {},
    weights: {},
  });
  // Exporters name body nodes after their role, so an If's two branches both hold a `MatMul_0`.
  const shared = body([
    n('0', 'mm', 'MatMul'),
    n('1', 'if', 'If', [
      { attribute: 'then_branch', graph: body([n('1/then_branch/0', 'MatMul_0', 'MatMul')]) },
      {
        attribute: 'else_branch',
        graph: body([n('1/else_branch/0', 'MatMul_0', 'MatMul'), n('1/else_branch/1', 'mm', 'Relu')]),
      },
    ]),
  ]);

  it('heats every node an entry can stand for and says the time is shared, not the first node alone', () => {
    const o = heatOverlay(shared, {
      byOpType: [{ opType: 'MatMul', ms: 4, pct: 100 }],
      topNodes: [],
      nodes: [
        { name: 'MatMul_0', opType: 'MatMul', ms: 2 },
        { name: 'mm', opType: 'MatMul', ms: 1 },
      ],
      runs: 1,
    });
    expect([...o.marks.keys()].sort()).toEqual(['0', '1/else_branch/0', '1/then_branch/0']);
    expect(o.marks.get('1/else_branch/0')!.text).toBe(
      "2.000 ms a run (50.0% of kernel time), shared by the 2 nodes named 'MatMul_0' (the profile cannot tell them apart)",
    );
    // The op type tells the main graph's MatMul `mm` from the body's Relu `mm`.
    expect(o.marks.get('0')!.text).toBe('1.000 ms a run (25.0% of kernel time)');
  });

  it('gives a sensitivity row to the main graph node, not a body node of the same name', () => {
    const o = sensitivityOverlay(shared, [
      { node: 'mm', opType: 'MatMul', inputs: [], localSqnrDb: 40, sqnrDb: 30, outputSqnrDb: 20, dropDb: 10 },
    ]);
    expect([...o.marks.keys()]).toEqual(['0']);
  });
});

describe('kernels of onnxruntime rewrites', () => {
  const n = (id: string, name: string, opType: string, inputs: string[], outputs: string[]) =>
    node(id, opType, name, inputs, outputs);
  const convNet: GraphBody = {
    nodes: [
      n('0', '/stem/Conv', 'Conv', ['x'], ['/stem/Conv_output_0']),
      n('1', '/stem/Relu', 'Relu', ['/stem/Conv_output_0'], ['/stem/Relu_output_0']),
      n('2', '/head/Conv', 'Conv', ['/stem/Relu_output_0'], ['/head/Conv_output_0']),
      n('3', '/head/Gemm', 'Gemm', ['/head/Conv_output_0'], ['y']),
    ],
    inputs: ['x'],
    outputs: ['y'],
    values: {},
    weights: {},
  };

  it('finds NCHWc kernels by the tensor they write, a Conv fused with its Relu included, and counts kernels on no node', () => {
    // What onnxruntime's profile of a CPU conv net lists (names from the digits sample's profile).
    const o = heatOverlay(convNet, {
      byOpType: [{ opType: 'Conv', ms: 3.5, pct: 87.5 }],
      topNodes: [],
      nodes: [
        { name: '/stem/Relu_output_0_nchwc', opType: 'Conv', ms: 2 },
        { name: '/head/Conv_output_0_nchwc', opType: 'Conv', ms: 1.5 },
        { name: 'ReorderOutput', opType: 'ReorderOutput', ms: 0.3 },
        { name: '/head/Gemm', opType: 'Gemm', ms: 0.2 },
      ],
      runs: 5,
    });
    expect([...o.marks.keys()].sort()).toEqual(['0', '2', '3']);
    expect(o.marks.get('0')!.text).toBe(
      '2.000 ms a run (57.1% of kernel time), with the Relu after it fused in by onnxruntime',
    );
    expect(o.marks.get('2')!.text).toBe('1.500 ms a run (42.9% of kernel time)');
    expect(o.note).toBe(
      '8.6% of kernel time went to kernels onnxruntime added (ReorderOutput), on no node of the model.',
    );
  });
});

describe('kernels of an activation fusion', () => {
  it("puts a FusedGemm kernel ('fused fc1') on its Gemm and says which activation was fused in", () => {
    // An MLP of Gemm + Relu, Gemm + Relu, Gemm: onnxruntime's GemmActivationFusion runs the first two pairs as
    // FusedGemm kernels named `fused <Gemm>` (names from the profile of /tmp/ut-app/models/mlp.onnx).
    const mlp: GraphBody = {
      nodes: [
        node('0', 'Gemm', 'fc1', ['x', 'w1', 'b1'], ['h1']),
        node('1', 'Relu', 'relu1', ['h1'], ['a1']),
        node('2', 'Gemm', 'fc2', ['a1', 'w2', 'b2'], ['h2']),
        node('3', 'Relu', 'relu2', ['h2'], ['a2']),
        node('4', 'Gemm', 'fc3', ['a2', 'w3', 'b3'], ['y']),
      ],
      inputs: ['x'],
      outputs: ['y'],
      values: {},
      weights: {},
    };
    const o = heatOverlay(mlp, {
      byOpType: [
        { opType: 'FusedGemm', ms: 0.013, pct: 68.4 },
        { opType: 'Gemm', ms: 0.006, pct: 31.6 },
      ],
      topNodes: [],
      nodes: [
        { name: 'fused fc1', opType: 'FusedGemm', ms: 0.007 },
        { name: 'fc3', opType: 'Gemm', ms: 0.006 },
        { name: 'fused fc2', opType: 'FusedGemm', ms: 0.006 },
      ],
      runs: 5,
    });
    expect([...o.marks.keys()].sort()).toEqual(['0', '2', '4']);
    expect(o.marks.get('0')!.text).toBe(
      '0.007 ms a run (36.8% of kernel time), with the Relu after it fused in by onnxruntime',
    );
    expect(o.marks.get('4')!.text).toBe('0.006 ms a run (31.6% of kernel time)');
    expect(o.note).toBeUndefined();
  });
});

describe('kernels of a QDQ model', () => {
  it("finds the int8 kernel onnxruntime made of a QDQ group by its node's name (X_token_N)", () => {
    const conv = (id: string, name: string) => node(id, 'Conv', name, [], []);
    const graph: GraphBody = {
      nodes: [conv('0', '/stages/stages.0/conv1/Conv'), conv('1', '/stages/stages.0/conv2/Conv')],
      inputs: [],
      outputs: [],
      values: {},
      weights: {},
    };
    // Names from a profile of the digits sample's int8-static variant.
    const o = heatOverlay(graph, {
      byOpType: [{ opType: 'QLinearConv', ms: 0.3, pct: 100 }],
      topNodes: [],
      nodes: [
        { name: '/stages/stages.0/conv1/Conv_token_2', opType: 'QLinearConv', ms: 0.15 },
        { name: '/stages/stages.0/conv2/Conv_token_5', opType: 'QLinearConv', ms: 0.15 },
      ],
      runs: 5,
    });
    expect([...o.marks.keys()].sort()).toEqual(['0', '1']);
    expect(o.note).toBeUndefined();
  });
});

describe('kernels of nodes the model left unnamed', () => {
  it("finds a kept node by its index (onnxruntime profiles it as 'ReduceMean_9'), and no other node by that guess", () => {
    // From a profile of an OCR recognizer's int8-static variant whose exporter named no compute node.
    const graph: GraphBody = {
      nodes: [
        node('0', 'Conv', '', ['x'], ['a1']),
        node('1', 'ReduceMean', '', ['a1'], ['m']),
        node('2', 'Transpose', 'Transpose_1', ['m'], ['t']),
      ],
      inputs: ['x'],
      outputs: ['t'],
      values: {},
      weights: {},
    };
    const o = heatOverlay(graph, {
      byOpType: [{ opType: 'ReduceMean', ms: 0.4, pct: 100 }],
      topNodes: [],
      nodes: [
        { name: 'ReduceMean_1', opType: 'ReduceMean', ms: 0.2 },
        // Index 0 is a Conv, not a ReduceMean; index 2 has a name of its own: neither is this kernel's node.
        { name: 'ReduceMean_0', opType: 'ReduceMean', ms: 0.1 },
        { name: 'Transpose_2', opType: 'Transpose', ms: 0.1 },
      ],
      runs: 5,
    });
    expect([...o.marks.keys()]).toEqual(['1']);
    expect(o.marks.get('1')!.text).toBe('0.200 ms a run (50.0% of kernel time)');
    expect(o.note).toBe(
      '50.0% of kernel time went to kernels onnxruntime added or made from nodes the model left unnamed ' +
        '(ReduceMean, Transpose), on no node of the model it can name.',
    );
  });
});

describe('kernels of unnamed nodes after Constant nodes', () => {
  it('counts the index among the nodes onnxruntime kept: Constants become initializers first', () => {
    // Names from onnxruntime's profile of a model of unnamed nodes [Constant, Constant, Add, Sigmoid, Add, Add].
    const graph: GraphBody = {
      nodes: [
        node('0', 'Constant', '', [], ['c0']),
        node('1', 'Constant', '', [], ['c1']),
        node('2', 'Add', '', ['x', 'c0'], ['a']),
        node('3', 'Sigmoid', '', ['a'], ['s']),
        node('4', 'Add', '', ['s', 'c1'], ['b']),
        node('5', 'Add', '', ['b', 'x'], ['y']),
      ],
      inputs: ['x'],
      outputs: ['y'],
      values: {},
      weights: {},
    };
    const o = heatOverlay(graph, {
      byOpType: [{ opType: 'Add', ms: 4, pct: 100 }],
      topNodes: [],
      nodes: [
        { name: 'Add_0', opType: 'Add', ms: 1 },
        { name: 'Sigmoid_1', opType: 'Sigmoid', ms: 1 },
        { name: 'Add_2', opType: 'Add', ms: 1 },
        { name: 'Add_3', opType: 'Add', ms: 1 },
      ],
      runs: 5,
    });
    expect([...o.marks.keys()].sort()).toEqual(['2', '3', '4', '5']);
    expect(o.note).toBeUndefined();
  });
});

describe('kernels of a Conv with its BatchNormalization and Relu', () => {
  // cnn.onnx of the user test: Conv → BatchNormalization → Relu, twice. onnxruntime folds each BatchNormalization
  // into its Conv and fuses the Relu, and names the NCHWc kernel after the Relu's output (`r0_nchwc`, a Conv).
  const block = (i: number, input: string): GraphNode[] => [
    node(String(3 * i), 'Conv', `conv${i}`, [input, `w${i}`, `b${i}`], [`c${i}`]),
    node(
      String(3 * i + 1),
      'BatchNormalization',
      `bn${i}`,
      [`c${i}`, `s${i}`, `bb${i}`, `m${i}`, `v${i}`],
      [`bn${i}`],
    ),
    node(String(3 * i + 2), 'Relu', `relu${i}`, [`bn${i}`], [`r${i}`]),
  ];
  const cnn: GraphBody = {
    nodes: [...block(0, 'input'), ...block(1, 'r0')],
    inputs: ['input'],
    outputs: ['r1'],
    values: {},
    weights: {},
  };
  const profile = (names: string[]): BenchProfile => ({
    byOpType: [{ opType: 'Conv', ms: 4, pct: 100 }],
    topNodes: [],
    nodes: names.map((name) => ({ name, opType: 'Conv', ms: 2 })),
    runs: 5,
  });

  it('puts the kernel time on the Conv, two ops back, and says the BatchNormalization and Relu were fused in', () => {
    const o = heatOverlay(cnn, profile(['r0_nchwc', 'r1_nchwc']));
    expect([...o.marks.keys()].sort()).toEqual(['0', '3']);
    expect(o.marks.get('0')!.text).toBe(
      '2.000 ms a run (50.0% of kernel time), with the BatchNormalization and Relu after it fused in by onnxruntime',
    );
    expect(o.note).toBeUndefined();
  });

  it("finds a float16 model's Conv, which onnxruntime ran in float32 (InsertedPrecisionFreeCast_r0_nchwc)", () => {
    const o = heatOverlay(cnn, profile(['InsertedPrecisionFreeCast_r0_nchwc']));
    expect([...o.marks.keys()]).toEqual(['0']);
    expect(o.marks.get('0')!.text).toMatch(/with the BatchNormalization and Relu after it fused in/);
  });

  it('leaves a Relu whose input another node reads too on its own: onnxruntime fuses over one-reader edges only', () => {
    const branchy: GraphBody = {
      ...cnn,
      nodes: [...cnn.nodes, node('6', 'Identity', 'tap', ['bn0'], ['t'])],
    };
    const o = heatOverlay(branchy, profile(['r0_nchwc']));
    // No Conv this kernel can be traced to: the time stays on the tensor's writer, as before.
    expect([...o.marks.keys()]).toEqual(['2']);
  });
});
