import '../engine/host/young-generation.js';
import { runCli } from './main.js';

/**
 * Within this long of the first Ctrl+C, another SIGINT is the same one: `timeout -s INT` (and some process
 * managers) signal the process and then its whole group, so one request arrives twice in a few milliseconds.
 */
const SAME_SIGNAL_MS = 500;

// Ctrl+C cancels the running command through its AbortSignal; a second Ctrl+C exits at once.
const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
  // Counted from when the abort's own work is done and the loop has turned once: on a busy machine the group's
  // copy of this same signal was handled more than 0.5 s after it and exited at once, silently (1 run in 5).
  let since = performance.now();
  setImmediate(() => (since = performance.now()));
  const force = () => {
    if (performance.now() - since < SAME_SIGNAL_MS) process.once('SIGINT', force);
    else process.exit(130);
  };
  process.once('SIGINT', force);
});

process.exitCode = await runCli(process.argv.slice(2), process, controller.signal);
