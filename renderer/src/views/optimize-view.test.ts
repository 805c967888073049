import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../../shared/workspace.js';
import type { JobRecord } from '../state/studio-state.js';
import { tuneRecord, workspace } from '../state/test-fixtures.js';
import { checkWarnings, jobListShown } from './optimize-view.js';

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

describe("the data check's warnings beside the dataset", () => {
  it('joins sentences and clauses with one semicolon each, and ends in one full stop', () => {
    const overruled =
      "dim 'height' of input 'x' is 64 in the data (x.npy), not the 32 the input spec sets: the data's size was used.";
    // The user test: "…the data's size was used.; labels were checked…".
    expect(checkWarnings([overruled, 'labels were checked on the first 400 of 1000 samples'])).toBe(
      "dim 'height' of input 'x' is 64 in the data (x.npy), not the 32 the input spec sets: the data's size was " +
        'used; labels were checked on the first 400 of 1000 samples.',
    );
    expect(
      checkWarnings(['only 8 samples: calibration ranges from so few are noisy; 100 or more is usual']),
    ).toBe('only 8 samples: calibration ranges from so few are noisy; 100 or more is usual.');
    expect(checkWarnings([overruled])).not.toMatch(/\.[;.]|\.\.$/);
    expect(checkWarnings([])).toBe('');
  });
});
