import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PEAK_REPORT, childPeakBytes } from './child-peak.js';

describe('child peak memory', () => {
  it('takes the largest report of the child and its workers', () => {
    expect(childPeakBytes(`note: x\n${PEAK_REPORT}100\n\n${PEAK_REPORT}300\n${PEAK_REPORT}200\n`)).toBe(300);
    expect(childPeakBytes('no report')).toBeNaN();
  });

  it('the preload makes a child report a peak that covers what it allocated', () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const preload = new URL('./report-peak-memory.ts', import.meta.url).href;
    const r = spawnSync(
      process.execPath,
      ['--import', tsx, '--import', preload, '-e', 'globalThis.kept = Buffer.alloc(64 * 2 ** 20, 1)'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(childPeakBytes(r.stderr)).toBeGreaterThan(64 * 2 ** 20);
  });
});
