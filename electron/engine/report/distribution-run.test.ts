import { describe, expect, it } from 'vitest';
import type { EvalRecord } from '../../../shared/workspace.js';
import { benchRecord, variant, workspace } from '../../../renderer/src/state/test-fixtures.js';
import { distributionRun } from './distribution-run.js';
import { reportHtml, reportJson } from './report-files.js';

/** An evaluation with labels: `accuracy` on the same data for every target. */
function accuracyEval(target: string, accuracy: number): EvalRecord {
  return {
    id: `e-${target}`,
    createdAt: '2026-01-01T00:00:00Z',
    target,
    dataset: { name: 'x.npy', samples: 200, sha256: 'a'.repeat(64) },
    report: { model: target, data: 'x.npy', samples: 200, accuracy, notes: [] },
  } as unknown as EvalRecord;
}

/** The tester's workspace in small: the best (per-tensor) was timed first, another int8 variant last. */
const ws = workspace({
  variants: [variant('vt', 'tuned: per-tensor', 1000), variant('vc', 'tuned: per-channel', 1100)],
  benchmarks: [
    benchRecord('b1', 'cpu', { original: 1.6, vt: 0.58 }),
    benchRecord('b2', 'cpu', { original: 1.6, vc: 0.6 }),
    benchRecord('b3', 'wasm', { original: 40, vc: 20 }, 'onnxruntime-web'),
  ],
  evaluations: ['original', 'vt', 'vc'].map((t) => accuracyEval(t, 1)),
});

/**
 * The distribution chart's words: its texts from its title to its end, one space between (a caption wraps
 * into several lines at spaces, so this reads as the caption written whole).
 */
function distributionSvg(html: string): string {
  const start = html.indexOf('<title>Latency distribution');
  const svg = html.slice(start, html.indexOf('</svg>', start));
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(' ');
}

describe('the report\'s latency distribution', () => {
  it('draws the best variant the report names, from the run that measured it, with that run\'s original', () => {
    const json = reportJson(ws, '0.0.0');
    const html = reportHtml(json);
    expect(html).toContain('Best variant: tuned: per-tensor');
    const svg = distributionSvg(html);
    expect(svg).toContain('Latency distribution: tuned: per-tensor against the original (onnxruntime-node cpu)');
    expect(svg).toContain('The best variant and the original in the run that measured it');
    expect(svg).not.toContain('per-channel');
    expect(distributionRun(json.rows, ws.benchmarks, json.latencySource, json.rows[1])?.record.id).toBe('b1');
  });

  it('says that it shows the latest run, and of what, when no variant is the best', () => {
    const lossy = workspace({ ...ws, evaluations: [accuracyEval('original', 1), accuracyEval('vt', 0.5), accuracyEval('vc', 0.5)] });
    const svg = distributionSvg(reportHtml(reportJson(lossy, '0.0.0')));
    // The latest run of the report's engine (onnxruntime-node cpu), not the later wasm one.
    expect(svg).toContain('Latency distribution (onnxruntime-node cpu)');
    expect(svg).toContain('No variant is the best one: this is the latest run (2026-01-01T00:00:00Z), of original, tuned: per-channel.');
  });

  it('leaves the other models of an interleaved run of every model out, and says so', () => {
    const all = workspace({ ...ws, benchmarks: [benchRecord('b9', 'cpu', { original: 1.6, vt: 0.58, vc: 0.6 })] });
    const svg = distributionSvg(reportHtml(reportJson(all, '0.0.0')));
    expect(svg).toContain('its 1 other model is in the table, not drawn.');
    expect(svg).not.toContain('per-channel');
  });
});
