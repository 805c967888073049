import { describe, expect, it } from 'vitest';
import type { JobInfo, JobSpec } from '../../../shared/ipc-contract.js';
import { targetsOf } from '../../../shared/job-targets.js';
import { activeJobReading } from './job-targets.js';

const modelPath = '/models/net.onnx';

function job(spec: JobSpec, state: JobInfo['state'] = 'running'): JobInfo {
  return { jobId: `j-${spec.kind}`, spec, state, createdAt: 0, lastSeq: 0 };
}

describe('job targets', () => {
  it('names every model a job reads', () => {
    expect(targetsOf({ kind: 'inspect', modelPath })).toEqual(['original']);
    expect(targetsOf({ kind: 'quantize', modelPath, method: 'fp16' })).toEqual(['original']);
    expect(targetsOf({ kind: 'prune', modelPath, source: 'v-1', method: 'magnitude', common: {} })).toEqual([
      'v-1',
    ]);
    expect(targetsOf({ kind: 'bench', modelPath, targets: ['original', 'v-2'] })).toEqual([
      'original',
      'v-2',
    ]);
    expect(
      targetsOf({
        kind: 'evaluate',
        modelPath,
        target: 'v-3',
        reference: 'original',
        data: { spec: { kind: 'synthetic', samples: 1 } },
      }),
    ).toEqual(['v-3', 'original']);
    expect(targetsOf({ kind: 'export', modelPath, target: 'v-4', outputPath: '/out/x.onnx' })).toEqual([
      'v-4',
    ]);
  });

  it('finds a queued or running job of the same model that reads the target, and nothing else', () => {
    const bench = job({ kind: 'bench', modelPath, targets: ['original', 'v-2'] });
    expect(activeJobReading([bench], '/models/../models/net.onnx', 'v-2')).toBe(bench);
    expect(activeJobReading([job(bench.spec, 'queued')], modelPath, 'v-2')?.state).toBe('queued');
    expect(activeJobReading([job(bench.spec, 'succeeded')], modelPath, 'v-2')).toBeUndefined();
    expect(activeJobReading([bench], '/models/other.onnx', 'v-2')).toBeUndefined();
    expect(activeJobReading([bench], modelPath, 'v-9')).toBeUndefined();
  });
});
