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
      'Benchmark original, int8-dynamic (onnxruntime-node, cpu)',
    );
    expect(titleForSpec({ kind: 'evaluate', modelPath: '/m/ocr.onnx', target: 'v-080c38abe3', data: { spec: { kind: 'synthetic', samples: 4 } } }, names)).toBe(
      'Evaluate int8-dynamic',
    );
  });
});

import { jobsForList, openFailures } from './job-list.js';

describe('failures in the jobs list', () => {
  const titled = (jobId: string, at: number, status: JobRecord['status'], title: string): JobRecord => ({ ...job(jobId, at, status), title });

  it('lists the failures that stand first, then active jobs, then the finished ones, newest first in each', () => {
    const jobs = [
      titled('f1', 1, 'failed', 'Benchmark a'),
      titled('d1', 2, 'done', 'Evaluate b'),
      titled('d2', 3, 'done', 'Evaluate c'),
      titled('r1', 4, 'running', 'Evaluate d'),
      titled('f2', 5, 'failed', 'Evaluate e'),
      titled('d3', 6, 'done', 'Evaluate f'),
    ];
    expect(jobsForList(jobs).map((j) => j.jobId)).toEqual(['f2', 'f1', 'r1', 'd3', 'd2', 'd1']);
  });

  it('stops counting a failure once a later run of the same work succeeded', () => {
    const failed = titled('f1', 1, 'failed', 'Benchmark original + int8 (cpu)');
    const rerun = titled('d1', 2, 'done', 'Benchmark original + int8 (cpu)');
    const other = titled('f2', 3, 'failed', 'Evaluate int8');
    expect(openFailures([failed, other]).map((j) => j.jobId)).toEqual(['f1', 'f2']);
    expect(openFailures([failed, rerun, other]).map((j) => j.jobId)).toEqual(['f2']);
    // A rerun that failed too, or of another model, does not make it good.
    expect(openFailures([failed, { ...rerun, status: 'failed' }]).map((j) => j.jobId)).toEqual(['f1', 'd1']);
    expect(openFailures([failed, { ...rerun, modelPath: '/other.onnx' }]).map((j) => j.jobId)).toEqual(['f1']);
    // Made good, it goes down among the finished ones.
    expect(jobsForList([failed, rerun, other]).map((j) => j.jobId)).toEqual(['f2', 'd1', 'f1']);
  });
});

import { workspaceTargetName } from '../state/job-titles.js';
import type { Workspace } from '../../../shared/workspace.js';

describe('job titles after a reload', () => {
  it("name an Auto-optimize trial's removed variant by the trial, never by id", () => {
    const ws = {
      variants: [{ id: 'v-080c38abe3', name: 'int8-dynamic' }],
      tunes: [{ trials: [{ index: 2, name: 'int8-static percentile per-channel', variantId: 'v-2635a93423' }] }],
    } as unknown as Workspace;
    const names = (t: string) => workspaceTargetName(ws, t);
    expect(titleForSpec({ kind: 'bench', modelPath: '/m/a.onnx', targets: ['original', 'v-2635a93423'] }, names)).toBe(
      'Benchmark original, int8-static percentile per-channel (onnxruntime-node, cpu)',
    );
    // A variant nobody can name any more is not shown by its id.
    expect(titleForSpec({ kind: 'bench', modelPath: '/m/a.onnx', targets: ['original', 'v-dc6801f497'] }, names)).toBe(
      'Benchmark original, a removed variant (onnxruntime-node, cpu)',
    );
    expect(titleForSpec({ kind: 'evaluate', modelPath: '/m/a.onnx', target: 'v-080c38abe3', data: { spec: { kind: 'synthetic', samples: 4 } } }, names)).toBe(
      'Evaluate int8-dynamic',
    );
    expect(workspaceTargetName(ws, 'v-unknown')).toBeUndefined();
    expect(workspaceTargetName(null, 'v-080c38abe3')).toBeUndefined();
  });
});

describe('the same work under two titles', () => {
  it('matches a failure and its rerun by what they measure, not by title (a reload re-titles a job)', () => {
    const bench = (jobId: string, at: number, status: JobRecord['status'], title: string, provider = 'cpu'): JobRecord => ({
      ...job(jobId, at, status),
      title,
      targets: ['original', 'v-1'],
      measurement: { engine: 'onnxruntime-node', provider },
    });
    // The page titled the failure when it submitted it; the backend's title came with the rerun after a reload.
    const failed = bench('f1', 1, 'failed', 'Benchmark original + int8 (onnxruntime-node, cpu)');
    const rerun = bench('d1', 2, 'done', 'Benchmark original + int8 (cpu)');
    expect(openFailures([failed, rerun])).toEqual([]);
    // Another provider, or other targets, is other work.
    expect(openFailures([failed, { ...rerun, measurement: { engine: 'onnxruntime-node', provider: 'cuda' } }])).toEqual([failed]);
    expect(openFailures([failed, { ...rerun, targets: ['original', 'v-2'] }])).toEqual([failed]);
  });
});

import { failureHint } from './job-status-bar.js';

describe('the status bar failure hint', () => {
  const failedOn = (jobId: string, modelPath: string): JobRecord => ({ ...job(jobId, 1, 'failed'), modelPath });

  it('says the same count as the bar, with how many are new, never a second count of its own', () => {
    const failed = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => failedOn(id, '/m.onnx'));
    // Four seen, two new: the bar says "6 failed", so does the hint.
    expect(failureHint(failed, 2, '/m.onnx')).toBe('6 jobs failed, 2 new: open the list to see why.');
    expect(failureHint(failed, 6, '/m.onnx')).toBe('6 jobs failed: open the list to see why.');
    expect(failureHint(failed.slice(0, 1), 1, '/m.onnx')).toBe('A job failed: open the list to see why.');
  });

  it('counts every model, and says how many are of the open one when others failed too', () => {
    const failed = [
      ...['a', 'b', 'c', 'd'].map((id) => failedOn(id, '/ocr.onnx')),
      failedOn('e', '/custom.onnx'),
      failedOn('f', '/custom.onnx'),
    ];
    expect(failureHint(failed, 2, '/audio.onnx')).toBe(
      '6 jobs failed across all models (0 on this one), 2 new: open the list to see why.',
    );
    expect(failureHint(failed, 6, '/ocr.onnx')).toBe(
      '6 jobs failed across all models (4 on this one): open the list to see why.',
    );
  });
});

import { jobWhatToDo, JOB_WHAT_TO_DO } from './error-panel.js';

describe('what to do about a failed job', () => {
  it("gives an export's IO failure the export's advice (where it writes), other jobs' the reading advice", () => {
    expect(jobWhatToDo('export').IO).toMatch(/folder exists, that you may write there/);
    expect(jobWhatToDo('export').IO).not.toMatch(/files the job reads/);
    expect(jobWhatToDo('export').BAD_REQUEST).toMatch(/destination path/);
    expect(jobWhatToDo('bench').IO).toBe(JOB_WHAT_TO_DO.IO);
    expect(jobWhatToDo('evaluate').BAD_INPUT).toBe(JOB_WHAT_TO_DO.BAD_INPUT);
  });
});
