/**
 * A chart with its title and Save buttons. The chart's SVG is found inside the card, so any recharts chart
 * can be saved as SVG or PNG without knowing about it (and so can our own SVG charts, class `chart-svg`).
 */
import { useRef, useState, type ReactNode } from 'react';
import { serializeChartSvg, svgToPng, type LegendEntry } from '../export/chart-image.js';
import { downloadBlob, downloadText, safeFileName } from '../export/download.js';
import { useChartColors } from '../theme.js';

export interface ChartCardProps {
  id: string;
  title: string;
  /** One line under the title: what is measured and how to read it. */
  subtitle?: ReactNode;
  children: ReactNode;
  /** Replaces the chart when there is nothing to draw yet. */
  empty?: ReactNode;
  /** Extra controls in the header (selects for which variant, which provider). */
  controls?: ReactNode;
  /** The chart waits for its turn to draw (take-turns.tsx): keep its place with a blank body of `height`. */
  pending?: boolean;
  /** The chart's height in px, so the pending body takes the same room and nothing jumps. */
  height?: number;
  /**
   * The series, drawn as HTML above the chart (recharts' own Legend made a chart's first draw about 20 ms
   * longer) and into saved SVG/PNG files.
   */
  legend?: LegendEntry[];
}

export function ChartCard({
  id,
  title,
  subtitle,
  children,
  empty,
  controls,
  pending,
  height,
  legend,
}: ChartCardProps) {
  const body = useRef<HTMLDivElement>(null);
  const colors = useChartColors();
  const [error, setError] = useState<string | null>(null);

  const findSvg = (): SVGSVGElement | null =>
    body.current?.querySelector('svg.recharts-surface, svg.chart-svg') ?? null;

  const save = async (format: 'svg' | 'png') => {
    setError(null);
    const svg = findSvg();
    if (!svg) {
      setError('There is no chart to save yet.');
      return;
    }
    const { text, width, height } = serializeChartSvg(
      svg,
      colors.surface,
      legend && legend.length > 0 ? { entries: legend, textColor: colors.text } : undefined,
    );
    const name = safeFileName(`${title}`);
    if (format === 'svg') {
      downloadText(text, `${name}.svg`, 'image/svg+xml');
      return;
    }
    try {
      downloadBlob(await svgToPng(text, width, height), `${name}.png`);
    } catch (e) {
      setError(`${e instanceof Error ? e.message : String(e)} Save it as SVG instead.`);
    }
  };

  return (
    <section className="chart-card" aria-labelledby={`${id}-title`} data-testid={`chart-${id}`}>
      <header className="chart-header">
        <div>
          <h3 id={`${id}-title`}>{title}</h3>
          {subtitle && <p className="muted chart-subtitle">{subtitle}</p>}
        </div>
        <div className="chart-actions">
          {controls}
          {!empty && !pending && (
            <>
              <button
                type="button"
                className="small"
                onClick={() => void save('svg')}
                aria-label={`Save ${title} as SVG`}
              >
                SVG
              </button>
              <button
                type="button"
                className="small"
                onClick={() => void save('png')}
                aria-label={`Save ${title} as PNG`}
              >
                PNG
              </button>
            </>
          )}
        </div>
      </header>
      {legend && legend.length > 0 && !empty && (
        <ul className="chart-legend" aria-label={`${title}: legend`}>
          {legend.map((entry) => (
            <li key={entry.label}>
              <span
                className={entry.outlined ? 'chart-swatch outlined' : 'chart-swatch'}
                style={{ background: entry.color }}
                aria-hidden="true"
              />
              {entry.label}
            </li>
          ))}
        </ul>
      )}
      <div ref={body} className="chart-body">
        {empty ??
          (pending ? <div className="chart-pending" style={{ height }} aria-busy="true" /> : children)}
      </div>
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
