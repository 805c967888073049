/**
 * Jobs another tab started, seen by the serve host: `serve` sends every job's events to every page, but a page
 * lists only the jobs it started itself, its pipelines' and those a `listJobs` returned (at load and after a
 * reconnect). Events of any other job waited unseen, so a second tab could neither see nor cancel a benchmark
 * the first had started. This tracks which job ids the page has heard of, and when an event names one it has
 * not, asks the page to catch up with `listJobs` (as a reload does).
 *
 * The page's own jobs must not be listed twice: their first events can arrive before `startJob` answers with
 * the id, so an unknown id is only judged once no request that names job ids is in flight (`startJob`,
 * `listJobs`, and a workspace read, whose pipelines' steps name the jobs the backend started for them: the page
 * shows those from the workspace). A pipeline step's first events come before the workspace that names its job
 * is saved and read again, so an unknown id also waits `graceMs` for that read before it counts as another
 * tab's. Catch-ups are spaced by `minIntervalMs`, since a listing carries every running benchmark's samples so
 * far.
 */
export interface JobCatchUpOptions {
  /** Asks the page to list the server's jobs. */
  catchUp: () => void;
  minIntervalMs?: number;
  /** How long an unknown id waits for a workspace read to name it (ms, default 1000). */
  graceMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Enough for a long session; the oldest ids are forgotten first (at worst one more catch-up). */
const MAX_KNOWN_IDS = 5000;

export class JobCatchUp {
  private readonly known = new Set<string>();
  /** Unknown ids, with when each was first seen. */
  private readonly unknown = new Map<string, number>();
  private inFlight = 0;
  private lastCatchUpAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly minIntervalMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(private readonly options: JobCatchUpOptions) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.graceMs = options.graceMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
  }

  /** A request that names job ids was sent: ids are judged after it answers. */
  requestSent(): void {
    this.inFlight += 1;
  }

  /** It answered (or failed), naming these job ids. */
  requestSettled(jobIds: readonly string[]): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    for (const id of jobIds) this.remember(id);
    this.judge();
  }

  /** A job event arrived. */
  eventSeen(jobId: string): void {
    if (this.known.has(jobId) || this.unknown.has(jobId)) return;
    this.unknown.set(jobId, this.now());
    this.judge();
  }

  private remember(id: string): void {
    this.unknown.delete(id);
    this.known.add(id);
    if (this.known.size > MAX_KNOWN_IDS) this.known.delete(this.known.values().next().value as string);
  }

  private judge(): void {
    if (this.inFlight > 0 || this.unknown.size === 0 || this.timer !== undefined) return;
    const firstSeen = Math.min(...this.unknown.values());
    const wait = Math.max(this.lastCatchUpAt + this.minIntervalMs, firstSeen + this.graceMs) - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.judge();
      }, wait);
      return;
    }
    // Asked once per id: the listing that answers names it, or the job is gone from the server's list.
    for (const id of [...this.unknown.keys()]) this.remember(id);
    this.lastCatchUpAt = this.now();
    this.options.catchUp();
  }
}
