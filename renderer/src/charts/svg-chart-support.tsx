/**
 * What our own SVG charts (histogram-svg.tsx, bar-list-svg.tsx) share: round count ticks (byte ticks are in
 * shared/chart-scale.ts), and the measured box with the <svg> element that ChartCard saves (class
 * `chart-svg`). Drawn by React rather than recharts where a chart must be cheap (see those files).
 */
import { useEffect, useState, type ReactNode } from 'react';

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

/**
 * The width of the element, kept current as the layout changes. A callback ref, not an effect on mount: a chart
 * often mounts empty (its placeholder instead of the box) and gets its box when the first figures arrive; the
 * width must be measured then too, or the chart stays blank.
 */
export function useWidth<T extends HTMLElement>(): [(element: T | null) => void, number] {
  const [element, setElement] = useState<T | null>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (!element) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [setElement, width];
}


/** A chart's box, as wide as its container; `draw` fills the <svg> once the width is known. */
export function SvgChart({
  height,
  description,
  draw,
}: {
  height: number;
  /** Read out by screen readers. */
  description: string;
  draw: (width: number) => ReactNode;
}) {
  const [container, width] = useWidth<HTMLDivElement>();
  return (
    <div ref={container} style={{ width: '100%', height }}>
      {width > 0 && (
        <svg
          className="chart-svg"
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-label={description}
        >
          {draw(width)}
        </svg>
      )}
    </div>
  );
}
