import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudioReport } from '../../../shared/report.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import type { CliContext } from '../cli-context.js';
import { demoCommand } from './demo.js';

function context(values: CliContext['values'], json = false) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ctx: CliContext = {
    positionals: [],
    values,
    json,
    verbose: false,
    stdout,
    stderr,
    signal: new AbortController().signal,
  };
  return { ctx, out: () => out, err: () => err };
}

describe('onnx-studio demo', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let dir: string;
  let run: ReturnType<typeof context>;
  let code: number;

  beforeAll(async () => {
    tmp = makeTempDir('onnx-studio-demo-');
    dir = path.join(tmp.dir, 'report');
    run = context({ out: dir, iterations: '40' }, true);
    code = await demoCommand.run(run.ctx);
  });
  afterAll(() => tmp.cleanup());

  it('runs inspect, three quantizations, a benchmark and evaluations, and prints one JSON object', () => {
    expect(code).toBe(0);
    const printed = JSON.parse(run.out()) as { html: string; json: string; rows: unknown[] };
    expect(printed.html).toBe(path.join(dir, 'report.html'));
    expect(printed.rows).toHaveLength(4);
    for (const stage of [
      'inspect',
      'quantize int8-dynamic',
      'quantize int8-static',
      'quantize fp16',
      'bench 4 models',
      'eval original',
      'report',
    ]) {
      expect(run.err()).toContain(stage);
    }
  });

  it('writes a JSON report with size, latency, accuracy and fidelity for every variant', () => {
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as StudioReport;
    expect(report.rows.map((r) => r.name)).toEqual(['original', 'int8-dynamic', 'int8-static', 'fp16']);
    expect(report.model.summary?.nodes).toBeGreaterThan(0);
    for (const row of report.rows) {
      expect(row.latency?.p50Ms).toBeGreaterThan(0);
      expect(row.accuracy).toBeGreaterThan(0.9);
      if (row.target !== 'original') {
        expect(row.sizeRatio).toBeLessThan(1);
        expect(row.latency?.p50Ratio).toBeGreaterThan(0);
        expect(row.fidelity?.top1Agreement).toBeGreaterThan(0.9);
        expect(row.cliCommand).toMatch(/^onnx-studio quantize /);
      }
    }
    expect(report.benchmarks[0]?.results.every((r) => (r.samples?.length ?? 0) === 40)).toBe(true);
  });

  it('writes a self-contained HTML report with inline SVG charts and no external resources or scripts', () => {
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('</html>');
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(5);
    for (const title of ['File size', 'Latency: p50', 'Accuracy', 'Pareto view', 'Latency distribution'])
      expect(html).toContain(title);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain('onnx-studio quantize');
    // Every tag the charts open is closed (a cheap well-formedness check of the generated SVG).
    expect((html.match(/<svg /g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
  });

  it('refuses to replace an existing report without --force', async () => {
    const again = context({ out: dir });
    await expect(demoCommand.run(again.ctx)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/--force/),
    });
  });
});
