import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../engine/evaluate/evaluate-model.js';
import { buildKvCacheLayers } from '../../engine/testing/kv-cache-layers.js';
import { modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

/*
 * eval of a quantized decoder of 4 layers against its original: 8 cache outputs (present.N.key/value) beside
 * logits. A 32-layer model printed 64 cache rows that buried logits; the text now says them in one row, and
 * --json still gives every output's figures (docs/cli.md: fidelity.outputs).
 */

describe('eval on a decoder with a KV cache of 4 layers', () => {
  const tmp = makeTempDir('onnx-studio-eval-kv-');
  const model = path.join(tmp.dir, 'decoder_with_past_model.onnx');
  const variant = path.join(tmp.dir, 'int8.onnx');
  const args = ['eval', variant, '--reference', model, '--data', 'synthetic', '--samples', '4'];

  beforeAll(async () => {
    fs.writeFileSync(model, modelBytes(buildKvCacheLayers(4)));
    const q = await cli(['quantize', model, '-o', variant, '--method', 'int8-dynamic']);
    expect(q.code, q.stderr).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  it('prints logits and one row for the 8 cache outputs, naming the worst of them', async () => {
    const run = await cli(args);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.split('\n').filter((l) => /^(logits|present)/.test(l));
    expect(rows.map((r) => r.split(/ {2,}/)[0])).toEqual([
      'logits',
      'present.0..3.key/value (8 outputs)',
      // The line under the table, which names the outputs the worst figures are from.
      expect.stringMatching(
        /^present\.0\.\.3\.key\/value: each figure is the worst of the 8 outputs \(.*present\.3\./,
      ),
    ]);
  });

  it('keeps every output in --json, with figures that the row shows the worst of', async () => {
    const run = await cli([...args, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as EvalReport;
    const outputs = report.fidelity!.outputs!;
    expect(outputs.map((o) => o.output)).toEqual([
      'logits',
      ...[0, 1, 2, 3].flatMap((n) => [`present.${n}.key`, `present.${n}.value`]),
    ]);
    const text = await cli(args);
    const row = text.stdout
      .split('\n')
      .find((l) => l.startsWith('present.0..3'))!
      .split(/ {2,}/);
    const cache = outputs.slice(1);
    expect(row[1]).toBe(Math.min(...cache.map((o) => o.cosine)).toFixed(6));
    expect(Number(row[4])).toBeCloseTo(Math.max(...cache.map((o) => o.maxAbsErr)), 4);
  });
});
