import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeepMlp, modelBytes } from '../engine/testing/model-fixtures.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { writeOutlierMlpCase } from '../engine/testing/tune-fixtures.js';
import { cancelOnSignals, SAME_SIGNAL_MS, signalExitCode } from './cancel-signals.js';
import { repoRoot, startCliProcess } from './testing/run-cli.js';

/*
 * SIGTERM (what `timeout`, `kill`, CI limits, `docker stop`, Kubernetes and Slurm send) and SIGHUP cancel a command
 * as Ctrl+C does, and a cancellation that lands before the output is renamed into place wins. A user test found
 * SIGTERM leaving temporary files and tune's temporary folder behind (exit by signal), and a Ctrl+C during the
 * final write of quantize (or run's export) ignored: exit 0, output written.
 */

class FakeProcess extends EventEmitter {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
    this.emit('exit');
  }
}

describe('cancelOnSignals', () => {
  it('SIGINT, SIGTERM and SIGHUP each cancel; a cancellation exits 128 + the signal number', () => {
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      const fake = new FakeProcess();
      const cancel = cancelOnSignals(fake, () => undefined);
      expect(cancel.signal.aborted).toBe(false);
      expect(cancel.exitCode(130)).toBe(130);
      fake.emit(signal, signal);
      expect(cancel.signal.aborted, signal).toBe(true);
      expect(signalExitCode(signal)).toBe(code);
      expect(cancel.exitCode(130)).toBe(code);
      // A command that finished anyway (the signal came after its output was in place) ends as it ended.
      expect(cancel.exitCode(0)).toBe(0);
      expect(cancel.exitCode(2)).toBe(2);
      expect(fake.exits).toEqual([]);
    }
  });

  it('the same request twice (timeout signals the process, then its group) is one; a later one exits at once', async () => {
    const fake = new FakeProcess();
    const order: string[] = [];
    const cancel = cancelOnSignals(fake, () => order.push('temporaries removed'));
    // As engine-transport.ts does for each child process it starts.
    fake.once('exit', () => order.push('children killed'));
    fake.emit('SIGTERM', 'SIGTERM');
    fake.emit('SIGTERM', 'SIGTERM');
    expect(cancel.signal.aborted).toBe(true);
    expect(fake.exits).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, SAME_SIGNAL_MS + 100));
    fake.emit('SIGINT', 'SIGINT');
    expect(fake.exits).toEqual([130]);
    expect(order).toEqual(['children killed', 'temporaries removed']);
  });
});

/*
 * The CLI as a process (from source, through tsx), signalled the moment its output's temporary file appears. A
 * slow disk (testing/slow-disk.ts) keeps that file there long enough for the signal to land while it is written,
 * whatever the machine's speed.
 */
describe('the onnx-studio process, signalled while it writes its output', () => {
  const tmp = makeTempDir('onnx-studio-signals-');
  const slowDisk = path.join(repoRoot, 'electron/cli/testing/slow-disk.ts');
  let model: string;
  let modelSha: string;
  beforeAll(() => {
    model = path.join(tmp.dir, 'mlp.onnx');
    // 16 MiB of weights: an 8 MiB float16 output, written at 200 ms a MiB.
    fs.writeFileSync(model, modelBytes(buildDeepMlp({ layers: 4, width: 1024 })));
    modelSha = sha256(model);
  });
  afterAll(() => tmp.cleanup());

  function sha256(file: string): string {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }

  const temps = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('.') && f.endsWith('.tmp'));

  /** Sends `signal` once `ready()` holds (polled every 5 ms); false if the process ended first. */
  async function signalWhen(
    child: ChildProcess,
    ready: () => boolean,
    signal: NodeJS.Signals,
  ): Promise<boolean> {
    while (child.exitCode === null && child.signalCode === null) {
      if (ready()) return child.kill(signal);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return false;
  }

  for (const [method, signal, code] of [
    ['fp16', 'SIGTERM', 143],
    ['int8-weight', 'SIGINT', 130],
  ] as const) {
    it(`quantize --method ${method}, ${signal} while the output is written: exit ${code}, nothing written`, async () => {
      const dir = path.join(tmp.dir, method);
      fs.mkdirSync(dir);
      const output = path.join(dir, 'out.onnx');
      const { child, ended } = startCliProcess(['quantize', model, '-o', output, '--method', method], {
        imports: [slowDisk],
        env: { ONNX_STUDIO_TEST_WRITE_MS_PER_MIB: '200' },
      });
      expect(await signalWhen(child, () => temps(dir).length > 0, signal)).toBe(true);
      const r = await ended;
      expect(r.stderr).toMatch(/onnx-studio: Quantization was cancelled\.\n$/);
      expect(r.code).toBe(code);
      expect(fs.readdirSync(dir)).toEqual([]);
      expect(sha256(model)).toBe(modelSha);
    });
  }

  /** A recipe that exports the source as final.onnx, beside a copy of the source, in a folder of its own. */
  function exportRecipe(name: string): { dir: string; recipe: string } {
    const dir = path.join(tmp.dir, name);
    fs.mkdirSync(dir);
    fs.copyFileSync(model, path.join(dir, 'mlp.onnx'));
    const recipe = path.join(dir, 'recipe.json');
    fs.writeFileSync(
      recipe,
      JSON.stringify({
        version: 1,
        tool: 'onnx-studio',
        source: { name: 'mlp.onnx', sha256: modelSha },
        inputs: {},
        steps: [{ kind: 'export', name: 'final.onnx' }],
      }),
    );
    return { dir, recipe };
  }

  it("run: SIGINT while the export's copy is not yet renamed into place: exit 130, no final.onnx", async () => {
    const { dir, recipe } = exportRecipe('run-export');
    const { child, ended } = startCliProcess(['run', recipe, '--out', dir], {
      imports: [slowDisk],
      env: { ONNX_STUDIO_TEST_COPY_MS: '1500' },
    });
    expect(await signalWhen(child, () => temps(dir).length > 0, 'SIGINT')).toBe(true);
    const r = await ended;
    expect(r.stderr).toMatch(/onnx-studio: Stopped at step 1 of 1 \(export\)/);
    expect(r.code).toBe(130);
    expect(fs.readdirSync(dir).sort()).toEqual(['mlp.onnx', 'recipe.json']);
  });

  it('a second SIGTERM while the first one waits for the copy exits at once, removing the temporary file', async () => {
    const { dir, recipe } = exportRecipe('run-twice');
    const { child, ended } = startCliProcess(['run', recipe, '--out', dir], {
      imports: [slowDisk],
      env: { ONNX_STUDIO_TEST_COPY_MS: '30000' },
    });
    expect(await signalWhen(child, () => temps(dir).length > 0, 'SIGTERM')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, SAME_SIGNAL_MS + 200));
    const second = performance.now();
    child.kill('SIGTERM');
    const r = await ended;
    expect(performance.now() - second).toBeLessThan(5000);
    expect(r.code).toBe(143);
    expect(fs.readdirSync(dir).sort()).toEqual(['mlp.onnx', 'recipe.json']);
  });

  it("tune: SIGTERM during the search exits 143 and removes its temporary folder (the trials' workspaces)", async () => {
    const dir = path.join(tmp.dir, 'tune');
    const tmpdir = path.join(dir, 'tmp');
    fs.mkdirSync(tmpdir, { recursive: true });
    const files = writeOutlierMlpCase(dir);
    const { child, ended } = startCliProcess(
      [
        'tune',
        files.model,
        '-o',
        path.join(dir, 'tuned.onnx'),
        '--data',
        files.data,
        '--calib-data',
        files.calib,
        '--min-cosine',
        '0.99',
      ],
      { env: { TMPDIR: tmpdir } },
    );
    // Once a trial has written its variant into its workspace (a folder may go while it is listed: not yet, then).
    const variantWritten = () => {
      try {
        return fs
          .readdirSync(tmpdir, { recursive: true, encoding: 'utf8' })
          .some((f) => f.startsWith('onnx-studio-tune-') && f.endsWith('.onnx'));
      } catch {
        return false;
      }
    };
    expect(await signalWhen(child, variantWritten, 'SIGTERM')).toBe(true);
    const r = await ended;
    expect(r.code, r.stderr).toBe(143);
    expect(fs.readdirSync(tmpdir).filter((f) => f.startsWith('onnx-studio-tune-'))).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('tuned'))).toEqual([]);
  });
});
