import { StudioError } from '../errors.js';

/*
 * Where a pruning method can stop. A method's loops are synchronous, so an abort that comes from outside
 * (Ctrl+C's SIGINT handler, a job's cancel message) only lands when the event loop gets a turn: checking
 * `signal.aborted` without giving it one would never see it.
 */

/** Throws CANCELLED when the signal has fired. */
export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'Pruning was cancelled.');
}

/**
 * Gives the event loop a turn, then throws CANCELLED if the signal has fired meanwhile. Called between
 * tensors (layers, channel groups): a turn costs microseconds, a tensor far more.
 */
export async function cancellationPoint(signal: AbortSignal | undefined): Promise<void> {
  checkCancelled(signal);
  if (!signal) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  checkCancelled(signal);
}
