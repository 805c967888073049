import { fork } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostToEngineMessage } from './engine-protocol.js';
import { StudioError } from '../errors.js';

/** How an engine process ended. */
export interface EngineExit {
  /** Exit code, when it exited by itself. */
  code: number | null;
  /** The signal that ended it (e.g. `SIGABRT`, `SIGSEGV`, `SIGKILL`), when one did. */
  signal: string | null;
  /** Why it could not be started, when it could not. */
  error?: string;
}

/**
 * One running child process (the engine process or a task process), as its supervisor sees it. `Out` is
 * what the owner sends it: `HostToEngineMessage` for the engine, the task protocol's messages for a task
 * process. The Node implementation below uses `child_process.fork`; the Electron one (in electron/main)
 * wraps `utilityProcess.fork` the same way. Listeners are registered once, right after launch, before any
 * message can arrive.
 */
export interface EngineTransport<Out extends object = HostToEngineMessage> {
  /** The process id, once known. */
  readonly pid: number | undefined;
  /** Sends a message; throws if the channel is already closed (the exit listener then reports why). */
  send(message: Out): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Output the process writes (onnxruntime's native log, crash reports), in chunks. */
  onOutput(listener: (chunk: string) => void): void;
  /** Called exactly once, when the process is gone and its output has been read. */
  onExit(listener: (exit: EngineExit) => void): void;
  /** Ends the process at once (SIGKILL where there are signals). */
  kill(): void;
}

/** Starts a child process. */
export type EngineLauncher<Out extends object = HostToEngineMessage> = () => EngineTransport<Out>;

export interface NodeEngineOptions {
  /** The engine entry file (default: engine-process.js beside this file, or the .ts source run through tsx). */
  entry?: string;
  /** Node flags for the engine process (default: what the entry needs). */
  execArgv?: string[];
  /** Environment of the engine process (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Where a child process entry is: the compiled `<name>.js` beside `moduleUrl` when running from `out/`, or,
 * when running from the TypeScript sources (tests, `node --import tsx`), `<name>.ts` run through tsx, so a
 * test never forks a stale build.
 */
export function childEntry(moduleUrl: string, name: string): { entry: string; execArgv: string[] } {
  const js = fileURLToPath(new URL(`./${name}.js`, moduleUrl));
  if (fs.existsSync(js)) return { entry: js, execArgv: [] };
  const ts = fileURLToPath(new URL(`./${name}.ts`, moduleUrl));
  if (fs.existsSync(ts)) {
    let tsx: string;
    try {
      tsx = createRequire(import.meta.url).resolve('tsx');
    } catch {
      throw new StudioError('INTERNAL', `The ${name} entry is not built and tsx is not installed: run \`npm run build\`.`);
    }
    return { entry: ts, execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  throw new StudioError('INTERNAL', `The ${name} entry is missing (${js}): run \`npm run build\`.`);
}

/** The engine process entry (engine-process.js, or its source through tsx). */
export function defaultEngineEntry(): { entry: string; execArgv: string[] } {
  return childEntry(import.meta.url, 'engine-process');
}

/**
 * glibc malloc settings for the engine process on Linux. A session's weights and arena chunks are large
 * allocations freed all at once on release; with glibc's defaults the mmap threshold grows after the first such
 * free, later ones come from the heap, and the heap fragments: benchmarking 50 models in a row grew the
 * engine's RSS by 16-24%. A fixed threshold never grows: blocks above it are always mmapped and go back to the OS on
 * free, and a trim threshold of 128 KiB hands freed heap back too. At 128 KiB (as first set) RSS held flattest (+0.6%
 * over 50 models of 6 MiB), but every output onnxruntime-node copies into JS memory above 128 KiB was mmapped and
 * unmapped on every run: `bench --generate 2000` on small decoders, whose present.* outputs grow past it, timed decode
 * steps at a mean of 1.0-2.2 ms against 0.33-0.78 ms at 4 MiB (through the CLI, 2 decoders). At 4 MiB RSS over the
 * 50 models rose 5% (108.7 -> 114.3 MiB); at 32 MiB (glibc's own ceiling) it rose 3-21% from a higher start with no
 * faster steps. Values already in the environment win; other C libraries ignore these.
 */
export const ENGINE_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(4 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/**
 * Starts a child process with `child_process.fork`: an IPC channel for messages, stdout and stderr piped. The
 * engine process by default; a task process when `entry` names the task entry.
 */
export function forkEngine<Out extends object = HostToEngineMessage>(options: NodeEngineOptions = {}): EngineTransport<Out> {
  const defaults = options.entry === undefined ? defaultEngineEntry() : { entry: options.entry, execArgv: [] };
  // --expose-gc lets a benchmark collect the parsed model protos before it starts measuring memory.
  const execArgv = options.execArgv ?? ['--expose-gc', ...defaults.execArgv];
  const child = fork(defaults.entry, [], {
    execArgv,
    env: { ...(process.platform === 'linux' ? ENGINE_MALLOC_ENV : {}), ...(options.env ?? process.env) },
    // stdout is piped, never inherited: `onnx-studio ... --json` must print nothing but its JSON there.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const exitListeners: ((exit: EngineExit) => void)[] = [];
  const outputListeners: ((chunk: string) => void)[] = [];
  // Always drain the pipes, listener or not: a full pipe would block the engine's next write.
  const forward = (chunk: string) => {
    for (const listener of outputListeners) listener(chunk);
  };
  child.stdout?.setEncoding('utf8').on('data', forward);
  child.stderr?.setEncoding('utf8').on('data', forward);
  // If this process exits first, take the engine along: one stuck in a native call would never see its
  // channel close, and would run on as an orphan.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let exited = false;
  const reportExit = (exit: EngineExit) => {
    if (exited) return;
    exited = true;
    process.removeListener('exit', killOnExit);
    for (const listener of exitListeners) listener(exit);
  };
  child.once('error', (error) => {
    // Spawning failed (or killing it did); if the process never ran there will be no 'close'.
    if (child.pid === undefined || child.exitCode !== null) reportExit({ code: null, signal: null, error: error.message });
  });
  child.once('close', (code, signal) => reportExit({ code, signal }));
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (!child.connected) throw new Error('The engine process channel is closed.');
      child.send(message, (error) => {
        // A send racing the process's death fails here; the 'close' handler reports the death.
        void error;
      });
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onOutput(listener) {
      outputListeners.push(listener);
    },
    onExit(listener) {
      exitListeners.push(listener);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
