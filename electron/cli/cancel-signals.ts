import os from 'node:os';
import { removeTemporariesNow } from '../engine/onnx/atomic-files.js';

/**
 * The signals that cancel a command as Ctrl+C does. SIGTERM is what `timeout`, `kill`, CI job limits, `docker stop`,
 * Kubernetes and Slurm's time limit send; SIGHUP comes when the terminal closes. Handled by default, they ended
 * the process at once, leaving temporary files, half-written outputs and tune's temporary folder behind.
 */
export const CANCELLING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type CancellingSignal = (typeof CANCELLING_SIGNALS)[number];

/**
 * Within this long of the first signal, another one is the same request: `timeout` (and some process managers)
 * signal the process and then its whole group, so one request arrives twice in a few milliseconds.
 */
export const SAME_SIGNAL_MS = 500;

/** A cancelled command's exit code: 128 + the signal's number, as a shell reports it (130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
export function signalExitCode(signal: CancellingSignal): number {
  return 128 + os.constants.signals[signal];
}

/** What cancelOnSignals needs of the process (a stand-in in tests). */
export interface SignalSource {
  on(signal: CancellingSignal, listener: (signal: CancellingSignal) => void): unknown;
  once(event: 'exit', listener: () => void): unknown;
  exit(code: number): void;
}

/**
 * Cancels the running command through the returned AbortSignal on the first of CANCELLING_SIGNALS; a second one
 * (at least SAME_SIGNAL_MS later) exits at once, removing the temporary files and folders still there as it exits,
 * after the child processes were killed (their 'exit' listeners come first), so none writes into them again. A
 * rename into place is synchronous, so the exit never leaves an output half-renamed.
 * `exitCode` turns the command's code into the one to exit with: a cancellation (130) by SIGTERM is 143, by SIGHUP
 * 129; anything else (a command that finished before the signal could stop it) is left as it is.
 */
export function cancelOnSignals(
  source: SignalSource = process,
  removeTemporaries: () => void = removeTemporariesNow,
): { signal: AbortSignal; exitCode: (code: number) => number } {
  const controller = new AbortController();
  let first: CancellingSignal | undefined;
  let since = 0;
  const onSignal = (signal: CancellingSignal) => {
    if (first === undefined) {
      first = signal;
      controller.abort();
      // Counted from when the abort's own work is done and the loop has turned once: on a busy machine the group's
      // copy of this same signal was handled more than 0.5 s after it and exited at once, silently (1 run in 5).
      since = performance.now();
      setImmediate(() => (since = performance.now()));
      return;
    }
    if (performance.now() - since < SAME_SIGNAL_MS) return;
    source.once('exit', removeTemporaries);
    source.exit(signalExitCode(signal));
  };
  for (const signal of CANCELLING_SIGNALS) source.on(signal, onSignal);
  return {
    signal: controller.signal,
    exitCode: (code) => (code === 130 && first !== undefined ? signalExitCode(first) : code),
  };
}
