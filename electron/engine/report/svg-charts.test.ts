import { describe, expect, it } from 'vitest';
import { chroma, closestPair, colorDistance, MIN_SERIES_DISTANCE } from '../../../shared/chart-colors.js';
import { byteTicks, shareRange, shareTicks } from '../../../shared/chart-scale.js';
import { barChart, histogramChart, nameLines, OTHER_COLOR, PALETTE, scatterChart } from './svg-charts.js';
import { textWidth } from './svg-text.js';

/** The text of every `<text class="tick">` of the chart, in order. */
function ticks(svg: string): string[] {
  return [...svg.matchAll(/<text [^>]*class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('report charts', () => {
  it('fits the latency axis to the bars and ends the longer whiskers at it with an arrow', () => {
    const svg = barChart({
      title: 'Latency',
      unit: 'ms',
      fitBars: true,
      rows: [
        { label: 'original', value: 0.17, whisker: [0.4, 8] },
        { label: 'int8', value: 0.12, whisker: [0.13, 0.14] },
      ],
    });
    const axis = ticks(svg)
      .filter((t) => /^[\d.]+$/.test(t))
      .map(Number);
    expect(Math.max(...axis)).toBeLessThan(2 * 0.17);
    expect(svg).toContain('whisker-clipped');
    expect(svg).toContain('stop at its end with an arrow');
    // The 0.17 ms bar fills most of the plot (it was 2% of an axis to 8 ms).
    const widths = [...svg.matchAll(/<rect x="190" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]! / 380).toBeGreaterThan(0.5);
    // Without fitting, every whisker is inside the axis, and nothing is clipped.
    expect(
      barChart({ title: 't', unit: 'ms', rows: [{ label: 'a', value: 1, whisker: [2, 3] }] }),
    ).not.toContain('whisker-clipped');
  });

  it('ticks sizes in round KiB and shares up to 100%', () => {
    const size = byteTicks(300_000);
    const svg = barChart({
      title: 'File size',
      unit: 'B',
      rows: [{ label: 'original', value: 300_000 }],
      ticks: size.ticks,
      tickFormat: size.format,
    });
    expect(ticks(svg)).toEqual(['0 KiB', '100 KiB', '200 KiB', '300 KiB']);
    const accuracy = barChart({
      title: 'Accuracy',
      unit: '',
      rows: [{ label: 'original', value: 0.991 }],
      ticks: shareTicks(),
      tickFormat: (v) => `${Math.round(v * 100)}%`,
    });
    expect(ticks(accuracy).at(-1)).toBe('100%');
  });

  it('never puts an accuracy above 100% on the Pareto view, and names points in a legend', () => {
    const svg = scatterChart({
      title: 'Pareto',
      xLabel: 'p50 latency (ms)',
      yLabel: 'accuracy',
      yShare: true,
      points: [
        { label: 'original', x: 0.17, y: 0.991, size: 300_000 },
        { label: 'int8-dynamic', x: 0.12, y: 0.989, size: 84_000 },
        { label: 'fp16', x: 0.16, y: 0.991, size: 150_000 },
      ],
    });
    const shares = ticks(svg)
      .filter((t) => t.endsWith('%'))
      .map((t) => Number.parseFloat(t));
    expect(shares.length).toBeGreaterThan(1);
    expect(Math.max(...shares)).toBeLessThanOrEqual(100);
    expect(Math.max(...shares)).toBeGreaterThanOrEqual(99.1);
    const near = scatterChart({
      title: 'Pareto',
      xLabel: 'ms',
      yLabel: 'accuracy',
      yShare: true,
      points: [
        { label: 'a', x: 1, y: 0.999, size: 1 },
        { label: 'b', x: 2, y: 1, size: 1 },
      ],
    });
    expect(ticks(near).filter((t) => t.endsWith('%')).at(-1)).toBe('100%');
    // Each name once, in the legend (labels beside close points used to print over each other).
    for (const name of ['original', 'int8-dynamic', 'fp16'])
      expect(svg.match(new RegExp(`class="label">${name}<`, 'g'))).toHaveLength(1);
  });

  it('lays a long legend out in rows that do not overlap', () => {
    const series = Array.from({ length: 7 }, (_, i) => ({
      label: `variant number ${i}`,
      values: [1, 2, 2, 3 + i],
    }));
    const svg = histogramChart({ title: 'Latency distribution', xLabel: 'ms', series });
    const swatches = [...svg.matchAll(/<rect x="([\d.]+)" y="([-\d.]+)" width="10" height="10"/g)].map(
      (m) => [Number(m[1]), Number(m[2])],
    );
    expect(swatches).toHaveLength(7);
    expect(new Set(swatches.map(([x, y]) => `${x},${y}`)).size).toBe(7);
    expect(new Set(swatches.map(([, y]) => y)).size).toBeGreaterThan(1);
    const height = Number(/height="(\d+)"/.exec(svg)![1]);
    expect(height).toBeGreaterThan(300);
  });

  it('gives a long variant name the room it needs, else two lines at a space, never two half-words (user test 13)', () => {
    // The tester's names: "structured 10%…ng pruned)" in the report, though the chart had room.
    const names = [
      'structured 10% (nothing pruned)',
      'int8-dynamic with a very long descriptive name for the final classifier layer only',
      'tuned: int8-static percentile 99.99 with a long tail of words',
      'tuned: int8-static percentile 99.99 with a long tail of words (2)',
    ];
    const svg = barChart({ title: 'Size', unit: 'B', rows: names.map((label) => ({ label, value: 1 })) });
    expect(svg).toContain('>structured 10% (nothing pruned)</text>');
    const labels = [...svg.matchAll(/class="label"><title>([^<]*)<\/title>(.*?)<\/text>/g)].map((m) => ({
      name: m[1]!,
      lines: m[2]!.includes('<tspan') ? [...m[2]!.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1]!) : [m[2]!],
    }));
    expect(labels.map((l) => l.name)).toEqual(names);
    const words = (name: string) => new Set(name.split(' '));
    for (const { name, lines } of labels) {
      expect(lines.length).toBeLessThanOrEqual(2);
      // Every word shown is a whole word of the name, or the "…" for the words left out between.
      for (const line of lines) for (const w of line.split(' ')) expect(w === '…' || words(name).has(w), `${name}: "${w}"`).toBe(true);
      for (const line of lines) expect(textWidth(line, 12)).toBeLessThanOrEqual(280 - 12);
    }
    // Two names that differ only at their end stay apart.
    expect(labels[2]!.lines).not.toEqual(labels[3]!.lines);
    expect(nameLines('int8-static', 178)).toEqual(['int8-static']);
  });

  it('cuts the latency distribution at its rare slow runs and says how many runs lie beyond', () => {
    const values = [...Array.from({ length: 198 }, (_, i) => 1 + (i % 10) * 0.01), 40, 41];
    const svg = histogramChart({ title: 'Latency distribution', xLabel: 'ms', series: [{ label: 'a', values }] });
    expect(svg).toContain('2 runs lie beyond 1.09 ms (rare slow runs), not drawn.');
    const axis = ticks(svg)
      .filter((t) => /^[\d.]+$/.test(t))
      .map(Number);
    expect(Math.max(...axis)).toBeLessThan(2);
  });

  it('draws each series in its own colour and "other" in a grey none of them is', () => {
    expect(closestPair(PALETTE).distance).toBeGreaterThanOrEqual(MIN_SERIES_DISTANCE);
    for (const c of PALETTE) expect(colorDistance(c, OTHER_COLOR)).toBeGreaterThanOrEqual(25);
    expect(chroma(OTHER_COLOR)).toBeLessThan(8);
  });

  it('starts an accuracy axis near the data only when told, and then says so under the title', () => {
    const rows = [
      { label: 'original', value: 0.9944 },
      { label: 'int8', value: 0.9917 },
    ];
    const zoomed = barChart({ title: 'Accuracy', unit: '', rows, ticks: shareRange(rows.map((r) => r.value)), tickFormat: (v) => `${(v * 100).toFixed(1)}%`, captions: ['Data: test set (360 samples).'] });
    const notes = [...zoomed.matchAll(/class="tick chart-note">([^<]*)</g)].map((m) => m[1]);
    expect(notes[0]).toBe('Data: test set (360 samples).');
    expect(notes[1]).toMatch(/^The axis starts at 99\.\d%, not 0: the bars show differences/);
    // The two bars differ visibly (they were 99.4% and 99.2% of the same 0-100% axis).
    const widths = [...zoomed.matchAll(/<rect x="190" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]! - widths[1]!).toBeGreaterThan(40);
    const fromZero = barChart({ title: 'Accuracy', unit: '', rows, ticks: shareTicks() });
    expect(fromZero).not.toContain('not 0');
  });

  it('says when the Pareto view\'s accuracy axis does not start at 0, and shows its captions', () => {
    const svg = scatterChart({
      title: 'Pareto',
      xLabel: 'p50 latency (ms)',
      yLabel: 'accuracy',
      yShare: true,
      captions: ['Inputs: image [1, 1, 32, 32].'],
      points: [
        { label: 'original', x: 1.1, y: 0.9944, size: 2_700_000 },
        { label: 'int8-static', x: 0.38, y: 0.9921, size: 700_000, color: '#123456' },
      ],
    });
    const notes = [...svg.matchAll(/class="tick chart-note">([^<]*)</g)].map((m) => m[1]);
    expect(notes).toEqual(['Inputs: image [1, 1, 32, 32].', expect.stringMatching(/^The accuracy axis starts at 9\d(\.\d+)?%, not 0/)]);
    expect(svg).toContain('fill="#123456"');
  });

  it('puts shares that all print the same on a 0-100% axis, every bubble inside the plot', () => {
    // Every variant agreed with the original on every sample: zoomed, the axis ran 99.85-100% and each bubble
    // was centred on its top edge.
    const svg = scatterChart({
      title: 'Pareto',
      xLabel: 'p50 latency ratio',
      yLabel: 'top-1 agreement',
      yShare: true,
      points: [
        { label: 'original', x: 1, y: 1, size: 2_700_000 },
        { label: 'int8-static', x: 0.7, y: 1, size: 700_000 },
      ],
    });
    const notes = [...svg.matchAll(/class="tick chart-note">([^<]*)</g)].map((m) => m[1]);
    expect(notes).toEqual(['All at 100%: no difference to show, so the top-1 agreement axis starts at 0.']);
    const ticks = [...svg.matchAll(/text-anchor="end" class="tick">([^<]*)</g)].map((m) => m[1]);
    expect(ticks).toEqual(['0%', '25%', '50%', '75%', '100%']);
    // The plot's top is where the latency gridlines start: no bubble reaches above it.
    const plotTop = Number(/<line x1="[\d.]+" y1="([\d.]+)"[^>]*class="grid"/.exec(svg)![1]);
    const circles = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)" r="([\d.]+)"/g)];
    expect(circles).toHaveLength(2);
    for (const [, cy, r] of circles) expect(Number(cy) - Number(r)).toBeGreaterThanOrEqual(plotTop);
  });
});
