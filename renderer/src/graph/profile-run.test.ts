import { describe, expect, it } from 'vitest';
import type { BenchProfile } from '../../../shared/bench.js';
import type { BenchRecord } from '../../../shared/workspace.js';
import { benchRecord, workspace } from '../state/test-fixtures.js';
import { latestProfiledRun, profiledRunLine } from './profile-run.js';

const profile: BenchProfile = {
  byOpType: [{ opType: 'Conv', ms: 1, pct: 100 }],
  topNodes: [],
  nodes: [],
  runs: 10,
};

/** A benchmark of the original at local time `hour:minute` on 2026-12-07, profiled or not. */
function run(id: string, hour: number, minute: number, profiled: boolean, extra: Partial<BenchRecord> = {}) {
  const record = benchRecord(id, 'cpu', { original: 1 });
  record.createdAt = new Date(2026, 11, 7, hour, minute).toISOString();
  if (profiled) record.results[0]!.profile = profile;
  return { ...record, ...extra };
}

describe('the benchmark the kernel-time overlay comes from', () => {
  const inputs = [{ name: 'x', dtype: 'float32', shape: [1, 3, 32, 32] }];
  const ws = workspace({
    benchmarks: [
      run('b1', 6, 58, true),
      run('b2', 7, 12, true, { inputs }),
      // Later, but not profiled; and one profiled that recorded no kernel time.
      run('b3', 7, 30, false),
      run('b4', 7, 40, false),
    ],
  });
  ws.benchmarks[3]!.results[0]!.profile = { ...profile, byOpType: [] };

  it('is the latest profiled one, named by when it ran, where, and on what inputs', () => {
    const found = latestProfiledRun(ws, 'original')!;
    expect(found.record.id).toBe('b2');
    expect(found.profiledRuns).toBe(2);
    expect(profiledRunLine(found, new Date(2026, 11, 7, 9, 0))).toBe(
      'Kernel time from the profiled benchmark of 07:12 (onnxruntime-node · cpu, x 1x3x32x32), the latest of 2 of this graph.',
    );
  });

  it('gives the date of a run from another day, and the dataset a run was fed', () => {
    const fed = workspace({
      benchmarks: [run('b1', 7, 5, true, { dataset: { name: 'digits.npz', samples: 360, sha256: 'ab' } })],
    });
    const found = latestProfiledRun(fed, 'original')!;
    expect(profiledRunLine(found, new Date(2026, 11, 8, 9, 0))).toBe(
      'Kernel time from the profiled benchmark of 2026-12-07 07:05 (onnxruntime-node · cpu, on digits.npz (360 samples)).',
    );
  });

  it('is none for a graph no benchmark profiled', () => {
    expect(latestProfiledRun(ws, 'v-1')).toBeUndefined();
    expect(latestProfiledRun(null, 'original')).toBeUndefined();
  });
});
