/** How many finished jobs the state keeps: failures the user has not cleared must not be trimmed away. */
import { describe, expect, it } from 'vitest';
import { initialState, studioReducer, type StudioAction, type StudioState } from './studio-state.js';
import { events, MODEL_PATH, SUMMARY, workspace } from './test-fixtures.js';
import { openFailures } from './job-outcomes.js';

function run(state: StudioState, ...actions: StudioAction[]): StudioState {
  return actions.reduce(studioReducer, state);
}

const opened = run(initialState, { type: 'model-opened', summary: SUMMARY, workspace: workspace() });

/** A submitted job that ends with `end` (a result or a failure). */
function job(jobId: string, end: 'result' | 'failed', title = jobId, atMs = 0): StudioAction[] {
  const ending =
    end === 'result'
      ? ({ type: 'result', result: {} } as const)
      : ({ type: 'failed', error: { code: 'ORT', message: 'Reshape failed' } } as const);
  return [
    { type: 'job-submitted', jobId, kind: 'quantize', title, modelPath: MODEL_PATH, atMs },
    { type: 'job-events', events: events(jobId, ending) },
  ];
}

const failedCount = (s: StudioState) => s.jobs.filter((j) => j.status === 'failed').length;

describe('trimming finished jobs', () => {
  it('keeps every failure while newer jobs push the succeeded ones out', () => {
    // The reviewer's run: 13 failures, then enough new jobs to pass the limit of 50 finished.
    let state = opened;
    for (let i = 0; i < 13; i++) state = run(state, ...job(`f${i}`, 'failed'));
    for (let i = 0; i < 80; i++) state = run(state, ...job(`d${i}`, 'result'));
    expect(failedCount(state)).toBe(13);
    // Trimming happens as a job is added, so the one that ended since makes 51 until the next.
    const done = state.jobs.filter((j) => j.status === 'done');
    expect(done).toHaveLength(51);
    // The oldest succeeded ones went; the newest stay.
    expect(done[0]!.jobId).toBe('d29');
    expect(done.at(-1)!.jobId).toBe('d79');
  });

  it('keeps failures that never started (refused submissions) too, and active jobs always', () => {
    let state = run(opened, {
      type: 'job-submit-failed',
      jobId: 'local-1',
      kind: 'tune',
      title: 'Auto-optimize',
      modelPath: MODEL_PATH,
      error: { code: 'BAD_REQUEST', message: 'An accuracy budget needs labels' },
      atMs: 0,
    });
    state = run(state, {
      type: 'job-submitted',
      jobId: 'running',
      kind: 'bench',
      title: 'b',
      modelPath: MODEL_PATH,
      atMs: 0,
    });
    for (let i = 0; i < 60; i++) state = run(state, ...job(`d${i}`, 'result'));
    expect(state.jobs.map((j) => j.jobId)).toEqual(expect.arrayContaining(['local-1', 'running']));
    expect(state.jobs.filter((j) => j.status === 'done')).toHaveLength(51);
  });

  it('trims a failure a later run made good with the finished jobs, never keeping it past its rerun', () => {
    // The user test: two saves to a missing folder failed, the third (the folder made) succeeded; 60 jobs later
    // the success had been trimmed while the failures, kept apart, stayed and the bar said "2 failed" again.
    const save = 'Export int8-static to /out/net-int8.onnx';
    let state = run(
      opened,
      ...job('f1', 'failed', save, 1),
      ...job('f2', 'failed', save, 2),
      ...job('ok', 'result', save, 3),
    );
    state = run(state, ...job('other', 'failed', 'Quantize int4', 4));
    for (let i = 0; i < 60; i++) state = run(state, ...job(`d${i}`, 'result', `d${i}`, 10 + i));
    const ids = state.jobs.map((j) => j.jobId);
    expect(ids).not.toContain('f1');
    expect(ids).not.toContain('f2');
    // A failure nothing made good still stays, however many jobs ran since.
    expect(ids).toContain('other');
    expect(openFailures(state.jobs).map((j) => j.jobId)).toEqual(['other']);
  });

  it('lets the user clear the failures', () => {
    const state = run(opened, ...job('f', 'failed'), ...job('d', 'result'), { type: 'jobs-cleared' });
    expect(state.jobs).toHaveLength(0);
  });
});
