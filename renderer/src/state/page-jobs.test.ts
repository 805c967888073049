/**
 * The page's own jobs outlive a reload: a browser benchmark (which the backend never hears of) was gone from the
 * list after one, with the only word of a run in which every model failed (app user test, "Left" of the last note).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isPageJob, loadPageJobs, pageJobId, savePageJobs, STOPPED_BY_RELOAD } from './page-jobs.js';
import type { JobRecord } from './studio-state.js';

/** sessionStorage as the browser has it: strings by key. */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const job = (jobId: string, status: JobRecord['status'], extra: Partial<JobRecord> = {}): JobRecord => ({
  jobId,
  kind: 'web-bench',
  title: `Browser benchmark ${jobId}`,
  modelPath: '/m/cnn.onnx',
  targets: ['original', 'v1'],
  status,
  fraction: status === 'done' ? 1 : 0.4,
  stage: status === 'running' ? 'measuring' : 'done',
  submittedAtMs: 1,
  notes: [],
  cancelRequested: false,
  lastSeq: 3,
  ...extra,
});

describe("the page's own jobs across a reload", () => {
  beforeEach(() => vi.stubGlobal('sessionStorage', new MemoryStorage()));
  afterEach(() => vi.unstubAllGlobals());

  it('keeps the jobs the page ran or recorded, not the backend’s, and without their results', () => {
    const failed = job(pageJobId('web'), 'failed', {
      error: {
        code: 'ORT',
        message: 'No model could be measured: original and v1 failed on webgpu: no kernel',
      },
    });
    const engine = job('j-17', 'done', { kind: 'bench' });
    const partly = job(pageJobId('web'), 'done', {
      partial: '1 of 2 models not measured',
      result: { report: 'big' },
    });
    savePageJobs([failed, engine, partly]);
    const restored = loadPageJobs();
    expect(restored.map((j) => j.jobId)).toEqual([failed.jobId, partly.jobId]);
    expect(restored[0]).toMatchObject({ status: 'failed', error: failed.error });
    expect(restored[1]).toMatchObject({ status: 'done', partial: '1 of 2 models not measured' });
    expect(restored[1]).not.toHaveProperty('result');
    expect(isPageJob(engine.jobId)).toBe(false);
  });

  it('brings back a job that was running as cancelled, saying the reload stopped it', () => {
    const running = job(pageJobId('web'), 'running', { etaMs: 5000, etaAtMs: 10 });
    savePageJobs([running]);
    const [restored] = loadPageJobs();
    expect(restored).toMatchObject({ status: 'cancelled', notes: [STOPPED_BY_RELOAD] });
    expect(restored).not.toHaveProperty('etaMs');
  });

  it('forgets them when the list has none, and ignores a damaged or foreign entry', () => {
    savePageJobs([job(pageJobId('web'), 'done')]);
    savePageJobs([]);
    expect(loadPageJobs()).toEqual([]);
    sessionStorage.setItem('onnx-studio.page-jobs', '{not json');
    expect(loadPageJobs()).toEqual([]);
    sessionStorage.setItem(
      'onnx-studio.page-jobs',
      JSON.stringify([
        { jobId: 'j-1', status: 'done' },
        { ...job(pageJobId('web'), 'done'), status: 'exploded' },
      ]),
    );
    expect(loadPageJobs()).toEqual([]);
  });
});
