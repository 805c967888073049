import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../cli/testing/run-cli.js';
import { buildSpeechGateModel } from '../testing/awkward-models.js';
import { modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';

/*
 * onnxruntime's own log lines stay off stderr in sessions ONNX Studio creates, while our error still carries
 * onnxruntime's reason. They go to the process's stderr from native code, so the checks run in a child process.
 * A session made straight through onnxruntime, with its default logging, prints the line: the check can fail.
 */

const tmp = makeTempDir('onnx-studio-ort-logging-');
afterAll(() => tmp.cleanup());

function run(script: string): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr };
}

describe("onnxruntime's own logging", () => {
  // Reshape to [-1, 64] fails at run time on 100 samples.
  const model = path.join(tmp.dir, 'speech.onnx');
  fs.writeFileSync(model, modelBytes(buildSpeechGateModel()));
  const feeds = `{
    audio: new ort.Tensor('float32', new Float32Array(100), [1, 100]),
    sr: new ort.Tensor('int64', BigInt64Array.of(16000n), [1]),
  }`;

  it('is silent in sessions ONNX Studio creates, and our error carries its reason', () => {
    const { stdout, stderr } = run(
      `import * as ort from 'onnxruntime-node';
       import { createSession } from './electron/engine/runtime/create-session.ts';
       import { runExplained } from './electron/engine/runtime/run-failure.ts';
       const session = await createSession(${JSON.stringify(model)});
       try { await runExplained(session, ${feeds}, 'speech.onnx'); } catch (e) { console.log(e.message); }
       await session.release();`,
    );
    expect(stderr).not.toMatch(/onnxruntime|ExecuteKernel/);
    // Nor its colour codes (ESC [).
    expect(stderr).not.toContain('\u001b[');
    expect(stdout).toContain(
      "Node 'frame' (Reshape) failed: The input tensor cannot be reshaped to the requested shape.",
    );
    expect(stdout).toContain('Input shape:{1,100}, requested shape:{-1,64}');
  });

  it('prints a line in a session made straight through onnxruntime', () => {
    const { stdout, stderr } = run(
      `import * as ort from 'onnxruntime-node';
       const session = await ort.InferenceSession.create(${JSON.stringify(model)});
       try { await session.run(${feeds}); } catch (e) { console.log(e.message); }
       await session.release();`,
    );
    expect(stderr).toMatch(/\[E:onnxruntime:.*ExecuteKernel\] Non-zero status code/);
    expect(stdout).toContain('cannot be reshaped');
  });
});
