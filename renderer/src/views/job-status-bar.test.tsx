/**
 * The Jobs button and dialog with no job listed: "none yet" said after Clear finished too, when jobs had been
 * there and were only taken off the list.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { JobStatusBar, noJobsWords } from './job-status-bar.js';

const bar = (cleared?: boolean) =>
  renderToStaticMarkup(
    <JobStatusBar
      jobs={[]}
      onCancel={() => {}}
      onClear={() => {}}
      {...(cleared !== undefined ? { cleared } : {})}
    />,
  );

describe('the Jobs button and list with no job listed', () => {
  it('say "none yet" only where no job was listed yet', () => {
    expect(bar()).toContain('Jobs: none yet');
    expect(noJobsWords(false).list).toMatch(/^No jobs yet, in this run or an earlier one/);
  });

  it('say the finished jobs were cleared after Clear finished, not that there were none', () => {
    const html = bar(true);
    expect(html).toContain('Jobs: none listed');
    expect(html).not.toContain('none yet');
    const { list } = noJobsWords(true);
    expect(list).not.toContain('No jobs yet');
    expect(list).toContain('Clear finished took the finished ones off this list');
    expect(list).toContain('Jobs you start (Queue, Benchmark, Evaluate, Export) are listed here');
  });
});
