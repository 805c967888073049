/**
 * Queueing this page did not send: a Queue clicked before a reload (serve, or the desktop window) or in another
 * tab, whose pipelines' data the backend still checks (`Workspace.startsInFlight`). The page that sent it shows
 * its own progress and Cancel beside the Queue button; a reloaded page had no way to see it or stop it. Shown
 * here with how far it is and a Cancel of its own, which stops it as the sender's Cancel does (by its
 * `checkId`): the pipelines not started by then are not.
 */
import { useState } from 'react';
import type { PipelineStartInFlight } from '../../../shared/workspace.js';
import { isOwnCheck } from '../state/check-ids.js';

/** The starts to show: those this page load did not send (its own show beside the Queue button). */
export function startsSentElsewhere(
  starts: readonly PipelineStartInFlight[] | undefined,
): PipelineStartInFlight[] {
  return (starts ?? []).filter((s) => !isOwnCheck(s.checkId));
}

/** "Queueing 4 recipes …: checking the data of Quantize: int8-static (3 of 4); 2 were queued so far." */
export function describeStartInFlight(start: PipelineStartInFlight): string {
  const n = start.titles.length;
  const title = start.titles[start.item] ?? '';
  const which = n > 1 ? ` (${start.item + 1} of ${n})` : '';
  const done: string[] = [];
  if (start.started > 0) done.push(`${start.started} ${start.started === 1 ? 'was' : 'were'} queued`);
  if (start.failed > 0) done.push(`${start.failed} did not pass the data check`);
  const sofar = done.length > 0 ? `; ${done.join(', ')} so far` : '';
  return `Queueing ${n === 1 ? 'a recipe' : `${n} recipes`}, sent before this page was loaded or from another tab: checking the data of ${title}${which}${sofar}.`;
}

export function StartsInFlight({
  starts,
  onCancel,
}: {
  starts: readonly PipelineStartInFlight[];
  /** Resolves with the backend's message when it could not cancel. */
  onCancel: (checkId: string) => Promise<string | undefined>;
}) {
  // Cancels sent, until the start leaves the list (the backend announces its end).
  const [cancelling, setCancelling] = useState<ReadonlySet<string>>(new Set());
  // A cancel the backend refused: said, and the button offered again.
  const [failed, setFailed] = useState<ReadonlyMap<string, string>>(new Map());
  if (starts.length === 0) return null;
  const cancel = (checkId: string) => {
    setCancelling((c) => new Set(c).add(checkId));
    setFailed((f) => withoutKey(f, checkId));
    void onCancel(checkId).then((error) => {
      if (error === undefined) return;
      setCancelling((c) => {
        const next = new Set(c);
        next.delete(checkId);
        return next;
      });
      setFailed((f) => new Map(f).set(checkId, error));
    });
  };
  return (
    <>
      {starts.map((start) => (
        <div key={start.checkId} className="banner" role="status" data-testid="start-in-flight">
          <p>{describeStartInFlight(start)}</p>
          {failed.has(start.checkId) && (
            <p className="field-error" role="alert">
              Could not cancel: {failed.get(start.checkId)}
            </p>
          )}
          <button
            type="button"
            className="small"
            disabled={cancelling.has(start.checkId)}
            onClick={() => cancel(start.checkId)}
          >
            {cancelling.has(start.checkId) ? 'Cancelling…' : 'Cancel queueing'}
          </button>
        </div>
      ))}
    </>
  );
}

function withoutKey<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}
