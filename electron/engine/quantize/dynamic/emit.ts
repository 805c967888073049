import { type AttributeProto, type NodeProto, TensorProto_DataType } from 'onnx-buf';
import { makeNode } from '../../onnx/graph-build.js';
import type { UniqueNameGenerator } from '../../onnx/graph.js';

/*
 * The nodes int8-dynamic emits for one quantized MatMul / Gemm / Conv.
 *
 * 'fused' (default): one com.microsoft DynamicQuantizeMatMul(A, B_int8, b_scale[N], b_zero_point?,
 * bias?) — what onnxruntime's own optimizer turns the standard form into, valid at any opset and fast
 * even with graph optimizations off.
 *
 * 'onnx': the standard-domain form onnxruntime's Python quantizer writes: DynamicQuantizeLinear(A) ->
 * MatMulInteger(A_u8, B_int8, a_zero_point, b_zero_point?) -> Cast(int32 -> float) -> Mul(., a_scale *
 * b_scale) [-> Add(bias)]. Each MatMul gets its own DynamicQuantizeLinear and its own scale Mul, since
 * onnxruntime only fuses a DynamicQuantizeLinear whose outputs feed exactly one MatMulInteger (into
 * DynamicQuantizeMatMul) and a scale Mul with one consumer (into MatMulIntegerToFloat).
 */

const DT = TensorProto_DataType;
export const MS_DOMAIN = 'com.microsoft';

/** The int8 weight and its quantization parameters, as graph value names. */
export interface QuantizedWeightNames {
  /** int8 [K, N] (MatMul / Gemm) or [M, C/g, kH, kW] (Conv). */
  weight: string;
  /** float32 [N] per column / [M, 1, 1] per output channel (Conv), or a scalar per tensor. */
  scale: string;
  /** int8 zero points shaped like `scale`; undefined when symmetric (all zero, the default). */
  zeroPoint: string | undefined;
}

export interface MatMulEmit {
  /** The original node's name, reused for the main emitted node. */
  name: string;
  /** The activation input (left operand). */
  input: string;
  /** The value the emitted nodes must produce. */
  output: string;
  weight: QuantizedWeightNames;
  /** A float32 [N] bias added inside the kernel (or by a following Add in the 'onnx' form). */
  bias?: string | undefined;
  /** A float32 tensor (any broadcastable shape) added after the product, e.g. Gemm's beta * C. */
  addAfter?: string | undefined;
  /** The node computes in float16: cast the input to float32 and the result back to float16. */
  float16: boolean;
}

function castNode(input: string, output: string, to: number, name: string): NodeProto {
  return makeNode('Cast', [input], [output], { name, attributes: { to: { int: to } } });
}

/** Trims trailing empty optional inputs. */
function trimInputs(inputs: string[]): string[] {
  let end = inputs.length;
  while (end > 0 && inputs[end - 1] === '') end--;
  return inputs.slice(0, end);
}

/** Wraps `body` (which reads `input`, writes `output`) with Casts when the node runs in float16. */
function withFloat16Casts(
  e: MatMulEmit,
  names: UniqueNameGenerator,
  body: (input: string, output: string) => NodeProto[],
): NodeProto[] {
  const nodes: NodeProto[] = [];
  let input = e.input;
  if (e.float16) {
    input = names.next(`${e.input}_float`);
    nodes.push(castNode(e.input, input, DT.FLOAT, names.next(`${e.name}_input_cast`)));
  }
  const finalOutput = e.float16 ? names.next(`${e.output}_float`) : e.output;
  let product = finalOutput;
  if (e.addAfter) product = names.next(`${e.output}_product`);
  nodes.push(...body(input, product));
  if (e.addAfter)
    nodes.push(
      makeNode('Add', [product, e.addAfter], [finalOutput], { name: names.next(`${e.name}_add_c`) }),
    );
  if (e.float16) nodes.push(castNode(finalOutput, e.output, DT.FLOAT16, names.next(`${e.name}_output_cast`)));
  return nodes;
}

/** One com.microsoft DynamicQuantizeMatMul (plus Casts / Add when needed). */
export function emitFusedMatMul(e: MatMulEmit, names: UniqueNameGenerator): NodeProto[] {
  return withFloat16Casts(e, names, (input, output) => [
    makeNode(
      'DynamicQuantizeMatMul',
      trimInputs([input, e.weight.weight, e.weight.scale, e.weight.zeroPoint ?? '', e.bias ?? '']),
      [output],
      { name: e.name || names.next('DynamicQuantizeMatMul'), domain: MS_DOMAIN },
    ),
  ]);
}

/** DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ Add), standard domain (opset >= 11). */
export function emitOnnxMatMul(e: MatMulEmit, names: UniqueNameGenerator): NodeProto[] {
  const base = e.name || names.next('MatMul');
  return withFloat16Casts(e, names, (input, output) => {
    const aq = names.next(`${input}_quantized`);
    const as = names.next(`${input}_scale`);
    const az = names.next(`${input}_zero_point`);
    const product = names.next(`${base}_int32`);
    const productFloat = names.next(`${base}_int32_float`);
    const scale = names.next(`${base}_output_scale`);
    const scaled = e.bias ? names.next(`${base}_scaled`) : output;
    const nodes = [
      makeNode('DynamicQuantizeLinear', [input], [aq, as, az], {
        name: names.next(`${base}_input_quantize`),
      }),
      makeNode('MatMulInteger', trimInputs([aq, e.weight.weight, az, e.weight.zeroPoint ?? '']), [product], {
        name: names.next(`${base}_MatMulInteger`),
      }),
      castNode(product, productFloat, DT.FLOAT, names.next(`${base}_cast`)),
      makeNode('Mul', [as, e.weight.scale], [scale], { name: names.next(`${base}_scale_mul`) }),
      makeNode('Mul', [productFloat, scale], [scaled], { name: names.next(`${base}_output_mul`) }),
    ];
    if (e.bias)
      nodes.push(makeNode('Add', [scaled, e.bias], [output], { name: names.next(`${base}_bias_add`) }));
    return nodes;
  });
}

export interface ConvEmit {
  name: string;
  input: string;
  output: string;
  weight: QuantizedWeightNames;
  /** float32 bias shaped [M, 1, ..., 1], or undefined. */
  bias: string | undefined;
  /** The Conv's attributes (auto_pad, dilations, group, kernel_shape, pads, strides). */
  attributes: AttributeProto[];
}

/** DynamicQuantizeLinear + ConvInteger + Cast + Mul (+ Add), standard domain (opset >= 11). */
export function emitConvInteger(e: ConvEmit, names: UniqueNameGenerator): NodeProto[] {
  const base = e.name || names.next('Conv');
  const xq = names.next(`${e.input}_quantized`);
  const xs = names.next(`${e.input}_scale`);
  const xz = names.next(`${e.input}_zero_point`);
  const product = names.next(`${base}_int32`);
  const productFloat = names.next(`${base}_int32_float`);
  const scale = names.next(`${base}_output_scale`);
  const scaled = e.bias ? names.next(`${base}_scaled`) : e.output;
  const conv = makeNode(
    'ConvInteger',
    trimInputs([xq, e.weight.weight, xz, e.weight.zeroPoint ?? '']),
    [product],
    {
      name: names.next(`${base}_ConvInteger`),
    },
  );
  conv.attribute = e.attributes.map((a) => a);
  const nodes = [
    makeNode('DynamicQuantizeLinear', [e.input], [xq, xs, xz], {
      name: names.next(`${base}_input_quantize`),
    }),
    conv,
    castNode(product, productFloat, DT.FLOAT, names.next(`${base}_cast`)),
    makeNode('Mul', [xs, e.weight.scale], [scale], { name: names.next(`${base}_scale_mul`) }),
    makeNode('Mul', [productFloat, scale], [scaled], { name: names.next(`${base}_output_mul`) }),
  ];
  if (e.bias)
    nodes.push(makeNode('Add', [scaled, e.bias], [e.output], { name: names.next(`${base}_bias_add`) }));
  return nodes;
}
