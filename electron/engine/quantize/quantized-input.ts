import type { ModelProto } from 'onnx-buf';
import { INT8_OPS, QDQ_OPS } from '../../../shared/node-precision.js';
import { StudioError } from '../errors.js';
import { walkGraphs } from '../onnx/walk-graphs.js';

/*
 * Telling a model that is already quantized from a float one, and refusing it where a transform needs a float
 * model: every quantization method (quantize-model.ts, sensitivity.ts, a recipe's steps) and every pruning method
 * (prune-model.ts).
 */

/** Weight-only quantized kernels (int4 and other block formats), beside the int8 and Q/DQ ops node-precision lists. */
const WEIGHT_QUANTIZED_OPS: ReadonlySet<string> = new Set([
  'MatMulNBits',
  'GatherBlockQuantized',
  'MatMulBnb4',
  'MatMulFpQ4',
]);

/** True for an op that only a quantized model holds: Q/DQ, an int8 kernel, a block-quantized weight kernel. */
export function isQuantizationOp(opType: string): boolean {
  return (
    QDQ_OPS.has(opType) ||
    INT8_OPS.has(opType) ||
    WEIGHT_QUANTIZED_OPS.has(opType) ||
    opType.startsWith('QLinear') ||
    opType.startsWith('QOrdered')
  );
}

/**
 * Refuses a model that is already quantized (any quantization op, in the main graph or a body). Every method
 * takes a float model: run on a QDQ model, int8-static stacks a second Q/DQ layer on the first, the weight
 * quantizers find no float weight left and write a larger copy, and fp16 turns the float parts around the
 * int8 kernels to float16, which breaks onnxruntime's QDQ fusions (slower and larger, measured). A model only
 * partly quantized is refused too: which of its float parts a second method could safely take cannot be told
 * from the graph, and starting from the float model gives the same result without the doubt. Pruning refuses it
 * too (prune-model.ts): its weights are integers behind DequantizeLinear or inside an int8 kernel, where no pruning
 * method finds a float weight, so it would write an unpruned copy and call it pruned.
 */
export function refuseQuantizedInput(
  model: ModelProto,
  label: string,
  method: string,
  /** What reads the model: a quantization method (the default), or a pruning method, which reads float weights. */
  reader: 'quantize' | 'prune' = 'quantize',
): void {
  const counts = new Map<string, number>();
  if (model.graph) {
    walkGraphs(model.graph, (graph) => {
      for (const node of graph.node) {
        if (isQuantizationOp(node.opType)) counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
      }
    });
  }
  if (counts.size === 0) return;
  const found = [...counts].map(([op, n]) => `${n} ${op}`).join(', ');
  throw new StudioError(
    'BAD_INPUT',
    reader === 'prune'
      ? `${label} is already quantized (it has ${found}); ${method} pruning reads float weights, and this model keeps ` +
          'its weights as integers behind its quantization ops, so it would prune nothing. Prune the float model it ' +
          'was made from, then quantize.'
      : `${label} is already quantized (it has ${found}); ${method} takes a float model, and quantizing this one again ` +
          `would stack a second quantization on the first (a larger, slower model with its precision lost twice). ` +
          `Start from the float model it was made from.`,
  );
}
