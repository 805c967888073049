import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCliInProcess } from '../../cli/testing/run-cli.js';
import { type SlurmCluster, slurmUnavailable, startSlurmCluster } from '../testing/slurm-cluster.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { outlierSweepFlags, writeOutlierMlpCase } from '../testing/tune-fixtures.js';
import type { CollectedSweep } from './collect-sweep.js';

/*
 * A sweep run by a real single-node Slurm (slurm-wlm and munge, started here as root): sbatch runs the emitted
 * job array, each task the built CLI (`npm run build` first; `npm test` does), and --collect must give the same
 * choice as a local tune. Where Slurm cannot start, the test says why and is skipped.
 */

const unavailable = slurmUnavailable();
const built = fs.existsSync(path.join(repoRoot, 'out', 'electron', 'cli', 'bin.js'));
const skipReason = unavailable ?? (built ? undefined : 'the CLI is not built (npm run build)');
if (skipReason) console.warn(`SKIPPED: the Slurm sweep test: ${skipReason}.`);

let tmp: ReturnType<typeof makeTempDir>;
let cluster: SlurmCluster | undefined;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-slurm-sweep-');
  if (!skipReason) cluster = startSlurmCluster();
}, 90_000);
afterAll(() => {
  cluster?.stop();
  tmp.cleanup();
});

describe('a sweep on a single-node Slurm', () => {
  it.skipIf(skipReason !== undefined)(
    'sbatch runs the job array and --collect gives the local choice',
    async () => {
      const files = writeOutlierMlpCase(tmp.dir);
      const flags = outlierSweepFlags(files);
      // A folder name sbatch and the shell would each split or cut without their own quoting: a space, a `#`
      // (an #SBATCH comment), a `%` (an --output pattern), a quote and non-ASCII letters.
      const dir = path.join(tmp.dir, "swéep d'ir #1 50% 日本");
      const emitted = await runCliInProcess([
        'tune',
        files.model,
        '--emit',
        'slurm',
        dir,
        ...flags,
        '--cpus-per-task',
        '1',
        '--time',
        '00:10:00',
      ]);
      expect(emitted.code, emitted.stderr).toBe(0);
      const submit = spawnSync('sbatch', ['--wait', path.join(dir, 'sweep.sbatch')], {
        env: {
          ...cluster!.env,
          ONNX_STUDIO: `${process.execPath} ${path.join(repoRoot, 'bin', 'onnx-studio.js')}`,
        },
        encoding: 'utf8',
        timeout: 240_000,
      });
      const logs = fs.readdirSync(path.join(dir, 'results')).filter((f) => f.endsWith('.out'));
      expect(
        submit.status,
        `${submit.stdout}${submit.stderr}${logs.map((f) => fs.readFileSync(path.join(dir, 'results', f), 'utf8')).join('\n')}`,
      ).toBe(0);
      expect(logs.length).toBeGreaterThan(1);

      const collected = await runCliInProcess(['tune', '--collect', dir, '--json']);
      expect(collected.code, collected.stderr).toBe(0);
      const sweep = JSON.parse(collected.stdout) as CollectedSweep;
      expect(sweep.missing).toEqual([]);
      const outcome = sweep.machines[0]!.outcome;
      const local = await runCliInProcess([
        'tune',
        files.model,
        '-o',
        path.join(tmp.dir, 'local.onnx'),
        ...flags,
        '--json',
      ]);
      const localOutcome = JSON.parse(local.stdout) as { chosen: number; trials: { name: string }[] };
      expect(outcome.trials.find((t) => t.index === outcome.chosen)!.name).toBe(
        localOutcome.trials[localOutcome.chosen]!.name,
      );
    },
    300_000,
  );
});
