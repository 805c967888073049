import { describe, expect, it, vi } from 'vitest';
import { stopOnAbort, type TuneJobs } from './tune-jobs.js';

describe('stopOnAbort', () => {
  it('starts jobs until the signal is aborted, then refuses the next one as cancelled', async () => {
    const run = vi.fn(() => Promise.resolve('done'));
    const jobs: TuneJobs = { run: run as TuneJobs['run'], removeVariant: () => Promise.resolve() };
    const controller = new AbortController();
    const guarded = stopOnAbort(jobs, controller.signal);
    expect(await guarded.run({ kind: 'loadCheck' } as never, 'Checking')).toBe('done');
    controller.abort();
    await expect(
      guarded.run({ kind: 'loadCheck' } as never, 'Evaluating the original'),
    ).rejects.toMatchObject({
      code: 'CANCELLED',
      message: 'Evaluating the original was cancelled.',
    });
    expect(run).toHaveBeenCalledTimes(1);
  });
});
