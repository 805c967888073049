/**
 * The mock host's graph and diff: made-up data in the contract's shapes (a small conv net with an If, and
 * what a quantize or fp16 variant would plausibly do to it), so the Graph view can be driven without an
 * engine. Only data lives here; the view's logic (layout, overlays, colours) is the product's own.
 */
import type { VariantDiff } from '../../../shared/ipc-contract.js';
import type { NodeDiff, NodePrecision } from '../../../shared/model-diff.js';
import {
  type GraphBody,
  type GraphNode,
  type ModelGraph,
  walkGraphNodes,
} from '../../../shared/model-graph.js';
import type { WorkspaceVariant } from '../../../shared/workspace.js';

const f32 = (...shape: (number | string)[]) => ({ dtype: 'float32', shape });
const weight = (shape: number[], min: number, max: number, mean: number, sparsity = 0) => ({
  dtype: 'float32',
  shape,
  bytes: 4 * shape.reduce((n, d) => n * d, 1),
  min,
  max,
  mean,
  sparsity,
});
/** A graph node in the default domain (also the graph tests' builder). */
export const node = (
  id: string,
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attributes: GraphNode['attributes'] = [],
): GraphNode => ({
  id,
  name,
  opType,
  domain: '',
  inputs,
  outputs,
  attributes,
});

function body(
  nodes: GraphNode[],
  inputs: string[],
  outputs: string[],
  values: GraphBody['values'] = {},
  weights: GraphBody['weights'] = {},
): GraphBody {
  return { nodes, inputs, outputs, values, weights };
}

export function mockModelGraph(path: string): ModelGraph {
  const branch = node(
    '6',
    'If',
    'maybe_scale',
    ['use_scale'],
    ['branched'],
    [
      { name: 'then_branch', value: 'graph (1 node)' },
      { name: 'else_branch', value: 'graph (1 node)' },
    ],
  );
  branch.subgraphs = [
    {
      attribute: 'then_branch',
      graph: body(
        [node('6/then_branch/0', 'Mul', 'scale', ['pool2', 'scale_value'], ['then_out'])],
        [],
        ['then_out'],
        {},
        { scale_value: weight([1], 0.5, 0.5, 0.5) },
      ),
    },
    {
      attribute: 'else_branch',
      graph: body([node('6/else_branch/0', 'Identity', 'pass', ['pool2'], ['else_out'])], [], ['else_out']),
    },
  ];
  const nodes = [
    node(
      '0',
      'Conv',
      'conv1',
      ['image', 'conv1.weight', 'conv1.bias'],
      ['conv1'],
      [
        { name: 'kernel_shape', value: '[3, 3]' },
        { name: 'pads', value: '[1, 1, 1, 1]' },
      ],
    ),
    node('1', 'Relu', 'relu1', ['conv1'], ['relu1']),
    node('2', 'MaxPool', 'pool1', ['relu1'], ['pool1'], [{ name: 'kernel_shape', value: '[2, 2]' }]),
    node(
      '3',
      'Conv',
      'conv2',
      ['pool1', 'conv2.weight', 'conv2.bias'],
      ['conv2'],
      [{ name: 'kernel_shape', value: '[3, 3]' }],
    ),
    node('4', 'Relu', 'relu2', ['conv2'], ['relu2']),
    node('5', 'MaxPool', 'pool2', ['relu2'], ['pool2'], [{ name: 'kernel_shape', value: '[2, 2]' }]),
    branch,
    node('7', 'Flatten', 'flatten', ['branched'], ['flat']),
    node('8', 'MatMul', 'fc', ['flat', 'fc.weight'], ['fc_mm']),
    node('9', 'Add', 'fc_bias', ['fc_mm', 'fc.bias'], ['logits']),
    node('10', 'Softmax', 'softmax', ['logits'], ['probabilities'], [{ name: 'axis', value: '1' }]),
  ];
  const graph = body(
    nodes,
    ['image', 'use_scale'],
    ['probabilities'],
    {
      image: f32('batch', 1, 8, 8),
      use_scale: { dtype: 'bool', shape: [] },
      probabilities: f32('batch', 10),
    },
    {
      'conv1.weight': weight([8, 1, 3, 3], -0.61, 0.58, 0.01),
      'conv1.bias': weight([8], -0.1, 0.12, 0.0),
      'conv2.weight': weight([16, 8, 3, 3], -0.33, 0.35, 0.0, 0.02),
      'conv2.bias': weight([16], -0.08, 0.09, 0.0),
      'fc.weight': weight([64, 10], -0.4, 0.41, 0.0),
      'fc.bias': weight([10], -0.05, 0.05, 0.0),
    },
  );
  return { path, mainNodes: nodes.length, totalNodes: nodes.length + 2, graph };
}

/** What a variant of the mock graph changed, by the kind of method that made it. */
export function mockVariantDiff(original: ModelGraph, variant: WorkspaceVariant): VariantDiff {
  const method = variant.recipe.operation === 'quantize' ? variant.recipe.method : '';
  const precision: NodePrecision = method.includes('fp16')
    ? 'float16'
    : method.includes('int4')
      ? 'int4'
      : method
        ? 'int8'
        : 'float32';
  const list: NodeDiff[] = original.graph.nodes.map((n) => {
    if (precision === 'int8' && (n.opType === 'Conv' || n.opType === 'MatMul')) {
      return {
        name: n.name,
        opType: n.opType,
        change: 'replaced',
        variantOpType: `${n.opType}Integer`,
        precision: 'int8',
      };
    }
    if (precision === 'int8' && n.name === 'fc_bias')
      return { name: n.name, opType: n.opType, change: 'fused', fusedInto: 'fc' };
    // int8 and int4 compute in integers only where the weight was quantized; fp16 computes everything in half.
    const p =
      precision === 'float16' || (precision === 'int4' && n.opType === 'MatMul') ? precision : 'float32';
    return { name: n.name, opType: n.opType, change: 'kept', variantOpType: n.opType, precision: p };
  });
  // The bodies' nodes, kept: the mock variant's graph is the original's, so their ids are the same in both.
  const subgraphList: NodeDiff[] = [];
  for (const { node: n, depth } of walkGraphNodes(original.graph)) {
    if (depth === 0) continue;
    const p = precision === 'float16' ? precision : 'float32';
    subgraphList.push({
      name: n.name,
      opType: n.opType,
      change: 'kept',
      variantOpType: n.opType,
      precision: p,
      id: n.id,
      variantId: n.id,
    });
  }
  const byChange = { kept: 0, replaced: 0, fused: 0, removed: 0 };
  const byPrecision = { float32: 0, float16: 0, int8: 0, int4: 0, other: 0 };
  for (const row of [...list, ...subgraphList]) {
    byChange[row.change]++;
    if (row.precision) byPrecision[row.precision]++;
  }
  const skippedNodes = variant.report && 'skippedNodes' in variant.report ? variant.report.skippedNodes : [];
  return {
    original: original.path,
    variant: variant.path,
    nodes: {
      original: original.mainNodes,
      variant: original.mainNodes - byChange.fused + (precision === 'int8' ? 4 : 0),
      originalWithSubgraphs: original.totalNodes,
      variantWithSubgraphs: original.totalNodes - byChange.fused + (precision === 'int8' ? 4 : 0),
      byChange,
      byPrecision,
      added: {
        quantizeDequantize: precision === 'int8' ? 4 : 0,
        casts: precision === 'float16' ? 2 : 0,
        other: {},
      },
      list,
      subgraphList,
    },
    weights: {
      bytesBefore: 4 * (72 + 8 + 1152 + 16 + 640 + 10),
      bytesAfter: precision === 'float32' ? 4 * (72 + 8 + 1152 + 16 + 640 + 10) : 72 + 1152 + 640 + 4 * 34,
      byChange: {
        unchanged: 3,
        quantized: precision === 'int8' ? 3 : 0,
        cast: precision === 'float16' ? 3 : 0,
        reshaped: 0,
        values: 0,
        removed: 0,
      },
      list: [],
      addedCount: 0,
      addedBytes: 0,
    },
    skippedNodes,
  };
}
