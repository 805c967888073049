import '../engine/host/young-generation.js';
import { runCli } from './main.js';

// Ctrl+C cancels the running command through its AbortSignal; a second Ctrl+C exits at once.
const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await runCli(process.argv.slice(2), process, controller.signal);
