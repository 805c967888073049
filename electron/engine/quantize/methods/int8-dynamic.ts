import { z } from 'zod';
import { StudioError } from '../../errors.js';
import { noteSaturation } from '../../bench/int8-support.js';
import { DEFAULT_OP_TYPES, DynamicQuantizer, SUPPORTED_OP_TYPES } from '../dynamic/quantize-graph.js';
import { registerQuantizeMethod } from '../method-registry.js';
import type { QuantizeInput, QuantizeMethod, QuantizeOutcome } from '../quantize-method.js';
import {
  int8DynamicOptionsSchema,
  QUANTIZE_METHOD_SPECS,
} from '../../../../shared/options/quantize-options.js';

/*
 * int8-dynamic: int8 weights (per column / per output channel, symmetric by default) and activations
 * quantized at run time, in the form onnxruntime's CPU provider runs fastest: one com.microsoft
 * DynamicQuantizeMatMul per MatMul/Gemm (uint8 activations x int8 weights, prepacked, bias folded in).
 * `form: 'onnx'` writes the standard-domain DynamicQuantizeLinear + MatMulInteger + Cast + Mul chain
 * instead (what onnxruntime's Python quantizer writes; onnxruntime fuses it back into the same kernel).
 * See docs/quantize-dynamic.md.
 */

export { int8DynamicOptionsSchema };

export type Int8DynamicOptions = z.infer<typeof int8DynamicOptionsSchema>;

async function quantize(input: QuantizeInput<Int8DynamicOptions>): Promise<QuantizeOutcome> {
  const { common } = input;
  if (input.signal?.aborted) throw new StudioError('CANCELLED', 'Quantization was cancelled.');
  // --op-types naming a type it cannot take was refused before the model was read (node-selection.ts).
  const requested = common.opTypes;
  const quantizer = new DynamicQuantizer(input.model, {
    perChannel: !common.perTensor,
    symmetric: !common.asymmetric,
    reduceRange: common.reduceRange,
    form: input.options.form,
    opTypes: new Set(requested ?? DEFAULT_OP_TYPES),
    explicitOpTypes: requested !== undefined,
    excludeNodes: new Set(common.excludeNodes),
    signal: input.signal,
    onNode: input.onProgress
      ? (done, total) => input.onProgress?.({ phase: 'quantizing', done, total })
      : undefined,
    note: input.note,
  });
  const outcome = await quantizer.run();
  noteSaturation(common.reduceRange, outcome.quantizedNodes, input.note);
  return outcome;
}

export const int8DynamicMethod: QuantizeMethod<typeof int8DynamicOptionsSchema> = {
  ...QUANTIZE_METHOD_SPECS['int8-dynamic'],
  quantize,
  streamsExternalData: true,
  opTypes: DEFAULT_OP_TYPES,
  selectableOpTypes: SUPPORTED_OP_TYPES,
};

registerQuantizeMethod(int8DynamicMethod);
