/**
 * The diff's note on nodes that computed in float16 in the original and compute in float32 in the variant
 * (`upcast`). Without it they read as float32 nodes the compression left alone: onnxruntime's optimizations, which
 * int8-static runs and saves before quantizing, put a float16 node without a float16 kernel on the CPU between
 * Casts to float32, and the variant keeps that on every device.
 */
import type { NodeDiff } from '../../../shared/model-diff.js';
import { isPrecisionFreeCast } from '../../../shared/ort-node-names.js';

const listed = (names: string[]) => `${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}`;

/**
 * The note for the upcast rows of a diff (every graph), or undefined when there are none. `variantNames`: the
 * variant's node names, to say whether onnxruntime's Casts (`InsertedPrecisionFreeCast_`) are why.
 */
export function upcastNote(rows: readonly NodeDiff[], variantNames: Iterable<string>): string | undefined {
  const upcast = rows.filter((r) => r.upcast);
  if (upcast.length === 0) return undefined;
  const one = upcast.length === 1;
  const head =
    `${upcast.length} node${one ? '' : 's'} that computed in float16 compute${one ? 's' : ''} in float32 in the ` +
    `variant (${listed(upcast.map((r) => r.name || r.opType))})`;
  if (![...variantNames].some(isPrecisionFreeCast)) return `${head}.`;
  const them = one ? 'it' : 'them';
  return (
    `${head}: onnxruntime's CPU provider has no float16 kernel for ${them}, so its graph optimizations (which ` +
    `int8-static runs and saves before quantizing) put ${them} between Casts to float32 ` +
    `(InsertedPrecisionFreeCast_...). onnxruntime does the same to the original when it loads it on a CPU; on a ` +
    `GPU the original computes ${them} in float16, the variant in float32.`
  );
}
