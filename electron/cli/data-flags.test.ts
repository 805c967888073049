import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec, TerminalJobEvent } from '../../shared/ipc-contract.js';
import type { QuantizeReportInfo } from '../../shared/job-reports.js';
import type { VariantJobResult } from '../../shared/job-results.js';
import type { StudioBackend } from '../engine/jobs/studio-backend.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { testBackend } from '../engine/testing/test-backend.js';
import { tinyDigits } from '../engine/testing/tiny-digits.js';
import { parseDataFlags } from './data-flags.js';
import { runCliInProcess } from './testing/run-cli.js';

const sample = tinyDigits();
let tmp: ReturnType<typeof makeTempDir>;

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-data-flags-');
});

afterAll(() => tmp.cleanup());

const CALIBRATION = { dataFlag: 'calib-data', samplesFlag: 'calib-samples', realDataCount: 'read' } as const;

describe('parseDataFlags', () => {
  it("records eval's --samples as the data's limit, and --calib-samples only as the option that records it", async () => {
    const npy = path.join(tmp.dir, 'x.npy');
    fs.writeFileSync(npy, '');
    const evaluation = await parseDataFlags(npy, { samples: '8' });
    expect(evaluation.spec).toEqual({ kind: 'npy', path: npy, limit: 8 });
    expect(evaluation.readLimit).toBeUndefined();
    // int8-static records the count as its calibSamples: the data's spec stays as the app records it.
    const calibration = await parseDataFlags(npy, { 'calib-samples': '8' }, CALIBRATION);
    expect(calibration.spec).toEqual({ kind: 'npy', path: npy });
    expect(calibration.readLimit).toBe(8);
    // A synthetic set's count is its size, in its spec either way.
    const synthetic = await parseDataFlags('synthetic', { 'calib-samples': '8' }, CALIBRATION);
    expect(synthetic.spec).toEqual({ kind: 'synthetic', samples: 8, seed: 0 });
    expect(synthetic.readLimit).toBeUndefined();
    // A spec file keeps its own limit; the count bounds the reading only.
    const specFile = path.join(tmp.dir, 'calib.json');
    fs.writeFileSync(specFile, JSON.stringify({ kind: 'npy', path: 'x.npy', limit: 20 }));
    const fromFile = await parseDataFlags(specFile, { 'calib-samples': '8' }, CALIBRATION);
    expect(fromFile.spec).toEqual({ kind: 'npy', path: 'x.npy', limit: 20 });
    expect(fromFile.readLimit).toBe(8);
    expect((await parseDataFlags(specFile, { samples: '8' })).spec).toMatchObject({ limit: 8 });
  });
});

describe("the app's command for a variant calibrated on real data", () => {
  let backend: StudioBackend;
  beforeAll(() => {
    backend = testBackend(tmp.dir);
  });
  afterAll(async () => {
    await backend.dispose();
  });

  async function made(spec: JobSpec): Promise<VariantJobResult<QuantizeReportInfo>> {
    const started = await backend.dispatch('studio:job.start', spec);
    if (!started.ok) throw new Error(started.error.message);
    const end = (await backend.jobs.whenDone(started.value.jobId)) as TerminalJobEvent<
      VariantJobResult<QuantizeReportInfo>
    >;
    if (end.type !== 'result') throw new Error(`quantize ended ${end.type}: ${JSON.stringify(end)}`);
    return end.result;
  }

  it('records the recipe the app recorded, so it makes the same file byte for byte (a user test)', async () => {
    const model = path.join(tmp.dir, 'digits.onnx');
    fs.copyFileSync(sample.modelPath, model);
    const app = await made({
      kind: 'quantize',
      modelPath: model,
      method: 'int8-static',
      calibration: sample.data,
      options: { calibSamples: 8, calibMethod: 'minmax' },
    });
    const command = app.variant.cliCommand;
    expect(command).toMatch(/--calib-samples 8 .*--calib-data \S+test-inputs\.npy/);
    // The paths of this test have no spaces: the command splits on them as a shell would.
    const args = command.replace(/^onnx-studio /, '').split(' ');
    const output = args[args.indexOf('-o') + 1]!;
    const again = await runCliInProcess(args);
    expect(again.code, again.stderr).toBe(0);
    // The recipe the command recorded is the app's: the count once, as calibSamples (it was also the data's limit).
    const recipeOf = async (file: string) =>
      JSON.parse((await runCliInProcess(['recipe', file])).stdout) as unknown;
    expect(await recipeOf(output)).toEqual(await recipeOf(app.variant.path));
    expect(fs.readFileSync(output).equals(fs.readFileSync(app.variant.path))).toBe(true);
  });
});
