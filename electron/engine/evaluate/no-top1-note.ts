import { cacheGroups, layerRangeName } from '../../../shared/input-groups.js';
import { formatDims } from '../datasets/input-match.js';

/*
 * The note that outputs have no top-1 agreement, for one reason. A decoder's KV cache outputs (`present.N.key`
 * and `.value`, 64 on a 32-layer model) all have none for the same reason, and the note named each with its
 * shape; alike cache outputs (shared/input-groups.ts: 3 or more of one shape) are named as their group instead.
 */

/** An output as the note names it: its name and the dims it had. */
export interface NoTop1Output {
  name: string;
  dims: readonly number[];
}

/**
 * `output 'fm' ([1, 1, 6, 4]) has no top-1 agreement: WHY.`, or for several `outputs 'a' (...) and
 * present.0..31.key/value (64 outputs, each [1, 2, 12, 8]) have no top-1 agreement; for each, the same reason: WHY.`
 */
export function noTop1Note(outputs: readonly NoTop1Output[], why: string): string {
  const groups = cacheGroups(
    outputs.map((o) => ({ ...o, shape: o.dims })),
    (o) => formatDims(o.dims),
  );
  const named = groups.map((g) =>
    g.length === 1
      ? `'${g[0]!.name}' (${formatDims(g[0]!.dims)})`
      : `${layerRangeName(g.map((o) => o.name))} (${g.length} outputs, each ${formatDims(g[0]!.dims)})`,
  );
  if (outputs.length === 1) return `output ${named[0]!} has no top-1 agreement: ${why}.`;
  const list = named.length === 1 ? named[0]! : `${named.slice(0, -1).join(', ')} and ${named.at(-1)!}`;
  return `outputs ${list} have no top-1 agreement; for each, the same reason: ${why}.`;
}
