import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { GraphBody, GraphNode, ModelGraph } from '../../../shared/model-graph.js';
import { node } from '../host/mock-graph.js';
import { indexGraph } from './graph-index.js';
import { NodeDetails } from './node-details.js';

const body = (nodes: GraphNode[], outputs: string[]): GraphBody => ({
  nodes,
  inputs: [],
  outputs,
  values: {},
  weights: {},
});

/** A leaf branch: MatMul -> Tanh. */
const leaf = (prefix: string, out: string) =>
  body(
    [
      node(`${prefix}/0`, 'MatMul', '', ['xx', 'w'], [`${out}_m`]),
      node(`${prefix}/1`, 'Tanh', '', [`${out}_m`], [out]),
    ],
    [out],
  );

/**
 * nestedif.onnx of a user test: `outer_if`'s then_branch holds ReduceMax, Greater, `inner_if` (two leaf branches)
 * and Relu; its else_branch is a leaf. The attributes carry the engine's text, which counts nested nodes.
 */
function nestedIf(): ModelGraph {
  const inner = node(
    '1/then_branch/2',
    'If',
    'inner_if',
    ['c2'],
    ['inner_out'],
    [
      { name: 'then_branch', value: 'graph (2 nodes)' },
      { name: 'else_branch', value: 'graph (2 nodes)' },
    ],
  );
  inner.subgraphs = [
    { attribute: 'then_branch', graph: leaf('1/then_branch/2/then_branch', 'it_o') },
    { attribute: 'else_branch', graph: leaf('1/then_branch/2/else_branch', 'ie_o') },
  ];
  const outer = node(
    '1',
    'If',
    'outer_if',
    ['c1'],
    ['io'],
    [
      { name: 'then_branch', value: 'graph (8 nodes)' },
      { name: 'else_branch', value: 'graph (2 nodes)' },
    ],
  );
  outer.subgraphs = [
    {
      attribute: 'then_branch',
      graph: body(
        [
          node('1/then_branch/0', 'ReduceMax', 'ot_max', ['xx'], ['mx']),
          node('1/then_branch/1', 'Greater', 'ot_gt', ['mx', 'half'], ['c2']),
          inner,
          node('1/then_branch/3', 'Relu', 'ot_relu', ['inner_out'], ['ot_o']),
        ],
        ['ot_o'],
      ),
    },
    { attribute: 'else_branch', graph: leaf('1/else_branch', 'oe_o') },
  ];
  return {
    path: '/models/nestedif.onnx',
    mainNodes: 2,
    totalNodes: 12,
    graph: body([node('0', 'Greater', 'gt', ['s', 'zero'], ['c1']), outer], ['io']),
  };
}

describe('NodeDetails of an If', () => {
  it('gives each branch one count, saying what it counts, in the attributes and in the line below', () => {
    // A user test read "then_branch graph (8 nodes)" above "Holds … then_branch (4 nodes)".
    const model = nestedIf();
    const html = renderToStaticMarkup(
      <NodeDetails model={model} index={indexGraph(model)} id="1" mark={undefined} />,
    );
    const text = html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('then_branch graph (4 nodes; 8 including nested bodies)');
    expect(text).toContain('else_branch graph (2 nodes)');
    expect(text).toContain('Holds then_branch (4 nodes; 8 including nested bodies), else_branch (2 nodes).');
    expect(text).not.toContain('8 nodes');
  });
});
