/**
 * bench's Inputs table. A decoder exported with a KV cache has two cache inputs per layer, fed alike: a 32-layer
 * model printed 64 identical rows above the figures. Alike cache inputs (shared/input-groups.ts: 3 or more of one
 * dtype, fed the same shapes and values, with the same guesses) are one row, `past_key_values.0..31.key/value
 * (64 inputs)`; every other input keeps its own. `--json` lists each (`results[].inputs`).
 */
import type { BenchInputInfo } from '../../../shared/bench.js';
import { cacheGroups, groupLabel } from '../../../shared/input-groups.js';
import { bracketedShape } from '../../../shared/input-spec.js';
import { fedShapesOf } from '../../../shared/latency-stats.js';

/** The table's rows, `[name, dtype, shape]` and the guessed column where `guessed` (some input has one). */
export function benchInputRows(inputs: readonly BenchInputInfo[], guessed: boolean): string[][] {
  const groups = cacheGroups(inputs, (i) =>
    JSON.stringify([i.dtype, fedShapesOf(i), i.values ?? null, i.guessed ?? null]),
  );
  return groups.map((g) => {
    const first = g[0]!;
    const name = groupLabel(
      g.map((i) => i.name),
      'inputs',
    );
    return [name, first.dtype, bracketedShape(first), ...(guessed ? [first.guessed ?? ''] : [])];
  });
}
