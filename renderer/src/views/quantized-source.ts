/**
 * Whether a variant to start recipes from is already quantized: made by an int8 or int4 recipe, or from a
 * variant that was. Every quantization method refuses such a model (the engine's quantize-model.ts refuses
 * quantization ops: Q/DQ, int8 kernels, MatMulNBits), so Optimize says so beside "Start from" rather than
 * letting each job fail when it runs. fp16 writes no such op: a float16 model is still quantized further.
 */
import type { Variant } from '../state/variants.js';

export function quantizedAncestor(variant: Variant, variants: readonly Variant[]): Variant | undefined {
  const seen = new Set<string>();
  for (
    let v: Variant | undefined = variant;
    v && !seen.has(v.id);
    v = variants.find((p) => p.id === v?.parent)
  ) {
    seen.add(v.id);
    if (v.recipe?.operation === 'quantize' && v.recipe.method !== 'fp16') return v;
  }
  return undefined;
}
