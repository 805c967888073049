/**
 * What the Compare view's recharts charts (and the tuning result's) share: the tooltip and axis styles, the
 * frame of a horizontal bar chart (names on the left, values along the bottom), and the category tick that
 * prints a variant's name with its figures under it. Our own SVG charts share svg-chart-support.tsx instead.
 */
import type { ChartColors } from '../theme.js';
import { CHART_FONT_PX, fitLabel, nameLines } from './chart-layout.js';

export function tooltipStyle(colors: ChartColors) {
  return { background: colors.surface, borderColor: colors.grid, color: colors.text };
}

export function axisProps(colors: ChartColors) {
  return { stroke: colors.muted, tick: { fill: colors.text, fontSize: 12 } };
}

/**
 * A variant's name on the category axis (on two lines where one is not enough: chart-layout.ts `nameLines`), with
 * optional further lines (its figures; `\n` between lines) in the muted colour, the whole block centred on the bar.
 */
export function CategoryTick(props: {
  x?: number;
  y?: number;
  payload?: { value?: string | number };
  captions?: Record<string, string>;
  width: number;
  colors: ChartColors;
}) {
  const { x = 0, y = 0, payload, captions, width, colors } = props;
  const name = String(payload?.value ?? '');
  const caption = captions?.[name];
  const lines = caption ? caption.split('\n') : [];
  const names = nameLines(name, width);
  const room = width - 14;
  // Lines are 1.25em apart; the first moves up by half the block (a name and one line: -0.25em, as before).
  const count = names.length + lines.length;
  const firstDy = count === 1 ? '0.32em' : count === 2 ? '-0.25em' : `${-0.625 * (count - 1) + 0.32}em`;
  return (
    <g transform={`translate(${x},${y})`}>
      <text textAnchor="end" fill={colors.text} fontSize={CHART_FONT_PX}>
        <title>{caption ? `${name}: ${lines.join(' ')}` : name}</title>
        {names.map((line, i) => (
          <tspan key={`name-${i}`} x={-6} dy={i === 0 ? firstDy : '1.25em'}>
            {line}
          </tspan>
        ))}
        {lines.map((line, i) => (
          <tspan key={i} x={-6} dy="1.25em" fill={colors.muted}>
            {fitLabel(line, room)}
          </tspan>
        ))}
      </text>
    </g>
  );
}

/** What both horizontal bar charts share: names on the left, values along the bottom, room on the right. */
export function horizontalFrame<T>(width: number, height: number, data: T[], right: number) {
  return { width, height, data, layout: 'vertical' as const, margin: { top: 8, right, bottom: 4, left: 0 } };
}

export function valueAxis(colors: ChartColors, ticks: number[], tickFormatter: (v: number) => string) {
  return { type: 'number' as const, ...axisProps(colors), interval: 0, ticks, tickFormatter };
}

export function categoryAxis(colors: ChartColors, width: number) {
  return { type: 'category' as const, dataKey: 'label', ...axisProps(colors), interval: 0, width };
}
