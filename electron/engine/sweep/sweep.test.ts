import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1';
import { runCliInProcess } from '../../cli/testing/run-cli.js';
import { encodeNpyArray } from '../datasets/npy-format.js';
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

/** --collect --json: each machine's outcome carries tune --json's `output` and `message` too. */
type Collected = Omit<CollectedSweep, 'machines'> & {
  machines: (CollectedSweep['machines'][number] & {
    outcome: CollectedSweep['machines'][number]['outcome'] & {
      output: string | null;
      message: string | null;
    };
  })[];
};

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
    const sweep = JSON.parse(collected.stdout) as Collected;
    expect(sweep.missing).toEqual([]);
    expect(sweep.machines.length).toBe(1);
    // Each machine's outcome reads as tune --json: where the choice went, and the skipped recipes' notes.
    expect(sweep.machines[0]!.outcome.output).toBe(out);
    expect(sweep.machines[0]!.outcome.message).toBeNull();
    expect(sweep.machines[0]!.outcome.stoppedBy).toBe('searched');
    expect(sweep.machines[0]!.outcome.notes.join('\n')).toMatch(
      /Not structured pruning: not without --allow-pruning/,
    );
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
    // A Ctrl+C that came before the trial listened (while the sweep was read) still stops it: exit 130,
    // nothing recorded, no staging folder left (it ran the whole trial before).
    const early = new AbortController();
    early.abort();
    const cancelled = await runCliInProcess(['trial', dir, '--index', '0'], early.signal);
    expect(cancelled.code, cancelled.stderr).toBe(130);
    expect(fs.readdirSync(path.join(dir, 'results'))).toEqual([]);
    // A task killed mid-way leaves a hidden staging folder; the next run of that index removes it and finishes.
    fs.mkdirSync(path.join(dir, 'results', '.0.99999', 'junk'), { recursive: true });
    expect((await runCliInProcess(['trial', dir, '--index', '0'])).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'results', '.0.99999'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'results', '0', 'result.json'))).toBe(true);
    const collected = await runCliInProcess(['tune', '--collect', dir, '--json']);
    const sweep = JSON.parse(collected.stdout) as Collected;
    expect(sweep.missing.length).toBe(sweep.trials - 1);
    expect(sweep.missing).not.toContain(0);
    // Not 'searched': most trials have no result yet.
    expect(sweep.machines[0]!.outcome.stoppedBy).toBe('incomplete');
    expect(sweep.machines[0]!.outcome.output).toBeNull();

    // A changed file is refused with a sweep's advice (recipes' --allow-changed-data is no flag of trial).
    const data = path.join(dir, 'inputs', path.basename(files.data));
    const original = fs.readFileSync(data);
    fs.appendFileSync(data, Buffer.from([0]));
    const changedData = await runCliInProcess(['trial', dir, '--index', '1']);
    expect(changedData.code).toBe(2);
    expect(changedData.stderr).toContain(
      `The evaluation data ${data} is not the file this sweep was emitted with`,
    );
    expect(changedData.stderr).toContain('emit the sweep again');
    expect(changedData.stderr).not.toContain('--allow-changed-data');
    fs.writeFileSync(data, original);
    fs.appendFileSync(path.join(dir, 'inputs', path.basename(files.model)), Buffer.from([0]));
    const changed = await runCliInProcess(['trial', dir, '--index', '1']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/sha256/);
    expect(changed.stderr).not.toContain('--allow-changed-data');
    expect((await runCliInProcess(['trial', dir, '--index', '99'])).code).toBe(2);
  }, 120_000);
});

describe('tune --emit and trial refusals', () => {
  it('emits no more trials than --max-trials, and collects them as a search stopped by it', async () => {
    const dir = path.join(tmp.dir, 'limited');
    const r = await runCliInProcess([
      'tune',
      files.model,
      '--emit',
      'slurm',
      dir,
      ...flags(),
      '--max-trials',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const emitted = JSON.parse(r.stdout) as { trials: unknown[]; beyondMaxTrials: string[] };
    expect(emitted.trials.length).toBe(1);
    expect(emitted.beyondMaxTrials.length).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(dir, 'trials'))).toEqual(['0.json']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')).trials).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'sweep.sbatch'), 'utf8')).toContain('#SBATCH --array=0-0\n');
    expect((await runCliInProcess(['trial', dir, '--index', '0'])).code).toBe(0);
    const collected = JSON.parse(
      (await runCliInProcess(['tune', '--collect', dir, '--json'])).stdout,
    ) as Collected;
    expect(collected.machines[0]!.outcome.stoppedBy).toBe('max-trials');
  }, 60_000);

  it("refuses the other scheduler's flags, and sweep flags without --emit", async () => {
    const slurm = await runCliInProcess([
      'tune',
      files.model,
      '--emit',
      'slurm',
      path.join(tmp.dir, 'img'),
      ...flags(),
      '--image',
      'x',
    ]);
    expect(slurm.code).toBe(2);
    expect(slurm.stderr).toContain('--image is for a Kubernetes sweep (--emit k8s), not --emit slurm');
    expect(fs.existsSync(path.join(tmp.dir, 'img'))).toBe(false);
    const local = await runCliInProcess([
      'tune',
      files.model,
      '-o',
      path.join(tmp.dir, 'p.onnx'),
      ...flags(),
      '--partition',
      'cpu',
    ]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--partition is for a Slurm sweep: use it with --emit slurm DIR');
    // A value its pattern refuses is quoted with the rule it breaks.
    const spaced = path.join(tmp.dir, 'spaced');
    const badPartition = await runCliInProcess([
      'tune',
      files.model,
      '--emit',
      'slurm',
      spaced,
      ...flags(),
      '--partition',
      'my part',
    ]);
    expect(badPartition.code).toBe(2);
    expect(badPartition.stderr).toContain(
      `--partition "my part": must be a partition name: letters, digits, '_', '.' and '-', no spaces.`,
    );
    expect(fs.existsSync(spaced)).toBe(false);
  });

  it('refuses a sweep folder that is a file, and data that does not fit the model, writing nothing', async () => {
    const file = path.join(tmp.dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const r = await runCliInProcess(['tune', files.model, '--emit', 'slurm', file, ...flags()]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${file} is a file: give a folder`);
    // The same refusal where DIR is written before MODEL, or is MODEL itself (the word after --emit's value is
    // DIR, wherever it stands): before, MODEL was taken as DIR, or the model was said to be missing.
    for (const args of [
      ['--emit', 'slurm', file, files.model],
      [files.model, '--emit', 'slurm', files.model],
    ]) {
      const again = await runCliInProcess(['tune', ...args, ...flags()]);
      expect(again.code, again.stderr).toBe(2);
      expect(again.stderr).toContain(`${args[2] === file ? file : files.model} is a file: give a folder`);
    }
    const wrong = path.join(tmp.dir, 'wrong.npy');
    fs.writeFileSync(wrong, encodeNpyArray(new Float32Array(5 * 7), 'float32', [5, 7]));
    const dir = path.join(tmp.dir, 'unfit');
    const unfit = await runCliInProcess([
      'tune',
      files.model,
      '--emit',
      'slurm',
      dir,
      ...flags(),
      '--data',
      wrong,
    ]);
    expect(unfit.code, unfit.stderr).toBe(2);
    expect(unfit.stderr).toContain('--data does not fit the model');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('takes the word after --emit slurm as DIR wherever MODEL is written', async () => {
    const dir = path.join(tmp.dir, 'dir-first');
    const r = await runCliInProcess(['tune', '--emit', 'slurm', dir, files.model, ...flags(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'inputs', path.basename(files.model)))).toBe(true);
    const lost = await runCliInProcess(['tune', files.model, '--emit', 'slurm', ...flags(), dir]);
    expect(lost.code).toBe(2);
    expect(lost.stderr).toContain('Give the sweep folder right after --emit slurm');
  });

  it('refuses a sweep folder under one that cannot be written (exit 2), before it makes anything', async () => {
    // /proc takes no new files, whoever runs the test (root passes any permission check).
    if (process.platform !== 'linux') return;
    const r = await runCliInProcess(['tune', files.model, '--emit', 'slurm', '/proc/sweep', ...flags()]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^onnx-studio: Cannot write the sweep folder \/proc\/sweep: the folder \/proc cannot be written \(.+\)\. Choose another folder\.$/m,
    );
    expect(r.stderr).not.toMatch(/internal error|ENOENT/);
  });

  it('prints commands that can be pasted: the sweep folder quoted for the shell, and for sbatch', async () => {
    const dir = path.join(tmp.dir, "ünï cödé/dïr with spaces 日本/it's #1 50%");
    const r = await runCliInProcess(['tune', files.model, '--emit', 'slurm', dir, ...flags()]);
    expect(r.code, r.stderr).toBe(0);
    const quoted = `'${dir.replace(/'/g, `'\\''`)}'`;
    expect(r.stdout).toContain(
      `Submit:         sbatch '${path.join(dir, 'sweep.sbatch').replace(/'/g, `'\\''`)}'`,
    );
    expect(r.stdout).toContain(`Each task runs: onnx-studio trial ${quoted} --index I`);
    expect(r.stdout).toContain(`Then:           onnx-studio tune --collect ${quoted} -o tuned.onnx`);
    const script = fs.readFileSync(path.join(dir, 'sweep.sbatch'), 'utf8');
    // sbatch's own rules: double quotes, a backslash before `"`, `\` and `#` (a comment otherwise), `%` doubled.
    const sbatchDir = dir.replace(/%/g, '%%').replace(/[\\"#]/g, '\\$&');
    expect(script).toContain(`#SBATCH --output="${sbatchDir}/results/slurm-%A_%a.out"\n`);
    expect(script).toContain(`trial ${quoted} --index`);
  });

  it('trial on a folder that holds no sweep says so before asking for --index', async () => {
    const r = await runCliInProcess(['trial', tmp.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${tmp.dir} holds no sweep`);
    expect(r.stderr).not.toContain('--index');
  });
});
