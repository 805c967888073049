/**
 * The engine transport for Electron: engine and task processes started with `utilityProcess.fork` (a Node
 * child process managed by Chromium's service machinery, with `process.parentPort` as its channel) behind
 * the same `EngineTransport` interface the Node transport (`child_process.fork`) implements, so
 * `EngineClient` and `TaskPool` work unchanged in the app.
 *
 * Typed against the small part of Electron's API it uses, and Electron is passed in: this file imports
 * nothing from `electron` at runtime, so it is tested under plain Node with a fake.
 */
import type { HostToEngineMessage } from '../engine/host/engine-protocol.js';
import type { EngineExit, EngineLauncher, EngineTransport } from '../engine/host/engine-transport.js';

/** The part of Electron's `UtilityProcess` used here. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'spawn', listener: () => void): unknown;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): unknown;
}

export type UtilityFork = (
  modulePath: string,
  args: string[],
  options: { stdio: 'pipe'; serviceName: string; env?: NodeJS.ProcessEnv; execArgv?: string[] },
) => UtilityProcessLike;

export interface UtilityTransportOptions {
  /** `utilityProcess.fork` from electron (injected so this module stays Node-testable). */
  fork: UtilityFork;
  /** The compiled entry module (engine-process.js or task-process.js). */
  entry: string;
  /** Shown in the OS task manager, e.g. `ONNX Studio engine`. */
  serviceName: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts one utility process and adapts it to `EngineTransport`. */
export function utilityTransport<Out extends object = HostToEngineMessage>(options: UtilityTransportOptions): EngineTransport<Out> {
  const child = options.fork(options.entry, [], {
    stdio: 'pipe',
    serviceName: options.serviceName,
    // --expose-gc lets a benchmark collect parsed models before measuring memory, as under Node.
    execArgv: ['--expose-gc'],
    ...(options.env ? { env: options.env } : {}),
  });
  const exitListeners: ((exit: EngineExit) => void)[] = [];
  const outputListeners: ((chunk: string) => void)[] = [];
  let exited = false;
  let fatal: string | undefined;
  const forward = (chunk: Buffer | string) => {
    for (const listener of outputListeners)
      listener(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  };
  // Always drain the pipes, listener or not: a full pipe would block the child's next write.
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  child.on('error', (type, location) => {
    // A V8 fatal error; 'exit' follows. Keep the location for the crash report.
    fatal = `${type} at ${location}`;
    forward(`[utility process] ${fatal}\n`);
  });
  child.on('exit', (code) => {
    if (exited) return;
    exited = true;
    // utilityProcess reports no signal; a native crash shows as a non-zero code (and `fatal`, for V8 errors).
    const exit: EngineExit = { code, signal: null };
    if (fatal) exit.error = fatal;
    for (const listener of exitListeners) listener(exit);
  });
  return {
    get pid() {
      return child.pid;
    },
    send(message: Out) {
      if (exited) throw new Error('The engine process has exited.');
      child.postMessage(message);
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
      if (!exited) child.kill();
    },
  };
}

/** A launcher for `EngineClient` / `TaskPool`. */
export function utilityLauncher<Out extends object = HostToEngineMessage>(options: UtilityTransportOptions): EngineLauncher<Out> {
  return () => utilityTransport<Out>(options);
}
