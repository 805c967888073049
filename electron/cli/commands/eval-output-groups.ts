import { isCacheInput } from '../../../shared/cache-dims.js';
import { cacheGroups, groupLabel, layerRangeName } from '../../../shared/input-groups.js';
import type { OutputFidelity } from '../../engine/evaluate/fidelity-metrics.js';

/*
 * eval's fidelity table on a decoder with a KV cache: its 2 cache outputs per layer (`present.N.key/value`) made
 * 64 rows on a 32-layer model and buried `logits`. Alike cache outputs are one row of the worst figures, named
 * under the table; `--json` keeps every output's figures.
 */

/** A row of the table: one output's figures, or a group of alike cache outputs. */
export type FidelityEntry = { one: OutputFidelity } | { members: OutputFidelity[] };

/**
 * eval records no output's shape; a cache output continues the cache inputs, [batch, heads, length, head_dim], so
 * its name is tested at that rank (cache-dims.ts), and only where the model was fed cache inputs.
 */
const CACHE_RANK = ['batch', 'heads', 'length', 'head_dim'];

/**
 * The table's rows: each output, but a model's KV cache outputs of float figures with no top-1 (all of them, on
 * a decoder) as one entry where there are 3 or more (MIN_GROUP): one layer's two stay rows of their own.
 * `inputs`: the inputs as fed (EvalReport.inputs), which tell a decoder with a cache.
 */
export function fidelityEntries(
  list: readonly OutputFidelity[],
  inputs: readonly { name: string; shape: readonly unknown[] }[],
): FidelityEntry[] {
  if (!inputs.some(isCacheInput)) return list.map((one) => ({ one }));
  const named = list.map((f) => ({ name: f.output, shape: CACHE_RANK, f }));
  // Outputs with a top-1, a value agreement or padding left out have figures of their own to read.
  const plain = (f: OutputFidelity) => f.valueAgreement === null && f.top1Agreement === null && !f.padded;
  return cacheGroups(named, ({ f }) => (plain(f) ? 'float' : `own:${f.output}`)).map((g) =>
    g.length === 1 ? { one: g[0]!.f } : { members: g.map((m) => m.f) },
  );
}

/** The member with the smallest figure, NaN the worst of all (a NaN output is no better than any). */
function lowest(members: readonly OutputFidelity[], figure: (f: OutputFidelity) => number): OutputFidelity {
  return members.reduce((w, f) => (Number.isNaN(figure(w)) || figure(w) <= figure(f) ? w : f));
}

/** The member whose errors are largest by `figure`, NaN the worst of all. */
function highest(members: readonly OutputFidelity[], figure: (f: OutputFidelity) => number): OutputFidelity {
  return members.reduce((w, f) => (Number.isNaN(figure(w)) || figure(w) >= figure(f) ? w : f));
}

/** An infinite SQNR (identical) is `null`: the lowest is the smallest finite one, null where all are identical. */
const sqnr = (f: OutputFidelity) => f.sqnrDb ?? Infinity;

/**
 * An entry's row as one output's figures: a group's each the worst of its members (a worst case, not an average),
 * under `present.0..31.key/value (64 outputs)`.
 */
export function entryFigures(entry: FidelityEntry): OutputFidelity {
  if ('one' in entry) return entry.one;
  const { members } = entry;
  const names = members.map((f) => f.output);
  return {
    output: groupLabel(names, 'outputs'),
    cosine: lowest(members, (f) => f.cosine).cosine,
    worstSampleCosine: lowest(members, (f) => f.worstSampleCosine).worstSampleCosine,
    sqnrDb: lowest(members, sqnr).sqnrDb,
    maxAbsErr: highest(members, (f) => f.maxAbsErr).maxAbsErr,
    meanAbsErr: highest(members, (f) => f.meanAbsErr).meanAbsErr,
    top1Agreement: null,
    exact: members.every((f) => f.exact),
    valueAgreement: null,
  };
}

/**
 * Under the table, per group: which outputs its worst figures are from. `present.0..31.key/value: each figure is
 * the worst of the 64 outputs (lowest cosine present.17.value, largest max abs err present.30.key); --json
 * lists each.`
 */
export function groupLines(entries: readonly FidelityEntry[]): string[] {
  return entries.flatMap((e) => {
    if ('one' in e) return [];
    const cosine = lowest(e.members, (f) => f.cosine).output;
    const err = highest(e.members, (f) => f.maxAbsErr).output;
    const where =
      cosine === err
        ? `lowest cosine and largest max abs err: ${cosine}`
        : `lowest cosine ${cosine}, largest max abs err ${err}`;
    const name = layerRangeName(e.members.map((f) => f.output));
    return [
      `${name}: each figure is the worst of the ${e.members.length} outputs (${where}); --json lists each.`,
    ];
  });
}
