/**
 * A task that loads a 1 GB model sends its loading stage once, then its event loop is blocked for the session's
 * creation: the job's stage must still tick its seconds (user test 5: "0% · loading" for 45 s).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadingStage } from '../bench/loading-stage.js';
import { progressForwarder } from './job-executors.js';

afterEach(() => {
  vi.useRealTimers();
});

describe("a job's progress from its process", () => {
  it('ticks the seconds of a loading stage until the next stage, and stops when the job ends', () => {
    vi.useFakeTimers();
    const said: [number, string][] = [];
    const forward = progressForwarder({ progress: (fraction, stage) => said.push([fraction, stage]) });
    const loading = loadingStage({ path: '/m/model.onnx', fileBytes: 16 << 20, externalDataBytes: 1 << 30 });
    forward.progress(0, loading);
    vi.advanceTimersByTime(2_500);
    expect(said).toEqual([
      [0, `${loading} · 0 s`],
      [0, `${loading} · 1 s`],
      [0, `${loading} · 2 s`],
    ]);
    // The next stage replaces it, as it comes: no more ticks of the loading one.
    forward.progress(0.25, 'evaluating');
    vi.advanceTimersByTime(3_000);
    expect(said.slice(3)).toEqual([[0.25, 'evaluating']]);
    forward.progress(0.5, loading);
    forward.stop();
    vi.advanceTimersByTime(3_000);
    expect(said.slice(4)).toEqual([[0.5, `${loading} · 0 s`]]);
  });
});
