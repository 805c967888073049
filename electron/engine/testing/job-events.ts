import type { JobEvent } from '../../../shared/ipc-contract.js';

/** A job listener, and a promise of the first event `predicate` accepts: waits for an event, never a sleep. */
export function waitForEvent(predicate: (event: JobEvent) => boolean): { listener: (event: JobEvent) => void; seen: Promise<JobEvent> } {
  let resolve!: (event: JobEvent) => void;
  const seen = new Promise<JobEvent>((r) => (resolve = r));
  return { listener: (event) => (predicate(event) ? resolve(event) : undefined), seen };
}
