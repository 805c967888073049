import { describe, expect, it } from 'vitest';
import { throttledCounts } from './task-handlers.js';

/** Counts throttled at 100 ms on a clock the test moves, and what they sent. */
function recorder() {
  const clock = { now: 0 };
  const sent: [number, number][] = [];
  const counts = throttledCounts(
    (values) => sent.push(values),
    100,
    () => clock.now,
  );
  return { sent, counts, clock };
}

describe('throttledCounts', () => {
  it('sends the first count at once, then at most one per interval, and always the last', () => {
    const { sent, counts, clock } = recorder();
    counts(0, 20_000);
    for (let done = 1; done <= 20_000; done++) {
      clock.now = done / 10; // 10 samples a millisecond: 2 s in all
      counts(done, 20_000);
    }
    expect(sent[0]).toEqual([0, 20_000]);
    expect(sent.at(-1)).toEqual([20_000, 20_000]);
    // About 10 a second over 2 s, not 20,000 messages.
    expect(sent.length).toBeGreaterThanOrEqual(20);
    expect(sent.length).toBeLessThanOrEqual(23);
    const dones = sent.map(([done]) => done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
  });

  it('with an unknown total (0), sends counts throttled all the same', () => {
    const { sent, counts, clock } = recorder();
    for (let done = 0; done < 1000; done++) {
      clock.now = done;
      counts(done, 0);
    }
    expect(sent).toHaveLength(10);
    expect(sent.every(([, total]) => total === 0)).toBe(true);
  });
});
