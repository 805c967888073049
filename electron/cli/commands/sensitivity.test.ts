import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SensitivityReport } from '../../../shared/sensitivity.js';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { buildTextDetector, detectorSamples } from '../../engine/testing/detector-fixture.js';
import { buildKvCacheLayers } from '../../engine/testing/kv-cache-layers.js';
import { modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { OUTLIER_CONSUMER, writeOutlierMlpCase } from '../../engine/testing/tune-fixtures.js';
import { runCliInProcess } from '../testing/run-cli.js';

let tmp: ReturnType<typeof makeTempDir>;
let files: ReturnType<typeof writeOutlierMlpCase>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-sensitivity-cli-');
  files = writeOutlierMlpCase(tmp.dir);
});
afterAll(() => tmp.cleanup());

describe('onnx-studio sensitivity', () => {
  it("ranks the layer that amplifies the outlier activation's error first, by SQNR drop", async () => {
    // 7-bit weights: on an x86 CPU without VNNI onnxruntime's int8 MatMul adds pairs of u8 x s8 products in 16
    // bits, and with full 8-bit weights the first layer's (its input's zero point is ~128) saturate, costing
    // its output ~35 dB there, more than the outlier costs layer 2. With 7 bits no pair can saturate, so the
    // ranking is the outlier's on every CPU.
    const r = await runCliInProcess([
      'sensitivity',
      files.model,
      '--calib-data',
      files.calib,
      '--data',
      files.data,
      '--reduce-range',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as SensitivityReport;
    expect(report.samples).toBe(32);
    expect(report.rows.length).toBe(8);
    expect(report.rows[0]!.node.startsWith(OUTLIER_CONSUMER)).toBe(true);
    const drops = report.rows.map((row) => row.dropDb ?? -Infinity);
    expect([...drops].sort((a, b) => b - a)).toEqual(drops);
    // The consumer's input is fine on its own (the outlier dominates its power); the damage shows after it.
    const top = report.rows[0]!;
    expect(top.localSqnrDb!).toBeGreaterThan(top.outputSqnrDb! + 10);
    expect(report.outputs[0]!.sqnrDb!).toBeLessThan(30);
  }, 60_000);

  it('measures hard-swish against its own float tensor, though the quantizer rescales it', async () => {
    // Hard-swish's / 6 becomes a change of scale: a DequantizeLinear of the same 8-bit data at another scale.
    // Taken for the unscaled tensor, it made every hard-swish Add look 1.6 dB (6/5) away from float, on top.
    const size = 64;
    const model = path.join(tmp.dir, 'detector.onnx');
    fs.writeFileSync(
      model,
      modelBytes(buildTextDetector({ height: size, width: size, fpnOutlierScale: 20 })),
    );
    const npy = (name: string, seed: number): string => {
      const samples = detectorSamples(4, size, size, seed);
      const flat = new Float32Array(samples.length * samples[0]!.length);
      samples.forEach((x, i) => flat.set(x, i * x.length));
      const file = path.join(tmp.dir, name);
      fs.writeFileSync(file, encodeNpyArray(flat, 'float32', [samples.length, 1, 3, size, size]));
      return file;
    };
    const r = await runCliInProcess([
      'sensitivity',
      model,
      '--calib-data',
      npy('det-calib.npy', 22),
      '--data',
      npy('det-data.npy', 21),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as SensitivityReport;
    // Its Adds are either measured against the right tensor or, where only the rescaled form is read,
    // unmeasured (ranked by local SQNR): never 1.6 dB and first.
    expect(report.rows[0]!.node.endsWith('_act.add')).toBe(false);
    for (const row of report.rows.filter((x) => x.node.endsWith('_act.add'))) {
      expect(row.outputSqnrDb === null || row.outputSqnrDb > 10).toBe(true);
    }
    // 4 samples, fewer than the default 32: no one asked for 32, so nothing is said.
    expect(report.samples).toBe(4);
    expect(report.notes.join('\n')).not.toMatch(/samples asked/);
  }, 60_000);

  it('says that --samples asked for more than the data holds, and that it used them all', async () => {
    const r = await runCliInProcess([
      'sensitivity',
      files.model,
      '--calib-data',
      files.calib,
      '--samples',
      '500',
      '--top',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Measured on .*, 64 samples, in /m);
    expect(r.stdout).toContain('Note: 500 samples asked, the data has 64: all 64 used.');
  }, 60_000);

  it("prints a decoder's 8 cache outputs as one row of their lowest SQNR, and lists each in --json", async () => {
    const decoder = path.join(tmp.dir, 'decoder_with_past_model.onnx');
    fs.writeFileSync(decoder, modelBytes(buildKvCacheLayers(4)));
    const args = [
      'sensitivity',
      decoder,
      '--calib-data',
      'synthetic',
      '--calib-samples',
      '4',
      '--samples',
      '2',
    ];
    const json = await runCliInProcess([...args, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const { outputs } = JSON.parse(json.stdout) as SensitivityReport;
    expect(outputs.map((o) => o.name)).toHaveLength(9);
    const cache = outputs.filter((o) => o.name.startsWith('present.'));
    const lowest = Math.min(...cache.map((o) => o.sqnrDb ?? Infinity));
    const text = await runCliInProcess(args);
    expect(text.code, text.stderr).toBe(0);
    const rows = text.stdout.split('\n').filter((l) => /^(logits|present)/.test(l));
    expect(rows.map((r) => r.split(/ {2,}/))).toEqual([
      ['logits', expect.stringMatching(/^\d+\.\d$/)],
      ['present.0..3.key/value (8 outputs)', lowest.toFixed(1)],
      [
        expect.stringMatching(
          /^present\.0\.\.3\.key\/value: the lowest SQNR of the 8 outputs, present\.\d\.(key|value)'s;/,
        ),
      ],
    ]);
  }, 60_000);

  it('asks for calibration data with exit 2', async () => {
    const r = await runCliInProcess(['sensitivity', files.model]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--calib-data');
  });
});
