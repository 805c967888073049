import { describe, expect, it } from 'vitest';
import { cancelledText, jobCountsText, type JobOutcome } from './job-outcomes.js';

const job = (jobId: string, status: JobOutcome['status'], title = jobId, submittedAtMs = 1): JobOutcome => ({
  jobId,
  kind: 'export',
  title,
  modelPath: '/m.onnx',
  targets: [],
  status,
  submittedAtMs,
  fraction: status === 'done' ? 1 : 0.4,
  cancelRequested: false,
});

describe('the status bar counts', () => {
  it('says how the ended jobs ended: a cancelled job is not "finished", nor a failure a rerun made good', () => {
    const save = 'Export int8 to /out/a.onnx';
    const jobs = [
      job('f1', 'failed', save, 1),
      job('f2', 'failed', save, 2),
      job('ok', 'done', save, 3),
      job('c', 'cancelled'),
    ];
    expect(jobCountsText(jobs)).toBe('1 finished · 1 cancelled · 2 failed, then succeeded');
    expect(jobCountsText([job('a', 'done'), job('b', 'done')])).toBe('2 finished');
  });

  it('says what runs, waits and still stands failed while any does', () => {
    const jobs = [job('r', 'running'), job('q', 'queued'), job('f', 'failed', 'Quantize'), job('d', 'done')];
    expect(jobCountsText(jobs)).toBe('1 running · 1 queued · 1 failed');
  });

  it('counts a job that partly failed (a browser benchmark with models it could not run) apart from the finished', () => {
    const partly = { ...job('w', 'done'), partial: '1 of 6 models not measured' };
    expect(jobCountsText([partly, job('d', 'done')])).toBe('1 partly failed · 1 finished');
    expect(jobCountsText([partly, job('r', 'running')])).toBe('1 running · 1 partly failed');
    expect(jobCountsText([partly])).toBe('1 partly failed');
  });
});

describe('a cancelled job in the list', () => {
  it('says how far it got, and that the user asked when this page did', () => {
    expect(cancelledText({ fraction: 0.4, cancelRequested: true })).toBe('Cancelled by you at 40%');
    expect(cancelledText({ fraction: 0, cancelRequested: false })).toBe('Cancelled at 0%');
  });
});
