import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SensitivityReport } from '../../../shared/sensitivity.js';
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
    const r = await runCliInProcess([
      'sensitivity',
      files.model,
      '--calib-data',
      files.calib,
      '--data',
      files.data,
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

  it('asks for calibration data with exit 2', async () => {
    const r = await runCliInProcess(['sensitivity', files.model]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--calib-data');
  });
});
