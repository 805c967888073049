/**
 * onnxruntime's QDQ propagation (qdq_propagation.cc, `PropagateQBackward`): a QuantizeLinear that reads the output
 * of data movement (MaxPool, Reshape, Transpose, Squeeze, Unsqueeze, Slice) gets a copy of itself and a
 * DequantizeLinear put before that op, so the op then sits between a DequantizeLinear and a QuantizeLinear and
 * runs on the 8-bit data. It repeats up a chain of such ops. int8-static leaves a MaxPool after a Conv it kept
 * float with only a QuantizeLinear after it: the profile shows that MaxPool on uint8 data, not in float32.
 * Pure, no imports: the page loads it too (shared/node-precision.ts).
 */

/** The op types onnxruntime moves a QuantizeLinear above (`CanNodePropagate`; MaxPool from opset 12). */
const Q_PROPAGATES: ReadonlySet<string> = new Set([
  'MaxPool',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Slice',
]);

interface NodeView {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
}

/**
 * The nodes of one graph that QDQ propagation puts between a DequantizeLinear and a QuantizeLinear. onnxruntime
 * moves a QuantizeLinear only along single edges: the value it passes must have one reader and not be a graph
 * output, and so must the value the op reads (a graph input or a weight is fine). `outputs`: the graph's outputs.
 */
export function qPropagatedNodes<N>(
  nodes: readonly N[],
  view: (node: N) => NodeView,
  outputs: ReadonlySet<string>,
): Set<N> {
  const producer = new Map<string, N>();
  const readers = new Map<string, number>();
  for (const node of nodes) {
    const v = view(node);
    for (const o of v.outputs) if (o) producer.set(o, node);
    for (const i of v.inputs) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  const single = (value: string) => readers.get(value) === 1 && !outputs.has(value);
  const moved = new Set<N>();
  for (const q of nodes) {
    const qv = view(q);
    if (qv.opType !== 'QuantizeLinear' || !qv.inputs[0]) continue;
    let value = qv.inputs[0];
    for (let op = producer.get(value); op !== undefined; op = producer.get(value)) {
      const v = view(op);
      if (!Q_PROPAGATES.has(v.opType) || !single(value) || !v.inputs[0] || moved.has(op)) break;
      const input = v.inputs[0];
      const from = producer.get(input);
      // Its input must be a single edge to put the copy on (or a graph input or weight).
      if (from !== undefined && !single(input)) break;
      moved.add(op);
      // Behind a DequantizeLinear already: the op is in a QDQ unit, and the propagation stops there.
      if (from === undefined || view(from).opType === 'DequantizeLinear') break;
      value = input;
    }
  }
  return moved;
}
