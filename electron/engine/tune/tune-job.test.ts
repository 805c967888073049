import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioBackend } from '../jobs/studio-backend.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { writeOutlierMlpCase } from '../testing/tune-fixtures.js';

/*
 * The app's Auto-optimize (a `tune` job) refuses what would fail every trial alike before it starts the search,
 * as `onnx-studio tune` does: here, an execution provider this machine lacks.
 */

let tmp: ReturnType<typeof makeTempDir>;
let files: ReturnType<typeof writeOutlierMlpCase>;
let backend: StudioBackend;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-tune-job-');
  files = writeOutlierMlpCase(tmp.dir, { samples: 8 });
  backend = new StudioBackend({
    dataDir: path.join(tmp.dir, 'workspace'),
    host: 'serve',
    version: 'test',
    capabilities: { nativeDialogs: false, fileBrowser: false, upload: false },
  });
});
afterAll(async () => {
  await backend.dispose();
  tmp.cleanup();
});

describe('the app’s tune job', () => {
  it('refuses an execution provider this machine lacks before the search, saying what to do', async () => {
    const missing = process.platform === 'win32' ? 'coreml' : 'dml';
    const error = await backend.runner
      .run(
        {
          kind: 'tune',
          modelPath: files.model,
          options: { minCosine: 0.9, ep: missing },
          evaluation: { spec: { kind: 'npy', path: path.basename(files.data) }, baseDir: tmp.dir },
        },
        'Auto-optimize',
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    const message = (error as Error).message;
    expect(message).toContain(`The ${missing} execution provider is not available here`);
    // What to do in the app, not a command line.
    expect(message).toContain('start it again on cpu');
    expect(message).not.toContain('onnx-studio bench');
    // Refused up front: no trial job, and no tune run recorded in the workspace.
    expect(backend.jobs.list().map((j) => j.spec.kind)).toEqual(['tune']);
    const ws = await backend.store.get(files.model);
    expect(ws.tunes ?? []).toEqual([]);
    expect(ws.variants).toEqual([]);
  }, 60_000);
});
