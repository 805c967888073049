/**
 * What Optimize's Queue button offers for the recipes ticked now, given what the last Queue started for the same
 * selection: every recipe, none while their pipelines run ("Queued ✓", so a second click does not queue the same
 * jobs again), all of them again once those ended, or only those not queued yet when a Cancel (or data that did
 * not fit) stopped the last Queue part way: "Queue 2 jobs" where 2 of 4 were queued, not 4 again. Plain
 * functions, tested without React (queue-state.test.ts).
 */
import type { PipelineRecord } from '../../../shared/workspace.js';

/** What the last Queue started for the selection with this key (queueSignature), by index in its recipes. */
export interface QueuedSelection {
  key: string;
  started: { index: number; pipelineId: string }[];
}

export type QueueButton =
  /** Nothing of this selection was queued: Queue sends every recipe. */
  | { kind: 'fresh' }
  /** Every recipe was queued and their pipelines still run: nothing to send. */
  | { kind: 'held' }
  /** Every recipe was queued and their pipelines ended: Queue sends them all again, as new variants. */
  | { kind: 'again' }
  /** Some recipes were queued (`queued`), the others (`rest`) not: Queue sends only the rest. */
  | { kind: 'rest'; queued: number[]; rest: number[] };

export function queueButton(
  last: QueuedSelection | null,
  key: string | null,
  count: number,
  pipelines: readonly PipelineRecord[],
): QueueButton {
  if (!last || key === null || last.key !== key) return { kind: 'fresh' };
  const queued = new Set(last.started.map((s) => s.index));
  const rest = Array.from({ length: count }, (_, i) => i).filter((i) => !queued.has(i));
  if (rest.length > 0) return { kind: 'rest', queued: [...queued].sort((a, b) => a - b), rest };
  const ids = new Set(last.started.map((s) => s.pipelineId));
  const started = pipelines.filter((p) => ids.has(p.id));
  // Not in the workspace yet (the page has not read it since): they have only just started.
  const running = started.length === 0 || started.some((p) => p.status === 'running');
  return { kind: running ? 'held' : 'again' };
}

/** The recipes (by index) a click on Queue sends now. */
export function recipesToSend(button: QueueButton, count: number): number[] {
  if (button.kind === 'held') return [];
  if (button.kind === 'rest') return button.rest;
  return Array.from({ length: count }, (_, i) => i);
}

/**
 * What is queued of the selection after a click sent `sent` (indices in the selection) and the backend started
 * `started` (indices in what was sent): added to what was queued before when the click sent the rest, else on
 * its own. Null when nothing of the selection is queued.
 */
export function afterQueue(
  last: QueuedSelection | null,
  button: QueueButton,
  key: string,
  sent: readonly number[],
  started: readonly { index: number; pipelineId: string }[],
): QueuedSelection | null {
  const now = started.map((s) => ({ index: sent[s.index] ?? s.index, pipelineId: s.pipelineId }));
  if (button.kind === 'rest' && last) return { key, started: [...last.started, ...now] };
  if (now.length === 0) return button.kind === 'again' ? last : null;
  return { key, started: now };
}

/** "a", "a and b", "a, b and c". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The label of Queue: what it sends, in jobs (one pipeline per recipe). */
export function queueLabel(button: QueueButton, count: number): string {
  if (button.kind === 'held') return 'Queued\u00a0✓';
  if (button.kind === 'again') return 'Queue again';
  const n = button.kind === 'rest' ? button.rest.length : count;
  return n <= 1 ? 'Queue job' : `Queue ${n} jobs`;
}

/**
 * Beside Queue when part of the selection was queued: which recipes were (they are not sent again) and that the
 * button sends the others.
 */
export function partlyQueuedNote(queued: readonly string[], rest: readonly string[]): string {
  const were = (names: readonly string[]) => (names.length === 1 ? 'was' : 'were');
  return `${listNames(queued)} ${were(queued)} queued (see Pipelines below); ${listNames(rest)} ${were(rest)} not: Queue sends ${rest.length === 1 ? 'it' : `those ${rest.length}`}.`;
}
