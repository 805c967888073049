/**
 * Jobs another tab started, seen by the serve host: `serve` sends every job's events to every page, but a page
 * lists only the jobs it started itself, its pipelines' and those a `listJobs` returned (at load and after a
 * reconnect). Events of any other job waited unseen, so a second tab could neither see nor cancel a benchmark
 * the first had started. This tracks which job ids the page has heard of, and when an event names one it has
 * not, asks the page to catch up with `listJobs` (as a reload does).
 *
 * The page's own jobs must not be listed twice: their first events can arrive before `startJob` answers with
 * the id, so an unknown id is only judged once no `startJob` or `listJobs` of this page is in flight (their
 * answers name the ids the page will know by then). The jobs the backend starts for this page's own pipelines
 * are unknown here too and cause a listing as well: harmless (jobs the user cleared stay cleared: the page's state
 * remembers them), and catch-ups are spaced by `minIntervalMs`, since a listing
 * carries every running benchmark's samples so far.
 */
export interface JobCatchUpOptions {
  /** Asks the page to list the server's jobs. */
  catchUp: () => void;
  minIntervalMs?: number;
}

/** Enough for a long session; the oldest ids are forgotten first (at worst one more catch-up). */
const MAX_KNOWN_IDS = 5000;

export class JobCatchUp {
  private readonly known = new Set<string>();
  private readonly unknown = new Set<string>();
  private inFlight = 0;
  private lastCatchUpAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly minIntervalMs: number;

  constructor(private readonly options: JobCatchUpOptions) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
  }

  /** A `startJob` or `listJobs` was sent: ids are judged after it answers. */
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
    if (this.known.has(jobId)) return;
    this.unknown.add(jobId);
    this.judge();
  }

  private remember(id: string): void {
    this.unknown.delete(id);
    this.known.add(id);
    if (this.known.size > MAX_KNOWN_IDS) this.known.delete(this.known.values().next().value as string);
  }

  private judge(): void {
    if (this.inFlight > 0 || this.unknown.size === 0 || this.timer !== undefined) return;
    const wait = this.lastCatchUpAt + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.judge();
      }, wait);
      return;
    }
    // Asked once per id: the listing that answers names it, or the job is gone from the server's list.
    for (const id of [...this.unknown]) this.remember(id);
    this.lastCatchUpAt = Date.now();
    this.options.catchUp();
  }
}
