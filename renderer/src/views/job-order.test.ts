import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../state/studio-state.js';
import { jobsNewestFirst } from './job-list.js';

const job = (jobId: string, submittedAtMs: number, status: JobRecord['status'] = 'running'): JobRecord =>
  ({ jobId, submittedAtMs, status, title: jobId, kind: 'bench', modelPath: '/m.onnx', targets: [], fraction: 0, stage: '', notes: [], cancelRequested: false, lastSeq: 0 }) as JobRecord;

describe('jobsNewestFirst', () => {
  it('orders by submission, newest first, ties by id, whatever the array order or the jobs state', () => {
    const a = job('a', 1), b = job('b', 2, 'done'), c = job('c', 2, 'failed'), d = job('d', 3);
    expect(jobsNewestFirst([a, b, c, d]).map((j) => j.jobId)).toEqual(['d', 'c', 'b', 'a']);
    expect(jobsNewestFirst([c, a, d, b]).map((j) => j.jobId)).toEqual(['d', 'c', 'b', 'a']);
  });
});

import { titleForSpec } from '../state/use-studio.js';

describe('titleForSpec', () => {
  it("names variants by their display name from the job's own workspace, never by id", () => {
    const names = (t: string) => ({ 'v-080c38abe3': 'int8-dynamic' })[t] ?? t;
    expect(titleForSpec({ kind: 'bench', modelPath: '/m/ocr.onnx', targets: ['original', 'v-080c38abe3'] }, names)).toBe(
      'Benchmark original + int8-dynamic (cpu)',
    );
    expect(titleForSpec({ kind: 'evaluate', modelPath: '/m/ocr.onnx', target: 'v-080c38abe3', data: { spec: { kind: 'synthetic', samples: 4 } } }, names)).toBe(
      'Evaluate int8-dynamic',
    );
  });
});
