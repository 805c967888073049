/**
 * A data check the page waits for (the Optimize view's before it queues or starts Auto-optimize, the pipelines'
 * `pipeline.start` runs before any step, Compare's before it evaluates): that it runs, how far it is ("N of M
 * samples" with a determinate bar once the engine has counted them), and Cancel, which stops the engine's check
 * (`studio:dataset.cancelCheck`), not only the page's waiting. One component and one hook for every view.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { MAX_CHECKED_SAMPLES } from '../../../shared/dataset-check-limits.js';
import type { DatasetCheckProgress } from '../../../shared/ipc-contract.js';
import type { DatasetRole } from '../../../shared/workspace.js';
import type { CheckWatch } from '../state/use-studio.js';

/** What runs: which data (when one role), for what (a recipe), for which button, since when. */
export interface RunningCheck {
  role?: DatasetRole;
  /** e.g. a recipe's title: "Checking the data for …". */
  forWhat?: string;
  /** Which of the view's buttons started it (a view shows the check beside that button). */
  purpose: string;
  sinceMs: number;
}

/**
 * The latest progress of the running check, outside React state: counts arrive up to 10 times a second, and
 * only the progress line re-renders for them, not the view around it.
 */
class ProgressFeed {
  private value: DatasetCheckProgress | null = null;
  private readonly listeners = new Set<() => void>();
  readonly get = (): DatasetCheckProgress | null => this.value;
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };
  set(value: DatasetCheckProgress | null): void {
    this.value = value;
    for (const l of this.listeners) l();
  }
}

export interface DataCheckControl {
  /** The check the page waits for, or null. One at a time. */
  running: RunningCheck | null;
  /** Whether the last check the view ran was cancelled, and for which purpose (until the next one starts). */
  cancelledPurpose: string | null;
  /**
   * Starts a check: the watch to hand to `actions.checkDataset` or `actions.queueRecipes` (its signal is Cancel,
   * its progress lands here).
   */
  begin(check: Omit<RunningCheck, 'sinceMs'>): CheckWatch;
  /** The same check goes on to other data (the next role, the next recipe): its progress starts over. */
  describe(change: Pick<RunningCheck, 'role' | 'forWhat'>): void;
  /** The check is over (`cancelledPurpose` says whether it ended by Cancel). */
  end(): void;
  /** Cancel: the engine stops reading, the page stops waiting. */
  cancel(): void;
  readonly feed: ProgressFeed;
}

/** The state of the data check a view runs, with its Cancel and its progress feed. */
export function useDataCheck(): DataCheckControl {
  const [running, setRunning] = useState<RunningCheck | null>(null);
  const [cancelledPurpose, setCancelledPurpose] = useState<string | null>(null);
  const feed = useMemo(() => new ProgressFeed(), []);
  const current = useRef<{ controller: AbortController; purpose: string } | null>(null);
  const begin = useCallback(
    (check: Omit<RunningCheck, 'sinceMs'>): CheckWatch => {
      const controller = new AbortController();
      current.current = { controller, purpose: check.purpose };
      feed.set(null);
      setCancelledPurpose(null);
      setRunning({ ...check, sinceMs: Date.now() });
      return {
        signal: controller.signal,
        onProgress: (progress) => {
          if (current.current?.controller === controller) feed.set(progress);
        },
      };
    },
    [feed],
  );
  const describe = useCallback(
    (change: Pick<RunningCheck, 'role' | 'forWhat'>) => {
      feed.set(null);
      setRunning((r) => (r ? { purpose: r.purpose, sinceMs: r.sinceMs, ...change } : r));
    },
    [feed],
  );
  const end = useCallback(() => {
    const was = current.current;
    current.current = null;
    feed.set(null);
    setRunning(null);
    if (was?.controller.signal.aborted) setCancelledPurpose(was.purpose);
  }, [feed]);
  const cancel = useCallback(() => current.current?.controller.abort(), []);
  return { running, cancelledPurpose, begin, describe, end, cancel, feed };
}

/** "1,250 of 20,000 samples" once the engine has counted them; null while it has not said. */
export function describeCheckProgress(progress: DatasetCheckProgress | null): string | null {
  if (!progress || progress.total <= 0) return null;
  const n = (v: number) => v.toLocaleString('en-US');
  const capped =
    progress.total === MAX_CHECKED_SAMPLES ? ' (a check reads at most these; the rest are counted)' : '';
  return `${n(Math.min(progress.done, progress.total))} of ${n(progress.total)} samples${capped}`;
}

/**
 * That the check runs (the seconds it has taken), how far it is (a determinate bar with "N of M samples" once
 * known, an indeterminate one before), and Cancel.
 */
export function DataCheckProgress({ control }: { control: DataCheckControl }) {
  const { running, feed, cancel } = control;
  const progress = useSyncExternalStore(feed.subscribe, feed.get);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!running) return null;
  const seconds = Math.max(0, Math.floor((now - running.sinceMs) / 1000));
  const role = progress?.role ?? running.role;
  const what = `Checking the ${role ? `${role} ` : ''}data${running.forWhat ? ` for ${running.forWhat}` : ''}`;
  const counted = describeCheckProgress(progress);
  return (
    // Takes the row's free width and wraps within it, so the button beside it keeps its one line.
    <span
      className="data-check-progress"
      role="status"
      data-testid="data-check-progress"
      style={{ flex: '1 1 0', minWidth: 0 }}
    >
      {counted && progress ? (
        <progress
          aria-label={what}
          max={progress.total}
          value={Math.min(progress.done, progress.total)}
          data-testid="data-check-bar"
        />
      ) : (
        <progress aria-label={what} data-testid="data-check-bar" />
      )}{' '}
      <span>
        {what}
        {seconds > 0 ? ` (${seconds} s)` : ''}…{' '}
        {counted ??
          `up to ${MAX_CHECKED_SAMPLES.toLocaleString('en-US')} samples of a dataset file are read (the rest are counted), so a large one takes a while.`}
      </span>{' '}
      <button type="button" className="small" onClick={cancel}>
        Cancel
      </button>
    </span>
  );
}
