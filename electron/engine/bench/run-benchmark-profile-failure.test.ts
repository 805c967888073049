import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { benchParams, runBenchmark } from './run-benchmark.js';

// A profile pass that fails after the timing, as onnxruntime's profiler or an unreadable trace could.
vi.mock('./profile-pass.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./profile-pass.js')>()),
  recordProfiles: () => Promise.reject(new Error('no trace file was written')),
}));

describe('runBenchmark with a profile pass that fails', () => {
  const tmp = makeTempDir('onnx-studio-profile-failure-');
  const mlp = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(mlp, modelBytes(buildMlp()));
  afterAll(() => tmp.cleanup());

  it('keeps the finished timing, without a profile, and says why there is none', async () => {
    const warnings: string[] = [];
    const report = await runBenchmark(
      benchParams({ models: [mlp, mlp], warmup: 0, iterations: 5, intraOpThreads: 1, profile: true }),
      { onLog: (level, message) => level === 'warn' && warnings.push(message) },
    );
    expect(report.results).toHaveLength(2);
    for (const r of report.results) {
      expect(r.iterations).toBe(5);
      expect(r.p50Ms).toBeGreaterThan(0);
      expect(r.profile).toBeUndefined();
    }
    expect(report.comparisons).toHaveLength(1);
    const note = report.notes.find((n) => n.startsWith('the profile pass failed'));
    expect(note).toContain('no trace file was written');
    expect(warnings).toContain(note);
  });
});
