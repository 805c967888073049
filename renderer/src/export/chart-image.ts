/**
 * Charts as files. recharts draws SVG, so the SVG is serialized as it is on screen (colors are resolved
 * values, not CSS variables, so the file looks the same outside the page), under the card's title and caption
 * (a chart without them is a few bars with figures no one can read), and PNG is that SVG drawn onto a canvas
 * at twice the size for sharp text.
 */
import { textWidth, wrapText } from '../../../shared/chart-labels.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A series in a chart's legend (drawn as HTML on screen, into the file on export). */
export interface LegendEntry {
  label: string;
  color: string;
  /** Drawn with an outline (e.g. a point on the Pareto front). */
  outlined?: boolean;
}

const LEGEND_ROW = 20;

/**
 * Places legend entries in rows across `width`, estimating text width (shared/chart-labels.ts: the file is read
 * by other programs, which cannot measure text for us, so the estimate errs on the roomy side).
 */
export function layoutLegend(
  entries: readonly LegendEntry[],
  width: number,
): { entry: LegendEntry; x: number; y: number }[] {
  const placed: { entry: LegendEntry; x: number; y: number }[] = [];
  let x = 8;
  let y = 0;
  for (const entry of entries) {
    const itemWidth = 22 + textWidth(entry.label, 12) + 14;
    if (x > 8 && x + itemWidth > width) {
      x = 8;
      y += LEGEND_ROW;
    }
    placed.push({ entry, x, y });
    x += itemWidth;
  }
  return placed;
}

function svgElement(name: string, attributes: Record<string, string | number>): SVGElement {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

function legendGroup(entries: readonly LegendEntry[], width: number, textColor: string) {
  const group = svgElement('g', {});
  const placed = layoutLegend(entries, width);
  for (const { entry, x, y } of placed) {
    const swatch = svgElement('rect', {
      x,
      y: y + 5,
      width: 12,
      height: 12,
      fill: entry.color,
      ...(entry.outlined ? { stroke: textColor, 'stroke-width': 2 } : {}),
    });
    const text = svgElement('text', { x: x + 18, y: y + 15, fill: textColor, 'font-size': 12 });
    text.textContent = entry.label;
    group.append(swatch, text);
  }
  const rows = placed.length > 0 ? (placed[placed.length - 1]?.y ?? 0) / LEGEND_ROW + 1 : 0;
  return { group, height: rows * LEGEND_ROW + (rows > 0 ? 6 : 0) };
}

/** What a saved chart says about itself above the bars: the card's title and its caption. */
export interface ChartHeading {
  title: string;
  /** The card's subtitle: what is measured, on what engine and inputs, how to read it (normalised bars...). */
  caption?: string;
  titleColor: string;
  captionColor: string;
}

const TITLE_LINE = 20;
const CAPTION_LINE = 16;

/** The heading's lines as placed in the file: the title (bold, 14 px), then the caption (12 px). */
export function layoutHeading(
  heading: Pick<ChartHeading, 'title' | 'caption'>,
  width: number,
): { title: string[]; caption: string[]; height: number } {
  const room = Math.max(120, width - 16);
  // Bold text is wider than the estimate's regular glyphs: measured a size up.
  const title = wrapText(heading.title, room, 15, true);
  const caption = heading.caption ? wrapText(heading.caption, room, 12, true) : [];
  const height = 8 + title.length * TITLE_LINE + caption.length * CAPTION_LINE + 8;
  return { title, caption, height };
}

function headingGroup(heading: ChartHeading, width: number) {
  const group = svgElement('g', {});
  const { title, caption, height } = layoutHeading(heading, width);
  let y = 8;
  for (const line of title) {
    const text = svgElement('text', {
      x: 8,
      y: y + 15,
      fill: heading.titleColor,
      'font-size': 14,
      'font-weight': 600,
    });
    text.textContent = line;
    group.append(text);
    y += TITLE_LINE;
  }
  for (const line of caption) {
    const text = svgElement('text', { x: 8, y: y + 12, fill: heading.captionColor, 'font-size': 12 });
    text.textContent = line;
    group.append(text);
    y += CAPTION_LINE;
  }
  return { group, height };
}

/**
 * The heading of the chart card holding `svg` (ChartCard: its `h3` and `.chart-subtitle`), in the colours the
 * page shows them in, so a saved chart keeps what it shows and how it was measured. Undefined outside a card.
 */
export function cardHeading(svg: Element): ChartHeading | undefined {
  const card = svg.closest('.chart-card');
  const title = card?.querySelector('.chart-header h3');
  if (!card || !title) return undefined;
  const subtitle = card.querySelector('.chart-header .chart-subtitle');
  const clean = (text: string | null | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();
  const caption = clean(subtitle?.textContent);
  return {
    title: clean(title.textContent),
    ...(caption ? { caption } : {}),
    titleColor: getComputedStyle(title).color || '#000',
    captionColor: (subtitle && getComputedStyle(subtitle).color) || '#555',
  };
}

/**
 * The chart's SVG as a standalone document, with a background so it is readable in any viewer, its heading
 * (the card's title and caption: engine, inputs, what the bars are) and the legend (shown as HTML beside the
 * chart on screen) drawn above it. The heading is the card's holding `svg` unless given.
 */
export function serializeChartSvg(
  svg: SVGSVGElement,
  background: string,
  legend?: { entries: readonly LegendEntry[]; textColor: string },
  heading: ChartHeading | undefined = cardHeading(svg),
): { text: string; width: number; height: number } {
  const source = svg.cloneNode(true) as SVGSVGElement;
  const { width, height: chartHeight } = svg.getBoundingClientRect();
  const { group: headingNodes, height: headingHeight } = heading
    ? headingGroup(heading, width)
    : { group: null, height: 0 };
  const { group: legendNodes, height: legendHeight } = legend
    ? legendGroup(legend.entries, width, legend.textColor)
    : { group: null, height: 0 };
  if (legendNodes) legendNodes.setAttribute('transform', `translate(0, ${headingHeight})`);
  const height = headingHeight + chartHeight + legendHeight;
  // The chart goes into a fresh <svg> of the full size, shifted below the legend.
  const clone = svgElement('svg', {
    xmlns: SVG_NS,
    width: Math.round(width),
    height: Math.round(height),
    viewBox: `0 0 ${Math.round(width)} ${Math.round(height)}`,
  });
  source.setAttribute('x', '0');
  source.setAttribute('y', String(headingHeight + legendHeight));
  clone.append(source);
  if (headingNodes) clone.append(headingNodes);
  if (legendNodes) clone.append(legendNodes);
  clone.insertBefore(
    svgElement('rect', { width: '100%', height: '100%', fill: background }),
    clone.firstChild,
  );
  // Text inherits the page's font through CSS; name it explicitly for viewers without the stylesheet.
  clone.setAttribute('font-family', getComputedStyle(svg).fontFamily || 'sans-serif');
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
  return { text, width, height };
}

/** Render SVG text into a PNG blob at `scale` times its size. */
export async function svgToPng(svgText: string, width: number, height: number, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.decoding = 'async';
    const loaded = new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('The chart could not be drawn as an image.'));
    });
    image.src = url;
    await loaded;
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser cannot draw on a canvas, so the PNG could not be made.');
    context.scale(scale, scale);
    context.drawImage(image, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error('The PNG could not be encoded.'))),
        'image/png',
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
