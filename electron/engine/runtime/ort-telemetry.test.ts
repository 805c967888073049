import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../cli/testing/run-cli.js';
import { buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';

/*
 * onnxruntime's telemetry stays off in our sessions: its uploader's trace file (`mat-debug-<pid>.log` in the
 * temp folder) is the visible sign. A session made straight through onnxruntime in the same conditions shows
 * that the file appears when telemetry is on, so the check can fail.
 *
 * onnxruntime keeps its telemetry quiet on CI machines, which it recognises by these variables (the names are
 * in its library's strings); CI sets some of them, so the control runs without them.
 */
const CI_VARIABLES = [
  'CI',
  'TF_BUILD',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'CIRCLECI',
  'TRAVIS',
  'JENKINS_URL',
  'CODEBUILD_BUILD_ID',
  'BUILDKITE',
  'TEAMCITY_VERSION',
  'APPVEYOR',
  'BITBUCKET_BUILD_NUMBER',
];

const tmp = makeTempDir('onnx-studio-ort-telemetry-');
afterAll(() => tmp.cleanup());

function runIn(folder: string, script: string, env: NodeJS.ProcessEnv): void {
  fs.mkdirSync(folder);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...env, TMPDIR: folder },
  });
  expect(r.status, r.stderr).toBe(0);
}

const traces = (folder: string) => fs.readdirSync(folder).filter((f) => f.startsWith('mat-debug-'));

describe("onnxruntime's telemetry", () => {
  const model = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(model, modelBytes(buildMlp()));
  const env = { ...process.env };
  delete env.ORT_DISABLE_TELEMETRY;
  for (const name of CI_VARIABLES) delete env[name];

  it('is off in sessions ONNX Studio creates, and on by default in onnxruntime itself', () => {
    const ours = path.join(tmp.dir, 'ours');
    runIn(
      ours,
      `import { createSession } from './electron/engine/runtime/create-session.ts';
       await (await createSession(${JSON.stringify(model)})).release();`,
      env,
    );
    expect(traces(ours)).toEqual([]);

    const plain = path.join(tmp.dir, 'plain');
    runIn(
      plain,
      `import * as ort from 'onnxruntime-node';
       await (await ort.InferenceSession.create(${JSON.stringify(model)})).release();`,
      env,
    );
    expect(traces(plain)).toHaveLength(1);
  });
});
