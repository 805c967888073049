import type { GraphProto, NodeProto } from 'onnx-buf';
import { floatAttribute } from '../../onnx/attributes.js';
import { makeFloatTensor, makeNode } from '../../onnx/graph-build.js';
import {
  GraphIndex,
  UniqueNameGenerator,
  normalizeDomain,
  sortNodesTopologically,
} from '../../onnx/graph.js';

/*
 * onnxruntime has no integer kernel for HardSigmoid or HardSwish, so in a QDQ model each one is a float
 * island: DequantizeLinear, the op in float, QuantizeLinear, and for hard-swish a float Mul on top. Both
 * are built from ops it does run in 8 bits:
 *
 *   HardSigmoid(x; alpha, beta) = alpha * Clip(x + beta / alpha, 0, 1 / alpha)      (alpha > 0)
 *   HardSwish(x)                = x * HardSigmoid(x; 1/6, 1/2)
 *
 * The Add becomes a QLinearAdd whose output quantizer absorbs the Clip (like any Relu/Clip after a
 * quantized op), the Mul by alpha is a pure rescale that the planner turns into a change of scale (no node
 * at all), and the Mul by x a QLinearMul. The same shapes appear when a model spells hard-swish out as
 * x * Relu6(x + 3) / 6, which the planner handles directly.
 *
 * Only ops whose input comes from an op the quantizer runs in 8 bits are rewritten: after a float op the
 * three ops would stay float and run slower than the one they replace. Float results are equal up to
 * float32 rounding.
 */

export const HARD_ACTIVATION_OPS = new Set(['HardSigmoid', 'HardSwish']);

export interface DecomposeOptions {
  /** Which of HardSigmoid / HardSwish to rewrite. */
  ops: ReadonlySet<string>;
  /** Op types whose output the planner quantizes (a hard activation after one of them is decomposed). */
  quantizedProducers: ReadonlySet<string>;
  /** Nodes of those op types that the planner keeps float all the same (see qdq-plan's inputConvStaysFloat). */
  floatNodes?: (node: NodeProto, index: GraphIndex) => boolean;
  excludeNodes: ReadonlySet<string>;
  /** The default-domain opset (Clip takes min/max as inputs from 11, as attributes before). */
  opset: number;
}

/** Rewrites the graph in place; returns the number of ops decomposed. */
export function decomposeHardActivations(graph: GraphProto, options: DecomposeOptions): number {
  const index = new GraphIndex(graph);
  const names = new UniqueNameGenerator(graph);
  const replaced = new Map<NodeProto, NodeProto[]>();
  for (const node of graph.node) {
    if (normalizeDomain(node.domain) !== '' || !HARD_ACTIVATION_OPS.has(node.opType)) continue;
    if (!options.ops.has(node.opType)) continue;
    if (options.excludeNodes.has(node.name)) continue;
    const x = node.input[0] ?? '';
    const y = node.output[0] ?? '';
    if (!x || !y || node.output.length !== 1) continue;
    const producer = index.producer(x)?.node;
    if (!producer || normalizeDomain(producer.domain) !== '') continue;
    if (!options.quantizedProducers.has(producer.opType)) continue;
    if (options.floatNodes?.(producer, index)) continue;
    const swish = node.opType === 'HardSwish';
    const alpha = swish ? 1 / 6 : floatAttribute(node, 'alpha', 0.2);
    const beta = swish ? 0.5 : floatAttribute(node, 'beta', 0.5);
    if (!(alpha > 0) || !Number.isFinite(beta)) continue;

    const base = node.name || y;
    const scalar = (label: string, value: number): string => {
      const name = names.next(`${base}_${label}`);
      graph.initializer.push(makeFloatTensor(name, [], [value]));
      return name;
    };
    const added = names.next(`${base}_shifted`);
    const clipped = names.next(`${base}_clipped`);
    const gate = swish ? names.next(`${base}_gate`) : y;
    const nodes = [
      makeNode('Add', [x, scalar('offset', beta / alpha)], [added], { name: names.next(`${base}/add`) }),
      options.opset >= 11
        ? makeNode('Clip', [added, scalar('min', 0), scalar('max', 1 / alpha)], [clipped], {
            name: names.next(`${base}/clip`),
          })
        : makeNode('Clip', [added], [clipped], {
            name: names.next(`${base}/clip`),
            attributes: { min: { float: 0 }, max: { float: 1 / alpha } },
          }),
      makeNode('Mul', [clipped, scalar('alpha', alpha)], [gate], { name: names.next(`${base}/scale`) }),
    ];
    if (swish) nodes.push(makeNode('Mul', [x, gate], [y], { name: names.next(`${base}/mul`) }));
    replaced.set(node, nodes);
  }
  if (replaced.size === 0) return 0;
  graph.node = graph.node.flatMap((n) => replaced.get(n) ?? [n]);
  sortNodesTopologically(graph, { recursive: false });
  return replaced.size;
}
