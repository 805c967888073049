import { create } from '@bufbuild/protobuf';
import {
  type GraphProto,
  GraphProtoSchema,
  type NodeProto,
  TensorProto_DataType,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { buildIfModel, buildMlp, makeModel } from '../testing/model-fixtures.js';
import {
  GraphIndex,
  addInitializer,
  addNode,
  eliminateDeadCode,
  freeVariables,
  graphProblems,
  opsetImports,
  opsetVersion,
  removeInitializer,
  removeNode,
  renameValue,
  replaceUses,
  setOpsetVersion,
  sortNodesTopologically,
  subgraphCaptures,
  topologicalOrder,
  validateGraph,
  valueInfo,
  ValueTypes,
  insertNodesAfter,
} from './graph.js';
import { makeFloatTensor, makeNode, makeValueInfo } from './graph-build.js';

const F = TensorProto_DataType.FLOAT;

function graphOf(
  nodes: NodeProto[],
  parts: Partial<Pick<GraphProto, 'input' | 'output' | 'initializer'>> = {},
): GraphProto {
  return create(GraphProtoSchema, { name: 'g', node: nodes, ...parts });
}

/** x -> A -> a -> B -> b ; (a, w) -> C -> c ; (b, c) -> D -> y */
function diamond(): { graph: GraphProto; A: NodeProto; B: NodeProto; C: NodeProto; D: NodeProto } {
  const A = makeNode('Relu', ['x'], ['a'], { name: 'A' });
  const B = makeNode('Neg', ['a'], ['b'], { name: 'B' });
  const C = makeNode('Add', ['a', 'w'], ['c'], { name: 'C' });
  const D = makeNode('Mul', ['b', 'c'], ['y'], { name: 'D' });
  const graph = graphOf([A, B, C, D], {
    input: [makeValueInfo('x', F, [2])],
    output: [makeValueInfo('y', F, [2])],
    initializer: [makeFloatTensor('w', [2], [1, 2])],
  });
  return { graph, A, B, C, D };
}

function expectStudioError(fn: () => unknown, code: string, pattern?: RegExp): StudioError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StudioError);
    const e = err as StudioError;
    expect(e.code).toBe(code);
    if (pattern) expect(e.message).toMatch(pattern);
    return e;
  }
  throw new Error('expected a StudioError');
}

/** Deterministic Fisher-Yates shuffle. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('GraphIndex', () => {
  it('maps producers, consumers, inputs, outputs and initializers', () => {
    const { graph, A, B, C, D } = diamond();
    const index = new GraphIndex(graph);
    expect(index.producer('a')).toEqual({ node: A, outputIndex: 0 });
    expect(index.producer('y')?.node).toBe(D);
    expect(index.producer('x')).toBeUndefined();
    expect(index.consumersOf('a')).toEqual([
      { node: B, inputIndex: 0 },
      { node: C, inputIndex: 0 },
    ]);
    expect(index.consumersOf('w')).toEqual([{ node: C, inputIndex: 1 }]);
    expect(index.consumersOf('c')).toEqual([{ node: D, inputIndex: 1 }]);
    expect(index.consumersOf('y')).toEqual([]);
    expect([...index.inputs.keys()]).toEqual(['x']);
    expect([...index.outputs.keys()]).toEqual(['y']);
    expect(index.initializer('w')?.name).toBe('w');
    expect(index.isGraphOutput('y')).toBe(true);
    expect(index.isUsed('y')).toBe(true);
    expect(index.definesLocally('w')).toBe(true);
    expect(index.positionOf(C)).toBe(2);
  });

  it('ignores empty optional inputs and outputs', () => {
    const n = makeNode('Clip', ['x', '', 'max'], ['y', ''], { name: 'clip' });
    const index = new GraphIndex(graphOf([n]));
    expect(index.consumersOf('')).toEqual([]);
    expect(index.consumersOf('max')).toEqual([{ node: n, inputIndex: 2 }]);
    expect(index.producers.has('')).toBe(false);
  });

  it('is rebuildable after edits', () => {
    const { graph, D } = diamond();
    const index = new GraphIndex(graph);
    const E = addNode(graph, makeNode('Sigmoid', ['y'], ['z'], { name: 'E' }));
    expect(index.producer('z')).toBeUndefined();
    index.rebuild();
    expect(index.producer('z')?.node).toBe(E);
    expect(index.consumersOf('y')).toEqual([{ node: E, inputIndex: 0 }]);
    removeNode(graph, D);
    index.rebuild();
    expect(index.producer('y')).toBeUndefined();
  });

  it('records what subgraphs capture from outer scope', () => {
    const model = buildIfModel();
    const graph = model.graph!;
    const index = new GraphIndex(graph);
    const ifNode = graph.node.find((n) => n.opType === 'If')!;
    expect([...(index.captures.get(ifNode) ?? [])].sort()).toEqual([
      'hidden',
      'shared.bias',
      'shared.weight',
    ]);
    expect(index.implicitConsumersOf('hidden')).toEqual([ifNode]);
    expect(index.consumersOf('hidden')).toEqual([]);
    expect(index.isUsed('shared.weight')).toBe(true);
    expect(subgraphCaptures(graph.node[0]!)).toEqual([]);
  });
});

describe('freeVariables', () => {
  it('excludes locally defined names and includes nested captures and outer outputs', () => {
    const inner = graphOf([makeNode('Add', ['p', 'outer2'], ['q'])], { output: [makeValueInfo('q', F)] });
    const sub = graphOf(
      [
        makeNode('Relu', ['outer1'], ['p'], { name: 'r' }),
        makeNode('If', ['c'], ['z'], {
          attributes: { then_branch: { graph: inner }, else_branch: { graph: inner } },
        }),
      ],
      { input: [makeValueInfo('c', TensorProto_DataType.BOOL, [])], output: [makeValueInfo('outer3', F)] },
    );
    expect(freeVariables(sub)).toEqual(['outer1', 'outer2', 'outer3']);
  });
});

describe('topologicalOrder', () => {
  it('keeps an already sorted graph unchanged', () => {
    const { graph } = diamond();
    expect(topologicalOrder(graph)).toEqual(graph.node);
  });

  it('sorts shuffled node lists', () => {
    const { graph, A, B, C, D } = diamond();
    for (let seed = 1; seed <= 20; seed++) {
      graph.node = shuffled([A, B, C, D], seed);
      const order = topologicalOrder(graph);
      expect(order).toHaveLength(4);
      const pos = (n: NodeProto): number => order.indexOf(n);
      expect(pos(A)).toBeLessThan(pos(B));
      expect(pos(A)).toBeLessThan(pos(C));
      expect(pos(B)).toBeLessThan(pos(D));
      expect(pos(C)).toBeLessThan(pos(D));
    }
  });

  it('sorts a longer shuffled chain with fan-out', () => {
    const nodes: NodeProto[] = [];
    for (let i = 0; i < 30; i++) {
      const inputs = i === 0 ? ['x'] : [`v${i - 1}`, ...(i >= 3 ? [`v${i - 3}`] : [])];
      nodes.push(makeNode('Add', inputs, [`v${i}`], { name: `n${i}` }));
    }
    const graph = graphOf(shuffled(nodes, 7));
    sortNodesTopologically(graph);
    expect(graph.node.map((n) => n.name)).toEqual(nodes.map((n) => n.name));
  });

  it('does not order on graph inputs, initializers, empty inputs or dangling names', () => {
    const n1 = makeNode('Clip', ['x', '', 'w'], ['a'], { name: 'n1' });
    const n2 = makeNode('Add', ['dangling', 'x'], ['b'], { name: 'n2' });
    const graph = graphOf([n2, n1], {
      input: [makeValueInfo('x', F)],
      initializer: [makeFloatTensor('w', [], [1])],
    });
    expect(topologicalOrder(graph)).toEqual([n2, n1]);
  });

  it('throws MODEL_INVALID naming a node of the cycle', () => {
    const pre = makeNode('Relu', ['x'], ['p'], { name: 'pre' });
    const a = makeNode('Add', ['p', 'c'], ['a'], { name: 'cycA' });
    const b = makeNode('Neg', ['a'], ['b'], { name: 'cycB' });
    const c = makeNode('Abs', ['b'], ['c'], { name: 'cycC' });
    const after = makeNode('Relu', ['c'], ['y'], { name: 'downstream' });
    const graph = graphOf([pre, a, b, c, after]);
    const err = expectStudioError(
      () => topologicalOrder(graph),
      'MODEL_INVALID',
      /cycle through node 'cyc[ABC]'/,
    );
    expect(err.message).not.toMatch(/downstream|'pre'/);
    expect(err.message).toMatch(/cycA/);
    expect(err.message).toMatch(/cycB/);
    expect(err.message).toMatch(/cycC/);
  });

  it('detects a self loop and names unnamed nodes by output', () => {
    const graph = graphOf([makeNode('Add', ['x', 'loop'], ['loop'])]);
    expectStudioError(() => topologicalOrder(graph), 'MODEL_INVALID', /unnamed Add node #0 producing 'loop'/);
  });

  it('places a node whose If subgraph captures a value after its producer', () => {
    const model = buildIfModel();
    const graph = model.graph!;
    const [matmul, ifNode, relu] = graph.node as [NodeProto, NodeProto, NodeProto];
    // The If node has no explicit input from the MatMul; only its branches read `hidden`.
    expect(ifNode.input).toEqual(['cond']);
    graph.node = [relu, ifNode, matmul];
    expect(topologicalOrder(graph)).toEqual([matmul, ifNode, relu]);
  });

  it('handles captures through nested subgraphs', () => {
    const inner = graphOf([makeNode('Neg', ['deep'], ['o'])], { output: [makeValueInfo('o', F)] });
    const outerBranch = graphOf(
      [
        makeNode('If', ['c2'], ['m'], {
          attributes: { then_branch: { graph: inner }, else_branch: { graph: inner } },
        }),
      ],
      { output: [makeValueInfo('m', F)] },
    );
    const producer = makeNode('Relu', ['x'], ['deep'], { name: 'producer' });
    const ifNode = makeNode('If', ['c'], ['y'], {
      name: 'outer_if',
      attributes: { then_branch: { graph: outerBranch }, else_branch: { graph: outerBranch } },
    });
    const graph = graphOf([ifNode, producer]);
    expect(topologicalOrder(graph)).toEqual([producer, ifNode]);
  });
});

describe('validateGraph', () => {
  it('accepts sound graphs, including ones whose subgraphs capture outer values', () => {
    expect(() => validateGraph(diamond().graph)).not.toThrow();
    expect(() => validateGraph(buildIfModel().graph!)).not.toThrow();
    expect(() => validateGraph(buildMlp().graph!)).not.toThrow();
  });

  it('reports dangling inputs in the main graph and in subgraphs', () => {
    const { graph } = diamond();
    graph.node.push(makeNode('Add', ['y', 'nowhere'], ['z'], { name: 'bad' }));
    expectStudioError(() => validateGraph(graph), 'MODEL_INVALID', /'nowhere'.*node 'bad'/);

    const model = buildIfModel();
    model.graph!.initializer = model.graph!.initializer.filter((t) => t.name !== 'shared.bias');
    const problems = graphProblems(model.graph!);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/'shared.bias'.*else_branch/);
  });

  it('reports duplicate definitions, missing outputs and cycles', () => {
    const graph = graphOf(
      [
        makeNode('Relu', ['x'], ['a'], { name: 'one' }),
        makeNode('Neg', ['x'], ['a'], { name: 'two' }),
        makeNode('Add', ['c', 'x'], ['b'], { name: 'p' }),
        makeNode('Add', ['b', 'x'], ['c'], { name: 'q' }),
      ],
      { input: [makeValueInfo('x', F)], output: [makeValueInfo('missing', F)] },
    );
    const problems = graphProblems(graph);
    expect(problems.some((p) => /'a' is defined more than once/.test(p))).toBe(true);
    expect(problems.some((p) => /output 'missing'/.test(p))).toBe(true);
    expect(problems.some((p) => /cycle/.test(p))).toBe(true);
    const err = expectStudioError(() => validateGraph(graph), 'MODEL_INVALID', /more problems/);
    expect(err.detail?.split('\n')).toHaveLength(problems.length);
  });
});

describe('valueInfo', () => {
  it('reads inputs, outputs, value_info, initializers and Constant nodes', () => {
    const graph = buildMlp().graph!;
    expect(valueInfo(graph, 'input')).toEqual({ elemType: F, shape: ['batch', 16], rankKnown: true });
    expect(valueInfo(graph, 'logits')).toEqual({ elemType: F, shape: ['batch', 8], rankKnown: true });
    expect(valueInfo(graph, 'fc1.weight')).toEqual({ elemType: F, shape: [32, 16], rankKnown: true });
    expect(valueInfo(graph, 'fc1.out')).toBeUndefined();
    graph.valueInfo.push(makeValueInfo('fc1.out', F, [null, 32]), makeValueInfo('relu1.out', F));
    expect(valueInfo(graph, 'fc1.out')).toEqual({ elemType: F, shape: [null, 32], rankKnown: true });
    expect(valueInfo(graph, 'relu1.out')).toEqual({ elemType: F, shape: [], rankKnown: false });
    graph.node.push(makeNode('Constant', [], ['k'], { attributes: { value_ints: { ints: [1, 2, 3] } } }));
    expect(valueInfo(graph, 'k')).toEqual({
      elemType: TensorProto_DataType.INT64,
      shape: [3],
      rankKnown: true,
    });
  });

  it('ValueTypes answers as of its building, with the first declaration winning and untyped ones passed over', () => {
    const graph = buildMlp().graph!;
    // An output without a tensor type, then value_info entries for the same name: the first typed one wins.
    graph.output.push(create(ValueInfoProtoSchema, { name: 'fc1.out' }));
    graph.valueInfo.push(makeValueInfo('fc1.out', F, [4, 32]), makeValueInfo('fc1.out', F, [9, 9]));
    // A value_info entry does not override the input's own declaration.
    graph.valueInfo.push(makeValueInfo('input', TensorProto_DataType.FLOAT16, [1]));
    const types = new ValueTypes(graph);
    expect(types.get('fc1.out')).toEqual({ elemType: F, shape: [4, 32], rankKnown: true });
    expect(types.get('input')).toEqual({ elemType: F, shape: ['batch', 16], rankKnown: true });
    expect(types.get('fc1.weight')?.shape).toEqual([32, 16]);
    expect(types.declared('fc1.weight')).toBeUndefined();
    expect(types.declared('fc1.out')?.shape).toEqual([4, 32]);
    graph.valueInfo.push(makeValueInfo('relu1.out', F, [2]));
    expect(types.get('relu1.out')).toBeUndefined();
    expect(new ValueTypes(graph).get('relu1.out')?.shape).toEqual([2]);
    expect(valueInfo(graph, 'fc1.out')).toEqual(types.get('fc1.out'));
  });
});

describe('opsets', () => {
  it('treats "" and ai.onnx as the default domain', () => {
    const model = makeModel(graphOf([]), 17);
    expect(opsetVersion(model)).toBe(17);
    expect(opsetVersion(model, 'ai.onnx')).toBe(17);
    expect(opsetVersion(model, 'com.microsoft')).toBeUndefined();
    model.opsetImport[0]!.domain = 'ai.onnx';
    expect(opsetVersion(model, '')).toBe(17);
    setOpsetVersion(model, 'com.microsoft', 1);
    setOpsetVersion(model, '', 19);
    expect(opsetImports(model)).toEqual(
      new Map([
        ['', 19],
        ['com.microsoft', 1],
      ]),
    );
    expect(model.opsetImport).toHaveLength(2);
  });
});

describe('editing', () => {
  it('adds nodes before/after/at positions and removes them', () => {
    const { graph, A, B } = diamond();
    const n1 = addNode(graph, makeNode('Identity', ['x'], ['i1']), { before: A });
    const n2 = addNode(graph, makeNode('Identity', ['x'], ['i2']), { after: B });
    const n3 = addNode(graph, makeNode('Identity', ['x'], ['i3']), { at: 1 });
    expect(graph.node.indexOf(n1)).toBe(0);
    expect(graph.node.indexOf(n3)).toBe(1);
    expect(graph.node.indexOf(n2)).toBe(graph.node.indexOf(B) + 1);
    expect(removeNode(graph, n2)).toBe(true);
    expect(removeNode(graph, n2)).toBe(false);
  });

  it('inserts lists of nodes right after their anchors in one pass', () => {
    const { graph, A, B } = diamond();
    const list = graph.node;
    const before = [...graph.node];
    const a1 = makeNode('Identity', ['x'], ['a1']);
    const a2 = makeNode('Identity', ['x'], ['a2']);
    const b1 = makeNode('Identity', ['x'], ['b1']);
    insertNodesAfter(
      graph,
      new Map([
        [A, [a1, a2]],
        [B, [b1]],
      ]),
    );
    const expected = before.flatMap((n) => (n === A ? [n, a1, a2] : n === B ? [n, b1] : [n]));
    expect(graph.node).toEqual(expected);
    expect(graph.node).toBe(list);
    const stranger = makeNode('Identity', ['x'], ['s']);
    expectStudioError(() => insertNodesAfter(graph, new Map([[stranger, [b1]]])), 'INTERNAL');
  });

  it('adds and removes initializers', () => {
    const { graph } = diamond();
    addInitializer(graph, makeFloatTensor('k', [1], [3]));
    expect(new GraphIndex(graph).initializer('k')).toBeDefined();
    expectStudioError(() => addInitializer(graph, makeFloatTensor('k', [1], [3])), 'BAD_REQUEST');
    expectStudioError(() => addInitializer(graph, makeFloatTensor('a', [1], [3])), 'BAD_REQUEST');
    graph.input.push(makeValueInfo('k', F, [1]));
    expect(removeInitializer(graph, 'k')).toBe(true);
    expect(graph.input.map((i) => i.name)).toEqual(['x']);
    expect(removeInitializer(graph, 'k')).toBe(false);
  });

  it('renames a value everywhere, including subgraph captures', () => {
    const model = buildIfModel();
    const graph = model.graph!;
    renameValue(graph, 'hidden', 'h2');
    renameValue(graph, 'shared.weight', 'sw');
    renameValue(graph, 'output', 'result');
    expect(graph.node[0]!.output).toEqual(['h2']);
    expect(graph.output[0]!.name).toBe('result');
    expect(graph.initializer.map((t) => t.name)).toContain('sw');
    expect(freeVariables(graph.node[1]!.attribute[0]!.g!)).toEqual(['h2', 'sw']);
    expect(() => validateGraph(graph)).not.toThrow();
    expectStudioError(() => renameValue(graph, 'h2', 'in.weight'), 'BAD_REQUEST');
  });

  it('replaces uses but not the producer', () => {
    const { graph, A, B, C } = diamond();
    addNode(graph, makeNode('Identity', ['a'], ['a2'], { name: 'copy' }), { after: A });
    const n = replaceUses(graph, 'a', 'a2', { filter: (node) => node !== graph.node[1] });
    expect(n).toBe(2);
    expect(A.output).toEqual(['a']);
    expect(B.input).toEqual(['a2']);
    expect(C.input).toEqual(['a2', 'w']);
    expect(graph.node[1]!.input).toEqual(['a']);
  });

  it('replaces uses inside subgraphs that capture the value', () => {
    const graph = buildIfModel().graph!;
    expect(replaceUses(graph, 'hidden', 'input')).toBe(2);
    expect(new GraphIndex(graph).implicitConsumersOf('hidden')).toEqual([]);
  });

  it('eliminates dead nodes and unused initializers', () => {
    const { graph } = diamond();
    graph.node.push(makeNode('Relu', ['w'], ['dead1']), makeNode('Neg', ['dead1'], ['dead2']));
    graph.initializer.push(makeFloatTensor('unused', [1], [0]));
    expect(eliminateDeadCode(graph)).toEqual({ nodes: 2, initializers: 1 });
    expect(graph.node).toHaveLength(4);
    expect(graph.initializer.map((t) => t.name)).toEqual(['w']);
  });
});
