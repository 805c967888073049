import { cacheGroups, groupLabel, layerRangeName } from '../../../shared/input-groups.js';
import type { TensorSummary } from '../../../shared/model-summary.js';
import type { SensitivityReport } from '../../../shared/sensitivity.js';

/*
 * sensitivity's table of the model's outputs. A decoder exported with a KV cache has two cache outputs per layer
 * (`present.N.key/value`): a 32-layer model printed 64 rows. Alike cache outputs (shared/input-groups.ts: 3 or
 * more of one declared dtype and shape, each measured) are one row of their lowest SQNR, as eval's fidelity table
 * shows them, with a line under the table naming the output it is from; `--json` lists each (`outputs[]`).
 */

type Output = SensitivityReport['outputs'][number];

/** An output's SQNR: its value, `unmeasured` (the reason is in --json), or `exact` (identical values). */
const db = (v: number | null, unmeasured?: string) =>
  v !== null ? v.toFixed(1) : unmeasured !== undefined ? 'unmeasured' : 'exact';

/** The table's rows `[name, SQNR]` and the lines under it. `declared`: the model's outputs, which say each shape. */
export function outputTable(
  outputs: readonly Output[],
  declared: readonly TensorSummary[],
): { rows: string[][]; lines: string[] } {
  const shapes = new Map(declared.map((o) => [o.name, o]));
  const items = outputs.map((o) => ({ o, name: o.name, shape: shapes.get(o.name)?.shape ?? [] }));
  // An unmeasured output has its own reason (in --json): it keeps its row.
  const groups = cacheGroups(items, ({ o }) =>
    o.unmeasured !== undefined
      ? `unmeasured:${o.name}`
      : JSON.stringify([shapes.get(o.name)?.dtype, shapes.get(o.name)?.shape]),
  );
  const rows: string[][] = [];
  const lines: string[] = [];
  for (const g of groups) {
    const members = g.map((m) => m.o);
    if (members.length === 1) {
      rows.push([members[0]!.name, db(members[0]!.sqnrDb, members[0]!.unmeasured)]);
      continue;
    }
    // The lowest SQNR, exact (null: an infinite SQNR) the highest of all.
    const worst = members.reduce((w, m) => ((m.sqnrDb ?? Infinity) < (w.sqnrDb ?? Infinity) ? m : w));
    const names = members.map((m) => m.name);
    rows.push([groupLabel(names, 'outputs'), db(worst.sqnrDb)]);
    lines.push(
      worst.sqnrDb === null
        ? `${layerRangeName(names)}: all ${members.length} outputs exact; --json lists each.`
        : `${layerRangeName(names)}: the lowest SQNR of the ${members.length} outputs, ${worst.name}'s; --json lists each.`,
    );
  }
  return { rows, lines };
}
