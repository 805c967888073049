import type { GraphProto } from 'onnx-buf';
import { isCacheOutput } from '../../../shared/cache-dims.js';
import { listWords, namedGroups } from '../../../shared/input-groups.js';
import { formatDims } from '../datasets/input-match.js';
import { describeType } from '../inspect/inspect-model.js';

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
  const named = namedGroups(
    outputs.map((o) => ({ ...o, shape: o.dims })),
    'outputs',
    (o) => formatDims(o.dims),
  );
  if (outputs.length === 1) return `output ${named[0]!} has no top-1 agreement: ${why}.`;
  return `outputs ${listWords(named)} have no top-1 agreement; for each, the same reason: ${why}.`;
}

/**
 * The outputs of a model that are its KV cache's next value (cache-dims.ts isCacheOutput: `present.N.key` beside
 * `past_key_values.N.key`), by the declared shapes: their reason is that, not a feature map's.
 */
export function cacheOutputNames(graph: GraphProto): Set<string> {
  const inputs = graph.input.map((vi) => ({ name: vi.name, shape: describeType(vi.type).shape }));
  return new Set(
    graph.output
      .filter((vi) => isCacheOutput({ name: vi.name, shape: describeType(vi.type).shape }, inputs))
      .map((vi) => vi.name),
  );
}
