import { create } from '@bufbuild/protobuf';
import { AttributeProtoSchema, GraphProtoSchema, type GraphProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeNode } from './graph-build.js';
import { isListedInOrder } from './listed-in-order.js';

/** The definition, written plainly: no input is produced by its own node or a later one. */
function reference(graph: GraphProto): boolean {
  const first = new Map<string, number>();
  graph.node.forEach((n, i) => n.output.forEach((o) => o !== '' && !first.has(o) && first.set(o, i)));
  return graph.node.every(
    (n, i) =>
      n.input.every((x) => x === '' || !((first.get(x) ?? -1) >= i)) &&
      n.attribute.every((a) => !a.g && a.graphs.length === 0),
  );
}

const graphOf = (nodes: [string[], string[]][]) =>
  create(GraphProtoSchema, {
    node: nodes.map(([input, output], i) => makeNode('Op', input, output, { name: `n${i}` })),
  });

describe('isListedInOrder', () => {
  it('accepts nodes in order and refuses later producers, self-loops and cycles', () => {
    expect(
      isListedInOrder(
        graphOf([
          [['x'], ['a']],
          [['a', 'w'], ['b']],
          [
            ['b', ''],
            ['y', ''],
          ],
        ]),
      ),
    ).toBe(true);
    expect(
      isListedInOrder(
        graphOf([
          [['b'], ['a']],
          [['x'], ['b']],
        ]),
      ),
    ).toBe(false);
    expect(isListedInOrder(graphOf([[['a'], ['a']]]))).toBe(false);
    expect(
      isListedInOrder(
        graphOf([
          [['c'], ['a']],
          [['a'], ['b']],
          [['b'], ['c']],
        ]),
      ),
    ).toBe(false);
    // A name produced twice counts from its first producer.
    expect(
      isListedInOrder(
        graphOf([
          [['x'], ['a']],
          [['a'], ['a']],
          [['a'], ['y']],
        ]),
      ),
    ).toBe(true);
    expect(
      isListedInOrder(
        graphOf([
          [['x'], ['a']],
          [['x'], ['a']],
          [['a'], ['y']],
        ]),
      ),
    ).toBe(true);
    expect(isListedInOrder(graphOf([]))).toBe(true);
  });

  it('leaves nodes with subgraphs to the full sort', () => {
    const graph = graphOf([[['x'], ['y']]]);
    graph.node[0]!.attribute.push(create(AttributeProtoSchema, { name: 'body', g: graphOf([]) }));
    expect(isListedInOrder(graph)).toBe(false);
  });

  it('agrees with the definition on random graphs of many similar names (hash collisions)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let trial = 0; trial < 40; trial++) {
      const count = 1 + random(3000);
      const nodes: [string[], string[]][] = [];
      for (let i = 0; i < count; i++) {
        const input = [`v${random(count + 50)}`, random(4) === 0 ? '' : `w${random(9)}`];
        nodes.push([input, [`v${trial % 2 === 0 ? i : random(count + 50)}`]]);
      }
      const graph = graphOf(nodes);
      expect(isListedInOrder(graph)).toBe(reference(graph));
      // In order by construction: each node reads only earlier outputs.
      const ordered = graphOf(
        nodes.map(([, out], i) => [[i === 0 ? 'x' : `o${random(i)}`], [`o${i}`, out[0]!]]),
      );
      expect(isListedInOrder(ordered)).toBe(reference(ordered));
    }
  });
});
