/**
 * A chart with its title and Save buttons. The chart's SVG is found inside the card, so any recharts chart
 * can be saved as SVG or PNG without knowing about it.
 */
import { useRef, useState, type ReactNode } from 'react';
import { serializeChartSvg, svgToPng } from '../export/chart-image.js';
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
}

export function ChartCard({ id, title, subtitle, children, empty, controls }: ChartCardProps) {
  const body = useRef<HTMLDivElement>(null);
  const colors = useChartColors();
  const [error, setError] = useState<string | null>(null);

  const findSvg = (): SVGSVGElement | null => body.current?.querySelector('svg.recharts-surface') ?? null;

  const save = async (format: 'svg' | 'png') => {
    setError(null);
    const svg = findSvg();
    if (!svg) {
      setError('There is no chart to save yet.');
      return;
    }
    const text = serializeChartSvg(svg, colors.surface);
    const name = safeFileName(`${title}`);
    if (format === 'svg') {
      downloadText(text, `${name}.svg`, 'image/svg+xml');
      return;
    }
    try {
      const { width, height } = svg.getBoundingClientRect();
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
          {!empty && (
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
      <div ref={body} className="chart-body">
        {empty ?? children}
      </div>
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
