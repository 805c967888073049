/**
 * How the Compare charts label their value axes: figures precise enough that close ticks never print alike
 * (`spanFormatter`), and labels only on the ticks that have room for them (`tickLabeller`). Pure;
 * spanFormatter is tested in histogram-svg.test.ts.
 */
import { thinTickLabels } from './chart-layout.js';

/** Tick labels that stay distinct however close the values are: enough decimals for a fifth of the span. */
export function spanFormatter(
  values: readonly number[],
  format: (v: number, decimals: number) => string,
): (v: number) => string {
  const finite = values.filter(Number.isFinite);
  const span = finite.length > 1 ? Math.max(...finite) - Math.min(...finite) : Math.abs(finite[0] ?? 1);
  const decimals = span > 0 ? Math.min(6, Math.max(0, Math.ceil(-Math.log10(span / 5)))) : 2;
  return (v) => format(v, decimals);
}

/** Tick labels for a value axis `plotPx` wide: every tick gets a grid line, labels only where they fit. */
export function tickLabeller(
  ticks: readonly number[],
  plotPx: number,
  format: (v: number) => string,
): (v: number) => string {
  const labels = thinTickLabels(ticks, plotPx, format);
  const byTick = new Map(ticks.map((t, i) => [t, labels[i] ?? '']));
  return (v) => byTick.get(v) ?? format(v);
}
