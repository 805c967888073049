/**
 * The latency distribution, drawn as plain SVG by React rather than by recharts. It is the one chart that
 * redraws on every streamed batch (five times a second), and recharts' per-chart store made each of those
 * redraws a 10–45 ms main-thread task on a 2-core machine; these thirty rectangles and a few labels cost
 * about a millisecond. It keeps the look of the other charts (same colors, axes, grid) and saves as SVG/PNG
 * like them (ChartCard finds `svg.chart-svg`).
 */
import { useEffect, useRef, useState, type RefObject } from 'react';
import type { HistogramBin } from '../state/statistics.js';
import type { ChartColors } from '../theme.js';

const MARGIN = { top: 8, right: 16, bottom: 40, left: 50 };

/** Round tick values for a count axis from 0 to `max`: steps of 1, 2 or 5 × 10^k, at most `maxTicks` + 1. */
export function countTicks(max: number, maxTicks = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude);
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2 && ticks.length <= maxTicks + 1; v += step) ticks.push(v);
  if ((ticks[ticks.length - 1] as number) < max) ticks.push(ticks.length * step);
  return ticks;
}

/** The width of the element, kept current as the layout changes. */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export interface HistogramSvgProps {
  bins: HistogramBin[];
  height: number;
  colors: ChartColors;
  /** Label every n-th bin's center on the x axis. */
  labelEvery: number;
  formatValue: (v: number) => string;
  /** Under the x axis, e.g. "run time". */
  xLabel: string;
  /** What one count is, for the hover text ("runs"). */
  unit: string;
  /** Read out by screen readers. */
  description: string;
}

export function HistogramSvg(props: HistogramSvgProps) {
  const [container, width] = useWidth<HTMLDivElement>();
  return (
    <div ref={container} style={{ width: '100%', height: props.height }}>
      {width > 0 && <HistogramDrawing {...props} width={width} />}
    </div>
  );
}

function HistogramDrawing({
  bins,
  height,
  width,
  colors,
  labelEvery,
  formatValue,
  xLabel,
  unit,
  description,
}: HistogramSvgProps & { width: number }) {
  const plotWidth = Math.max(10, width - MARGIN.left - MARGIN.right);
  const plotHeight = Math.max(10, height - MARGIN.top - MARGIN.bottom);
  const ticks = countTicks(Math.max(0, ...bins.map((b) => b.count)));
  const top = ticks[ticks.length - 1] || 1;
  const y = (count: number) => MARGIN.top + plotHeight - (count / top) * plotHeight;
  const slot = plotWidth / Math.max(1, bins.length);
  const gap = Math.min(1, slot / 4);
  const axisY = MARGIN.top + plotHeight;
  const text = { fill: colors.text, fontSize: 12 };

  return (
    <svg
      className="chart-svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={description}
    >
      {ticks.map((t) => (
        <g key={t}>
          <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={y(t)} y2={y(t)} stroke={colors.grid} />
          <text x={MARGIN.left - 8} y={y(t)} dy="0.32em" textAnchor="end" {...text}>
            {t}
          </text>
        </g>
      ))}
      <line x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={axisY} stroke={colors.muted} />
      <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={axisY} y2={axisY} stroke={colors.muted} />
      {bins.map((b, i) => {
        const x = MARGIN.left + i * slot;
        return (
          <g key={i}>
            <rect
              className="histogram-bar"
              x={x + gap / 2}
              y={y(b.count)}
              width={Math.max(0.5, slot - gap)}
              height={axisY - y(b.count)}
              fill={colors.accent}
            >
              <title>{`${formatValue(b.from)} – ${formatValue(b.to)}: ${b.count} ${unit}`}</title>
            </rect>
            {i % labelEvery === 0 && (
              <>
                <line x1={x + slot / 2} x2={x + slot / 2} y1={axisY} y2={axisY + 5} stroke={colors.muted} />
                <text x={x + slot / 2} y={axisY + 8} dy="0.71em" textAnchor="middle" {...text}>
                  {formatValue((b.from + b.to) / 2)}
                </text>
              </>
            )}
          </g>
        );
      })}
      <text
        x={MARGIN.left + plotWidth / 2}
        y={height - 6}
        textAnchor="middle"
        fill={colors.muted}
        fontSize={12}
      >
        {xLabel}
      </text>
    </svg>
  );
}
