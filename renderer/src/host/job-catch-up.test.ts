import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobCatchUp } from './job-catch-up.js';

describe('catching up on the jobs of other tabs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function tracker() {
    let catchUps = 0;
    const catchUp = new JobCatchUp({ catchUp: () => (catchUps += 1), minIntervalMs: 1000, graceMs: 1000 });
    return { catchUp, count: () => catchUps };
  }

  it("a step of the page's own pipeline, named by the workspace read its save announces, lists nothing", () => {
    const { catchUp, count } = tracker();
    // The backend starts the step's job (its events reach every page), then saves its id in the workspace.
    catchUp.eventSeen('step-1');
    vi.advanceTimersByTime(200);
    // The page reads the workspace again; while it is in flight nothing is judged.
    catchUp.requestSent();
    vi.advanceTimersByTime(2000);
    catchUp.requestSettled(['step-1']);
    vi.advanceTimersByTime(5000);
    expect(count()).toBe(0);
  });

  it("another tab's job is listed once no read named it within the grace", () => {
    const { catchUp, count } = tracker();
    catchUp.eventSeen('theirs');
    vi.advanceTimersByTime(999);
    expect(count()).toBe(0);
    // A workspace read that does not name it: still another tab's.
    catchUp.requestSent();
    catchUp.requestSettled(['step-1']);
    vi.advanceTimersByTime(1);
    expect(count()).toBe(1);
    // Its later events ask for nothing more.
    catchUp.eventSeen('theirs');
    vi.advanceTimersByTime(5000);
    expect(count()).toBe(1);
  });

  it('lists at most once a second', () => {
    const { catchUp, count } = tracker();
    catchUp.eventSeen('a');
    vi.advanceTimersByTime(1000);
    expect(count()).toBe(1);
    catchUp.eventSeen('b');
    vi.advanceTimersByTime(500);
    catchUp.eventSeen('c');
    vi.advanceTimersByTime(499);
    expect(count()).toBe(1);
    // b's grace and the interval are over; c is listed with it.
    vi.advanceTimersByTime(1);
    expect(count()).toBe(2);
    vi.advanceTimersByTime(5000);
    expect(count()).toBe(2);
  });
});
