/**
 * Whether a variant to start recipes from is already quantized: made by a method whose output holds
 * quantization ops (the catalog's `quantizedOutput`, declared once with the method), or from a variant that was.
 * Every quantization method refuses such a model (the engine's quantize-model.ts refuses quantization ops: Q/DQ,
 * int8 kernels, MatMulNBits), so Optimize says so beside "Start from" rather than letting each job fail when it
 * runs. fp16 writes no such op: a float16 model is still quantized further.
 */
import type { MethodDescription } from '../../../shared/method-catalog-types.js';
import type { Variant } from '../state/variants.js';

/** The quantization methods whose output cannot be quantized again, from the catalog. */
export function quantizingMethods(methods: readonly MethodDescription[]): ReadonlySet<string> {
  return new Set(methods.filter((m) => m.kind === 'quantize' && m.quantizedOutput).map((m) => m.name));
}

export function quantizedAncestor(
  variant: Variant,
  variants: readonly Variant[],
  quantizing: ReadonlySet<string>,
): Variant | undefined {
  const seen = new Set<string>();
  for (
    let v: Variant | undefined = variant;
    v && !seen.has(v.id);
    v = variants.find((p) => p.id === v?.parent)
  ) {
    seen.add(v.id);
    if (v.recipe?.operation === 'quantize' && quantizing.has(v.recipe.method)) return v;
  }
  return undefined;
}
