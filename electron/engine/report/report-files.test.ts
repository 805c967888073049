import { describe, expect, it } from 'vitest';
import type { EvalRecord } from '../../../shared/workspace.js';
import { benchRecord, tuneRecord, variant, workspace } from '../../../renderer/src/state/test-fixtures.js';
import { reportHtml, reportJson, reportNotes } from './report-files.js';
import { noiseNote } from '../../../shared/latency-noise.js';

const DATA = { name: 'sensor-windows', samples: 200, sha256: 'f'.repeat(12) + '0'.repeat(52) };

/** A fidelity-only evaluation (no labels, not a classification): only the output cosine. */
function cosineEval(target: string, cosine: number): EvalRecord {
  return {
    id: `e-${target}`,
    createdAt: '2026-01-01T00:00:00Z',
    target,
    reference: 'original',
    dataset: DATA,
    report: {
      model: target,
      data: 'sensor-windows',
      samples: 200,
      task: 'none',
      taskReason: 'test',
      output: 'y',
      seconds: 1,
      samplesPerSecond: 200,
      timing: { dataMs: 1, inferenceMs: 1, referenceMs: 1 },
      notes: [],
      fidelity: {
        output: 'y',
        cosine,
        worstSampleCosine: cosine,
        sqnrDb: 40,
        maxAbsErr: 0.1,
        meanAbsErr: 0.01,
        top1Agreement: null,
        exact: false,
      },
    },
  } as EvalRecord;
}

const ws = workspace({
  variants: [variant('v1', 'fp16', 2000), variant('v2', 'int8-static', 1000)],
  benchmarks: [
    benchRecord('b1', 'cpu', { original: 1, v1: 1.06, v2: 0.6 }),
    // A later in-browser run: int8-static x2.0 there. The report must not quote it next to the node figures.
    benchRecord('b2', 'wasm', { original: 3, v2: 6, v1: 0.3 }, 'onnxruntime-web'),
  ],
  evaluations: [cosineEval('v1', 1), cosineEval('v2', 0.99991)],
});

describe('the report decides the best variant on one engine and names it', () => {
  it('takes latencies from the latest onnxruntime-node benchmark, not a later wasm one', () => {
    const json = reportJson(ws, '0.0.0');
    expect(json.latencySource).toBe('onnxruntime-node cpu');
    expect(json.rows.find((r) => r.name === 'int8-static')?.latency).toMatchObject({
      p50Ms: 0.6,
      p50Ratio: 0.6,
      label: 'onnxruntime-node cpu',
    });
    const html = reportHtml(json);
    expect(html).toContain(
      'Best variant: int8-static: 0.60x p50 latency on onnxruntime-node cpu, 0.25x size of the original, output cosine 0.99991 (budget: at least 0.99).',
    );
  });

  it("judges by the last Auto-optimize run's budget, as Export does", () => {
    const tuned = workspace({
      ...ws,
      tunes: [tuneRecord({ kind: 'min-cosine', cosine: 0.99995 })],
    });
    // int8-static's cosine 0.99991 met the default 0.99 (it was best above), not this run's 0.99995: fp16 is.
    const html = reportHtml(reportJson(tuned, '0.0.0'));
    expect(html).toContain('Best variant: fp16: ');
    expect(html).toContain('output cosine 1.00000 (budget: at least 0.99995)');
  });

  it('gives cosine-only data a budget, names the dataset and prints its sha256', () => {
    const html = reportHtml(reportJson(ws, '0.0.0'));
    expect(html).toContain('Data: sensor-windows (200 samples).');
    expect(html).toContain(DATA.sha256);
    expect(html).toContain('Data sha256');
    const lossy = workspace({ ...ws, evaluations: [cosineEval('v1', 0.95), cosineEval('v2', 0.9757)] });
    expect(reportHtml(reportJson(lossy, '0.0.0'))).toContain(
      'No variant is faster or smaller than the original with output cosine at least 0.99.',
    );
  });

  it('normalises the latency bars of variants timed in other runs to the original, and says so', () => {
    const runs = workspace({
      ...ws,
      benchmarks: [
        benchRecord('b1', 'cpu', { original: 0.107, v1: 0.108 }),
        benchRecord('b2', 'cpu', { original: 0.234, v2: 0.117 }),
      ],
    });
    const html = reportHtml(reportJson(runs, '0.0.0'));
    expect(html).toContain('normalised to the original');
    // fp16 was x1.01 in its own run: its bar is 0.236 ms beside the original's 0.234 ms, not 0.108 ms.
    expect(html).toMatch(/fp16: 0\.236/);
    expect(html).toContain('1.01x (measured 0.108)');
  });

  it('places the Pareto view by each run’s ratio, the original at 1', () => {
    const html = reportHtml(reportJson(ws, '0.0.0'));
    expect(html).toContain('Pareto view: p50 latency ratio against output cosine');
    expect(html).toContain('original = 1');
    // The cosine chart's axis is zoomed to the data and says it does not start at 0.
    expect(html).toContain('Fidelity: output cosine similarity to the original');
    expect(html).toMatch(/The axis starts at 0\.9\d*, not 0/);
  });
});

describe('the report charts figures that are all the same', () => {
  /** An evaluation whose every output's class agreed with the original's: top-1 agreement 100%. */
  const agreeing = (target: string): EvalRecord => {
    const e = cosineEval(target, 1);
    return {
      ...e,
      report: { ...e.report, fidelity: { ...e.report.fidelity!, top1Agreement: 1 } },
    } as EvalRecord;
  };

  it('draws agreements that are all 100% from 0, without ticks that all read 100%', () => {
    const all = workspace({ ...ws, evaluations: [agreeing('v1'), agreeing('v2')] });
    const html = reportHtml(reportJson(all, '0.0.0'));
    const start = html.indexOf('Fidelity: top-1 agreement with the original');
    const chart = html.slice(start, html.indexOf('</svg>', start));
    const ticks = [...chart.matchAll(/text-anchor="middle" class="tick">([^<]*)</g)].map((m) => m[1]);
    expect(ticks).toEqual(['0%', '25%', '50%', '75%', '100%']);
    expect(chart).toContain('All at 100.00%: no difference to show, so the axis starts at 0.');
    expect(chart).not.toContain('the bars show differences');
  });
});

describe('the report names variants that are the same file', () => {
  const hash = (c: string) => c.repeat(64);
  const twice = workspace({
    variants: [
      { ...variant('v1', 'int8-static', 1000), sha256: hash('a') },
      { ...variant('v2', 'int8-static (2)', 1000), sha256: hash('a') },
      { ...variant('v3', 'fp16', 2000), sha256: hash('b') },
    ],
  });

  it('lists each file sha256 and says which variant is the same file as an earlier one', () => {
    const json = reportJson(twice, '0.0.0');
    expect(json.rows.map((r) => [r.name, r.sha256, r.sameFileAs])).toEqual([
      ['original', undefined, undefined],
      ['int8-static', hash('a'), undefined],
      ['int8-static (2)', hash('a'), 'int8-static'],
      ['fp16', hash('b'), undefined],
    ]);
    const html = reportHtml(json);
    expect(html).toContain('<th>File sha256</th>');
    expect(html).toContain('<td>int8-static (2) (same file as int8-static)</td>');
    expect(html).toContain(`<td>${'a'.repeat(12)}</td>`);
  });

  it('leaves the column out for a workspace from before variants had a sha256', () => {
    expect(reportHtml(reportJson(ws, '0.0.0'))).not.toContain('File sha256');
  });
});

describe('the report table', () => {
  /** The header cells and each row's cells of the comparison table, as text. */
  function table(html: string): { head: string[]; rows: string[][] } {
    const start = html.indexOf('<div class="table-wrap">');
    const section = html.slice(start, html.indexOf('</table>', start));
    // Cell text as a reader sees it: the page escapes an apostrophe ("the original's") as &#39;.
    const text = (html: string) => html.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
    const cells = (row: string, tag: string) =>
      [...row.matchAll(new RegExp(`<${tag}[^>]*>(.*?)</${tag}>`, 'g'))].map((m) => text(m[1]!));
    const rows = [...section.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((m) => m[1]!);
    return { head: cells(rows[0]!, 'th'), rows: rows.slice(1).map((r) => cells(r, 'td')) };
  }

  it('leaves out the columns no row has a figure in, and keeps the quality figures it has', () => {
    // No labels: no accuracy anywhere; the cosine and SQNR are the only quality figures.
    const { head } = table(reportHtml(reportJson(ws, '0.0.0')));
    expect(head).not.toContain('Accuracy');
    expect(head).not.toContain('Δ accuracy');
    expect(head).not.toContain('Top-1 agree');
    expect(head).toEqual(expect.arrayContaining(['Model', 'p50 ms', 'p50 ratio', 'Data sha256', 'Cosine', 'SQNR dB']));
    // The table may take the window's width beyond the text's.
    expect(reportHtml(reportJson(ws, '0.0.0'))).toMatch(/\.table-wrap \{[^}]*max-width: calc\(100vw/);
  });

  it("prints a variant's p50 ratio with its own run's original where that is not the original's row, as the app does", () => {
    // int8-weight was x1.24 of its own run's original (0.286 ms): 0.354 ms, below the original row's 0.491.
    const runs = workspace({
      ...ws,
      benchmarks: [
        benchRecord('b1', 'cpu', { original: 0.286, v1: 0.354 }),
        benchRecord('b2', 'cpu', { original: 0.491, v2: 0.48 }),
      ],
    });
    const { head, rows } = table(reportHtml(reportJson(runs, '0.0.0')));
    const at = (name: string, column: string) => rows.find((r) => r[0]!.startsWith(name))![head.indexOf(column)];
    expect(at('original', 'p50 ms')).toBe('0.491');
    expect(at('fp16', 'p50 ms')).toBe('0.354');
    // These records carry no samples: the noise band is estimated from p50 and p90, and said as the app says it.
    const json = reportJson(runs, '0.0.0');
    const noteOf = (name: string) => {
      const note = noiseNote(json.rows.find((r) => r.name.startsWith(name))!.latency?.noise);
      return note ? `, ${note}` : '';
    };
    expect(at('fp16', 'p50 ratio')).toBe(`×1.24 of the original's 0.286 ms${noteOf('fp16')}`);
    // Its ratio's base is the original's row: nothing to add.
    expect(at('int8-static', 'p50 ratio')).toBe(`×0.98${noteOf('int8-static')}`);
    expect(noteOf('int8-static')).toBe(', within noise');
    expect(at('fp16', 'Size ratio')).toBe('×0.50');
  });
});

describe('the report says what the app says of noisy runs (user test 3)', () => {
  /** A record whose `noisy` targets spread like the tester's fp16 run: p90 7.7x the p50. */
  const noisyRecord = (id: string, p50: Record<string, number>, noisy: string[]) => {
    const record = benchRecord(id, 'cpu', p50);
    return {
      ...record,
      results: record.results.map((r) => (noisy.includes(r.target) ? { ...r, p90Ms: r.p50Ms * 7.7, p99Ms: r.p50Ms * 9 } : r)),
    };
  };
  const runs = workspace({
    ...ws,
    benchmarks: [noisyRecord('b1', { original: 0.394, v1: 0.395 }, ['v1']), benchRecord('b2', 'cpu', { original: 0.438, v2: 0.437 })],
  });
  const json = reportJson(runs, '0.0.0');
  const html = reportHtml(json);

  it('prints "unreliable run" and "within noise" beside a ratio that prints as ×1.00, as the app\'s table does', () => {
    // Before: the ×1.00 rows said nothing, and "unreliable" was nowhere in the report.
    expect(html).toContain("×1.00 of the original&#39;s 0.394 ms, unreliable run");
    expect(html).toContain('<td class="num wraps">×1.00, within noise</td>');
  });

  it('warns under the latency chart which run was too noisy, and why', () => {
    expect(html).toContain('Unreliable runs: the spread is too large to tell speeds apart (fp16: p90 is 7.7x the p50)');
  });

  it("draws the noisy run's variant hollow and dashed on the Pareto view, named \"(noisy run)\" as in the app", () => {
    const start = html.indexOf('Pareto view');
    const chart = html.slice(start, html.indexOf('</svg>', start));
    expect(chart).toMatch(/<circle [^>]*fill="none"[^>]*stroke-dasharray="4 3" class="hollow"><title>fp16 \(noisy run\): /);
    expect(chart).not.toMatch(/class="hollow"><title>int8-static/);
    expect(chart).toContain('>fp16 (noisy run)</text>');
    expect(chart).toContain('drawn hollow and dashed');
  });
});

describe('the report notes (user test 14)', () => {
  const SPIN = 'intra-op spinning is off (the default): idle onnxruntime threads sleep instead of spin-waiting.';
  const PROFILING = "profiling is on: the timings include onnxruntime's profiler overhead; compare models with profiling off.";
  const noted = (id: string, notes: string[]) => ({ ...benchRecord(id, 'cpu', { original: 1 }), notes });

  it('says each sentence once, with how many benchmarks it applies to', () => {
    const runs = workspace({
      ...ws,
      benchmarks: [noted('b1', [SPIN, PROFILING]), noted('b2', [SPIN, PROFILING]), noted('b3', [SPIN])],
    });
    expect(reportNotes(runs)).toEqual([
      `onnxruntime-node cpu: ${SPIN} (all 3 benchmarks)`,
      `onnxruntime-node cpu: ${PROFILING} (2 of 3 benchmarks)`,
    ]);
    const html = reportHtml(reportJson(runs, '0.0.0'));
    expect(html.split('intra-op spinning is off').length - 1).toBe(1);
    // One benchmark: its notes as they are.
    expect(reportNotes(workspace({ ...ws, benchmarks: [noted('b1', [SPIN])] }))).toEqual([`onnxruntime-node cpu: ${SPIN}`]);
  });
});

describe("the report sets the variants beside the original's run made like theirs (user test 4)", () => {
  const profiled = (record: ReturnType<typeof benchRecord>, createdAt: string) => ({
    ...record,
    createdAt,
    results: record.results.map((r) => ({ ...r, profile: { byOpType: [], topNodes: [] } as never })),
  });
  const runs = workspace({
    ...ws,
    benchmarks: [
      profiled(benchRecord('b1', 'cpu', { original: 0.394, v1: 0.395 }), '2026-12-07T06:58:22Z'),
      profiled(benchRecord('b2', 'cpu', { original: 0.376, v2: 0.317 }), '2026-12-07T06:58:28Z'),
      // Auto-optimize's benchmarks of the original, profiling off.
      { ...benchRecord('t1', 'cpu', { original: 0.206 }), createdAt: '2026-12-07T07:00:23Z' },
    ],
    tunes: [{ ...tuneRecord({ kind: 'accuracy-drop', points: 0.5 }), startedAt: '2026-12-07T07:00:11Z', endedAt: '2026-12-07T07:00:24Z' }],
  });

  it("takes the original's row from its latest run made like most variants' runs, and says which", () => {
    const json = reportJson(runs, '0.0.0');
    const original = json.rows[0]!;
    expect(original.latency).toMatchObject({ p50Ms: 0.376, recordId: 'b2', baseline: { kind: 'matched', latestMs: 0.206 } });
    const html = reportHtml(json);
    const said =
      "The original&#39;s 0.376 ms is its latest run made like most variants&#39; runs; its latest run (0.206 ms, in an Auto-optimize run) ran without profiling.";
    expect(html).toContain(said);
    // Normalised to that run, not to the Auto-optimize run's 0.206 ms.
    expect(html).toContain('Variants were timed in other runs than the original&#39;s 0.376 ms');
  });
});
