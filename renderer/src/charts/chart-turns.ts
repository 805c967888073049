/**
 * Charts take turns. recharts 3 keeps a store per chart and flushes each store's updates in a
 * requestAnimationFrame callback, so when several charts change in the same frame their work runs back to
 * back in one main-thread task. Measured on a 2-core machine: 45–70 ms per streamed benchmark batch (latency
 * bars + Pareto + distribution), 150 ms to open Compare with six charts, while any one chart alone stayed
 * under 30 ms. Here a chart that wants to mount or to draw new data asks for a turn; turns are granted one at
 * a time, TURN_GAP_MS apart, so each chart's work is a task of its own and the page keeps answering input.
 *
 * Pure scheduling, no React: `useChartTurn` (chart-turn-hook.ts) builds on it.
 */

/** Long enough for a granted chart to render, commit and run recharts' animation-frame flush. */
export const TURN_GAP_MS = 50;

export interface TurnClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
}

const browserClock: TurnClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
};

export class TurnQueue {
  // Insertion-ordered: a chart that asks again keeps its place in line, and its newest grant replaces the old.
  private readonly waiting = new Map<object, () => void>();
  private scheduled = false;
  private lastGrantAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly gapMs = TURN_GAP_MS,
    private readonly clock: TurnClock = browserClock,
  ) {}

  /** `grant` runs when `owner`'s turn comes (it should set the state that makes the chart draw). */
  request(owner: object, grant: () => void): void {
    this.waiting.set(owner, grant);
    if (!this.scheduled) this.schedule();
  }

  /** The chart unmounted or no longer needs its turn. */
  cancel(owner: object): void {
    this.waiting.delete(owner);
  }

  get pending(): number {
    return this.waiting.size;
  }

  private schedule(): void {
    this.scheduled = true;
    const wait = Math.max(0, this.lastGrantAt + this.gapMs - this.clock.now());
    this.clock.setTimeout(() => this.grantNext(), wait);
  }

  private grantNext(): void {
    this.scheduled = false;
    const next = this.waiting.entries().next();
    if (next.done) return;
    const [owner, grant] = next.value;
    this.waiting.delete(owner);
    this.lastGrantAt = this.clock.now();
    try {
      grant();
    } finally {
      if (this.waiting.size > 0) this.schedule();
    }
  }
}

/** The page's one queue: every chart on screen shares it. */
export const chartTurns = new TurnQueue();
