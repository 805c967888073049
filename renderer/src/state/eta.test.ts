import { describe, expect, it } from 'vitest';
import { estimateRemainingMs, formatDuration } from './eta.js';

describe('time left', () => {
  it('extrapolates the time so far once there is enough progress', () => {
    expect(estimateRemainingMs(0, 10_000, 0.5)).toBe(10_000);
    expect(estimateRemainingMs(0, 2_000, 0.8)).toBeCloseTo(500);
  });

  it('says nothing too early, or when done', () => {
    expect(estimateRemainingMs(0, 10_000, 0.01)).toBeUndefined();
    expect(estimateRemainingMs(0, 100, 0.5)).toBeUndefined();
    expect(estimateRemainingMs(0, 10_000, 1)).toBeUndefined();
  });

  it('formats durations for people', () => {
    expect(formatDuration(400)).toBe('under 1 s');
    expect(formatDuration(12_300)).toBe('12 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });
});
