import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1';
import { runCliInProcess } from '../../cli/testing/run-cli.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { outlierSweepFlags, writeOutlierMlpCase } from '../testing/tune-fixtures.js';
import type { CollectedSweep } from './collect-sweep.js';

/*
 * A Kubernetes sweep end to end without a cluster: the manifest is validated against the Job schema, each index
 * runs exactly the container's arguments with JOB_COMPLETION_INDEX set (as the Job controller does), and the
 * collected choice equals a local tune's. The size objective keeps the choice independent of timing.
 */

let tmp: ReturnType<typeof makeTempDir>;
let files: ReturnType<typeof writeOutlierMlpCase>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-sweep-');
  files = writeOutlierMlpCase(tmp.dir);
});
afterAll(() => {
  delete process.env.JOB_COMPLETION_INDEX;
  tmp.cleanup();
});

const flags = () => outlierSweepFlags(files);

describe('tune --emit k8s, trial, tune --collect', () => {
  it('emits a valid Indexed Job whose trials, run by index, collect to the local choice', async () => {
    const dir = path.join(tmp.dir, 'sweep');
    const emitted = await runCliInProcess([
      'tune',
      files.model,
      '--emit',
      'k8s',
      dir,
      ...flags(),
      '--image',
      'onnx-studio:test',
      '--mount-path',
      dir,
      '--parallelism',
      '3',
      '--json',
    ]);
    expect(emitted.code, emitted.stderr).toBe(0);
    const manifest = parse(fs.readFileSync(path.join(dir, 'job.yaml'), 'utf8')) as Record<string, unknown>;
    const job = new Job(manifest as ConstructorParameters<typeof Job>[0]);
    job.validate();
    const { trials } = JSON.parse(emitted.stdout) as { trials: unknown[] };
    expect(job.spec!.completionMode).toBe('Indexed');
    expect(job.spec!.completions).toBe(trials.length);
    expect(job.spec!.parallelism).toBe(3);
    const args = job.spec!.template.spec!.containers[0]!.args!;
    expect(args.slice(0, 2)).toEqual(['trial', dir]);

    for (let index = 0; index < trials.length; index++) {
      process.env.JOB_COMPLETION_INDEX = String(index);
      const r = await runCliInProcess(args);
      expect(r.code, r.stderr).toBe(0);
    }
    delete process.env.JOB_COMPLETION_INDEX;
    // A finished index is left alone.
    const again = await runCliInProcess(['trial', dir, '--index', '0', '--json']);
    expect(JSON.parse(again.stdout).skipped).toBe(true);

    const out = path.join(tmp.dir, 'collected.onnx');
    const collected = await runCliInProcess(['tune', '--collect', dir, '-o', out, '--json']);
    expect(collected.code, collected.stderr).toBe(0);
    const sweep = JSON.parse(collected.stdout) as CollectedSweep;
    expect(sweep.missing).toEqual([]);
    expect(sweep.machines.length).toBe(1);
    const chosen = sweep.machines[0]!.outcome.trials.find(
      (t) => t.index === sweep.machines[0]!.outcome.chosen,
    )!;

    const local = await runCliInProcess([
      'tune',
      files.model,
      '-o',
      path.join(tmp.dir, 'local.onnx'),
      ...flags(),
      '--json',
    ]);
    expect(local.code, local.stderr).toBe(0);
    const localOutcome = JSON.parse(local.stdout) as {
      chosen: number;
      trials: { index: number; name: string }[];
    };
    expect(chosen.name).toBe(localOutcome.trials[localOutcome.chosen]!.name);
    expect(fs.readFileSync(out)).toEqual(
      fs.readFileSync(path.join(dir, 'results', String(chosen.index), 'variant.onnx')),
    );
  }, 180_000);

  it('lists missing indexes, restarts a half-written one cleanly, and refuses a changed model', async () => {
    const dir = path.join(tmp.dir, 'partial');
    expect(
      (await runCliInProcess(['tune', files.model, '--emit', 'slurm', dir, ...flags(), '--partition', 'cpu']))
        .code,
    ).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'sweep.sbatch'), 'utf8')).toMatch(
      /#SBATCH --array=0-\d+\n[\s\S]*#SBATCH --partition=cpu/,
    );
    // A task killed mid-way leaves a hidden staging folder; the next run of that index removes it and finishes.
    fs.mkdirSync(path.join(dir, 'results', '.0.99999', 'junk'), { recursive: true });
    expect((await runCliInProcess(['trial', dir, '--index', '0'])).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'results', '.0.99999'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'results', '0', 'result.json'))).toBe(true);
    const collected = await runCliInProcess(['tune', '--collect', dir, '--json']);
    const sweep = JSON.parse(collected.stdout) as CollectedSweep;
    expect(sweep.missing.length).toBe(sweep.trials - 1);
    expect(sweep.missing).not.toContain(0);

    fs.appendFileSync(path.join(dir, 'inputs', path.basename(files.model)), Buffer.from([0]));
    const changed = await runCliInProcess(['trial', dir, '--index', '1']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/sha256/);
    expect((await runCliInProcess(['trial', dir, '--index', '99'])).code).toBe(2);
  }, 120_000);
});
