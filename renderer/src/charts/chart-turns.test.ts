import { describe, expect, it } from 'vitest';
import { TurnQueue, type TurnClock } from './chart-turns.js';

/** A clock the test moves by hand: timers fire only when `advance` passes their time. */
function manualClock() {
  let now = 0;
  let timers: { at: number; callback: () => void }[] = [];
  const clock: TurnClock = {
    now: () => now,
    setTimeout: (callback, ms) => {
      timers.push({ at: now + ms, callback });
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.callback();
    }
    now = end;
  };
  return { clock, advance };
}

/** A queue with a 50 ms gap on a manual clock, and a log of the grants in the order they ran. */
function setup() {
  const { clock, advance } = manualClock();
  const log: string[] = [];
  return { queue: new TurnQueue(50, clock), advance, log, grant: (name: string) => () => log.push(name) };
}

describe('chart turns', () => {
  it('grants one turn at a time, a gap apart, in the order asked', () => {
    const { queue, advance, log, grant } = setup();
    const [a, b, c] = [{}, {}, {}];
    queue.request(a, grant('a'));
    queue.request(b, grant('b'));
    queue.request(c, grant('c'));
    advance(0);
    expect(log).toEqual(['a']);
    advance(49);
    expect(log).toEqual(['a']);
    advance(1);
    expect(log).toEqual(['a', 'b']);
    advance(50);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(queue.pending).toBe(0);
  });

  it('a chart that asks again keeps its place and gets its newest grant only', () => {
    const { queue, advance, log, grant } = setup();
    const [a, b] = [{}, {}];
    queue.request(a, grant('a1'));
    queue.request(b, grant('b1'));
    queue.request(a, grant('a2'));
    advance(100);
    expect(log).toEqual(['a2', 'b1']);
  });

  it('a cancelled turn is never granted, and a late request still waits out the gap', () => {
    const { queue, advance, log, grant } = setup();
    const [a, b] = [{}, {}];
    queue.request(a, grant('a'));
    queue.request(b, grant('b'));
    queue.cancel(b);
    advance(10);
    expect(log).toEqual(['a']);
    queue.request(b, grant('b'));
    advance(39);
    expect(log).toEqual(['a']);
    advance(1);
    expect(log).toEqual(['a', 'b']);
  });

  it('a grant that throws does not stop the queue', () => {
    const { queue, advance, log, grant } = setup();
    queue.request({}, () => {
      throw new Error('render failed');
    });
    queue.request({}, grant('next'));
    expect(() => advance(0)).toThrow('render failed');
    advance(50);
    expect(log).toEqual(['next']);
  });
});
