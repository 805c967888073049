import '../engine/host/young-generation.js';
import { cancelOnSignals } from './cancel-signals.js';
import { runCli } from './main.js';

// Ctrl+C (or SIGTERM, SIGHUP) cancels the running command through its AbortSignal; a second one exits at once.
const cancel = cancelOnSignals();

process.exitCode = cancel.exitCode(await runCli(process.argv.slice(2), process, cancel.signal));
