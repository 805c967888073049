import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../../shared/workspace.js';
import type { JobRecord } from '../state/studio-state.js';
import { tuneRecord, workspace } from '../state/test-fixtures.js';
import { jobListShown } from './optimize-view.js';

const pipeline = {
  id: 'p1',
  title: 'Quantize: int8-dynamic',
  status: 'done',
  steps: [{ kind: 'make', title: 'Quantize: int8-dynamic', status: 'done' }],
} as unknown as PipelineRecord;

const job = { jobId: 'j1', kind: 'bench', status: 'done' } as unknown as JobRecord;

describe("Optimize's job list", () => {
  it('says "No jobs yet" only when nothing was run for the model', () => {
    expect(jobListShown([], null)).toBe(true);
    expect(jobListShown([], workspace())).toBe(true);
    // The user test: finished pipelines of an earlier serve, and "No jobs yet. Pick a recipe…" under them.
    expect(jobListShown([], workspace({ pipelines: [pipeline] }))).toBe(false);
    expect(jobListShown([], workspace({ tunes: [tuneRecord({ kind: 'accuracy-drop', points: 0.5 })] }))).toBe(
      false,
    );
    // Jobs of this session are listed whatever the workspace holds.
    expect(jobListShown([job], workspace({ pipelines: [pipeline] }))).toBe(true);
  });
});
