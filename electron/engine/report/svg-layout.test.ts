import { describe, expect, it } from 'vitest';
import { barChart, histogramChart } from './svg-charts.js';
import { textWidth } from './svg-text.js';

/** The chart's width (its viewBox's). */
const widthOf = (svg: string) => Number(/viewBox="0 0 ([\d.]+) /.exec(svg)![1]);

/** Every `<text>` with where it ends: its x plus its estimated width (none of these charts centre or right-align long text). */
function textEnds(svg: string): { text: string; end: number }[] {
  return [...svg.matchAll(/<text x="([\d.]+)"[^>]*class="([^"]*)"[^>]*>(?:<title>[^<]*<\/title>)?([^<]*)<\/text>/g)]
    .filter((m) => !/text-anchor="(end|middle)"/.test(m[0]))
    .map((m) => {
      const text = m[3]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      const px = m[2]!.includes('chart-title') ? 13 * 1.08 : m[2]!.includes('tick') ? 11 : 12;
      return { text, end: Number(m[1]) + textWidth(text, px) };
    });
}

/** The tester's latency chart: variants timed in other runs, notes with the measured p50, whiskers far past the bars. */
const latency = barChart({
  title: 'Latency: p50 (bar) with p90 and p99 (whisker), normalised to the original',
  unit: 'ms',
  fitBars: true,
  axisLabel: 'normalised latency (ms)',
  rows: [
    { label: 'original', value: 1.61, whisker: [1.83, 4.41] },
    { label: 'fp16', value: 1.6, whisker: [3.64, 7.3], note: '1.00x (measured 2.35)' },
    { label: 'tuned: int8-static percentile per-tensor', value: 0.586, whisker: [0.79, 1.86], note: '0.36x (measured 0.583)' },
  ],
  captions: [
    "Variants were timed in other runs than the original's 1.61 ms: each bar is its ratio in its own interleaved run × that p50 (measured p50 after it).",
    'Inputs: image float32 [1, 3, 32, 32].',
  ],
});

describe('report chart layout', () => {
  it('keeps every text of the latency chart inside its width: notes after the bars and a long caption', () => {
    const width = widthOf(latency);
    const ends = textEnds(latency);
    expect(ends.map((e) => e.text)).toContain('1.6 ms  1.00x (measured 2.35)');
    expect(ends.filter((e) => e.end > width).map((e) => e.text)).toEqual([]);
    // The caption wrapped into lines, none of them lost: they read as the caption whole.
    const notes = [...latency.matchAll(/class="tick chart-note">([^<]*)</g)].map((m) => m[1]).join(' ').replace(/&#39;/g, "'");
    expect(notes).toContain("Variants were timed in other runs than the original's 1.61 ms: each bar is its ratio in its own interleaved run × that p50 (measured p50 after it).");
  });

  it('draws a p90 past the axis as a dashed whisker from the bar to the edge, ending in the arrow', () => {
    // fp16's row: p90 3.64 and p99 7.3 are both past an axis fitted to bars of 1.6 ms.
    const row = latency.slice(latency.indexOf('fp16: 1.6 ms'));
    const line = /<line x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)" y2="[\d.]+" class="whisker whisker-off-axis"/.exec(row);
    expect(line).not.toBeNull();
    const bar = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(latency.slice(latency.indexOf('<text', latency.indexOf('>fp16<') - 200)))!;
    expect(Number(line![1])).toBeCloseTo(Number(bar[1]) + Number(bar[2]), 0);
    expect(Number(line![2]) - Number(line![1])).toBeGreaterThan(20);
    expect(row.indexOf('whisker-clipped')).toBeGreaterThan(0);
    expect(latency).toContain('dashed from the bar where even p90 is past it');
  });

  it('names the unit of a bare-number axis under it', () => {
    expect(latency).toMatch(/class="axis">normalised latency \(ms\)<\/text>/);
    // An axis of milliseconds without a label names its unit; one whose ticks carry their unit does not.
    expect(barChart({ title: 'Time per operator type', unit: 'ms', rows: [{ label: 'Conv', value: 2 }] })).toMatch(/class="axis">ms<\/text>/);
    expect(barChart({ title: 'Size', unit: 'B', rows: [{ label: 'a', value: 2 }], tickFormat: (v) => `${v} KiB` })).not.toContain('class="axis"');
  });

  it('wraps a long histogram title and caption instead of running past its right edge', () => {
    const svg = histogramChart({
      title: 'Latency distribution: tuned: int8-static percentile per-tensor against the original (onnxruntime-node cpu)',
      xLabel: 'latency per run (ms)',
      series: [{ label: 'a', values: [1, 2, 3] }],
      captions: ['The best variant and the original in the run that measured it (2026-12-06T22:12:32.584Z); its 7 other models are in the table, not drawn.'],
    });
    expect(textEnds(svg).filter((e) => e.end > widthOf(svg)).map((e) => e.text)).toEqual([]);
    expect([...svg.matchAll(/class="chart-title"/g)].length).toBe(2);
  });
});
