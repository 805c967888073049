import { describe, expect, it } from 'vitest';
import type { JobEvent, TerminalJobEvent } from '../../../shared/ipc-contract.js';
import { waitForEvent } from '../testing/job-events.js';
import type { SupervisorChildRequest, SupervisorChildStart } from '../testing/supervisor-child.js';
import { childEntry, forkEngine, type EngineTransport } from './engine-transport.js';
import { ProcessSupervisor, type CancelMessage, type SupervisorOptions } from './process-supervisor.js';

/*
 * Real child processes (testing/supervisor-child.ts through tsx): a start that never says ready, a cancel
 * that is ignored and a crash are what the child really does, not simulations in this process.
 */

type Sent = SupervisorChildStart | CancelMessage;

/** Forks the test child, recording what the supervisor sends it. */
function launchChild(sent: Sent[], env: NodeJS.ProcessEnv = {}): () => EngineTransport<Sent> {
  const { entry, execArgv } = childEntry(new URL('../testing/', import.meta.url).href, 'supervisor-child');
  return () => {
    const transport = forkEngine<Sent>({ entry, execArgv, env: { ...process.env, ...env } });
    return {
      get pid() {
        return transport.pid;
      },
      send(message) {
        sent.push(message);
        transport.send(message);
      },
      onMessage: (listener) => transport.onMessage(listener),
      onOutput: (listener) => transport.onOutput(listener),
      onExit: (listener) => transport.onExit(listener),
      kill: () => transport.kill(),
    };
  };
}

interface Harness {
  proc: ProcessSupervisor<SupervisorChildStart>;
  sent: Sent[];
  /** Resolves once the child is gone and the supervisor has ended its jobs. */
  exited: Promise<void>;
  jobEnds: number;
}

function supervise(options: Partial<SupervisorOptions<SupervisorChildStart>> & { env?: NodeJS.ProcessEnv } = {}): Harness {
  const sent: Sent[] = [];
  let markExited!: () => void;
  const harness = { sent, exited: new Promise<void>((r) => (markExited = r)), jobEnds: 0 } as Harness;
  harness.proc = new ProcessSupervisor<SupervisorChildStart>({
    launch: launchChild(sent, options.env),
    kind: 'task',
    startTimeoutMs: 30_000,
    cancelGraceMs: 300,
    onJobEnd: () => harness.jobEnds++,
    onExit: () => markExited(),
    ...options,
  });
  return harness;
}

let nextId = 0;
function job(request: SupervisorChildRequest, onEvent?: (event: JobEvent) => void) {
  const id = `job-${nextId++}`;
  return { id, message: { type: 'start' as const, id, request }, work: 'testing', models: ['/models/m.onnx'], onEvent };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function errorOf(end: TerminalJobEvent): { code: string; message: string; detail?: string } {
  expect(end.type).toBe('failed');
  return (end as { error: { code: string; message: string; detail?: string } }).error;
}

describe('ProcessSupervisor', () => {
  it('round-trips a request: events stream to the listener, the result resolves, the process lives on', async () => {
    const h = supervise();
    try {
      const events: JobEvent[] = [];
      const request = job({ do: 'echo', value: 'hello' }, (e) => events.push(e));
      const end = await h.proc.run(request);
      expect(end).toMatchObject({ jobId: request.id, type: 'result', result: { value: 'hello', pid: h.proc.pid } });
      // Only the events before the terminal one go to the listener; the terminal one is what run resolves with.
      expect(events).toEqual([expect.objectContaining({ jobId: request.id, seq: 0, type: 'log', message: 'echoing hello' })]);
      expect(end.seq).toBe(1);
      expect(h.sent).toEqual([request.message]);
      expect(h.jobEnds).toBe(1);
      expect(h.proc.alive).toBe(true);
      expect(h.proc.activeJobs).toBe(0);
    } finally {
      await h.proc.stop();
    }
  });

  it('kills a process that does not say ready within the start timeout and fails its jobs saying so', async () => {
    const h = supervise({ startTimeoutMs: 1000, env: { SUPERVISOR_CHILD_SILENT: '1' } });
    const end = await h.proc.run(job({ do: 'echo', value: 'never' }));
    await h.exited;
    const error = errorOf(end);
    expect(error.code).toBe('ENGINE_CRASHED');
    expect(error.message).toBe(
      'The task process did not start within 1 s while testing m.onnx (phase: starting). ' +
        'Try again; if it keeps happening, run onnx-studio with --verbose to see its output.',
    );
    // The request waited for `ready` and never left; the process is gone, not orphaned.
    expect(h.sent).toEqual([]);
    expect(h.proc.alive).toBe(false);
    expect(processExists(h.proc.pid!)).toBe(false);
  });

  it('ends a job that honours a cancel without killing the process', async () => {
    const h = supervise();
    try {
      const progress = waitForEvent((e) => e.type === 'progress');
      const request = job({ do: 'until-cancelled' }, progress.listener);
      const done = h.proc.run(request);
      await progress.seen;
      expect(h.proc.cancel(request.id)).toBe(true);
      expect((await done).type).toBe('cancelled');
      expect(h.sent).toContainEqual({ type: 'cancel', id: request.id });
      expect(h.proc.cancel(request.id)).toBe(false);
      // Same process, still serving.
      const pid = h.proc.pid;
      expect(await h.proc.run(job({ do: 'echo', value: 'after' }))).toMatchObject({ type: 'result', result: { pid } });
    } finally {
      await h.proc.stop();
    }
  });

  it('sends cancel, then kills a process that ignores it after the grace period; other jobs are told why', async () => {
    const h = supervise({ cancelGraceMs: 300 });
    // A job that would run until cancelled shares the process with the one that hangs.
    const waiting = waitForEvent((e) => e.type === 'progress');
    const bystanderDone = h.proc.run(job({ do: 'until-cancelled' }, waiting.listener));
    await waiting.seen;
    const hanging = waitForEvent((e) => e.type === 'log');
    const stuck = job({ do: 'hang' }, hanging.listener);
    const stuckDone = h.proc.run(stuck);
    await hanging.seen;
    const pid = h.proc.pid!;
    expect(h.proc.cancel(stuck.id)).toBe(true);
    expect(h.sent.at(-1)).toEqual({ type: 'cancel', id: stuck.id });
    // Asked, not yet killed: the grace period is still running.
    expect(h.proc.alive).toBe(true);
    const [stuckEnd, bystanderEnd] = await Promise.all([stuckDone, bystanderDone]);
    expect(stuckEnd.type).toBe('cancelled');
    const error = errorOf(bystanderEnd);
    expect(error.code).toBe('ENGINE_CRASHED');
    expect(error.message).toBe(
      'The task process was stopped while testing slow.onnx (phase: running): a cancelled job (testing stuck.onnx) ' +
        'did not stop within 300 ms, and ending it meant ending the process. Start this job again.',
    );
    await h.exited;
    expect(processExists(pid)).toBe(false);
  });

  it('fails a job whose process crashes under it with ENGINE_CRASHED, naming model and phase, with its last output', async () => {
    const h = supervise();
    const end = await h.proc.run(job({ do: 'crash', model: '/models/big.onnx' }));
    const error = errorOf(end);
    expect(error.code).toBe('ENGINE_CRASHED');
    // SIGABRT where there are signals; an exit code on Windows.
    expect(error.message).toMatch(
      /^The task process (crashed \(SIGABRT\)|exited unexpectedly \(exit code \d+\)) while testing big\.onnx \(phase: loading model\)\. The model may be malformed .* \(it gets a fresh process\)\.$/,
    );
    expect(error.detail).toContain('about to abort while loading /models/big.onnx');
    await h.exited;
    expect(h.jobEnds).toBe(0);
    // A job handed to the dead process is told what happened to it rather than left waiting.
    expect(errorOf(await h.proc.run(job({ do: 'echo', value: 'late' }))).code).toBe('ENGINE_CRASHED');
  });

  it('stops the process on request: jobs in flight end cancelled', async () => {
    const h = supervise();
    const progress = waitForEvent((e) => e.type === 'progress');
    const done = h.proc.run(job({ do: 'until-cancelled' }, progress.listener));
    await progress.seen;
    await h.proc.stop();
    expect((await done).type).toBe('cancelled');
    expect(h.proc.alive).toBe(false);
  });

  it('reports a process that cannot be launched as ENGINE_CRASHED, saying to try again', () => {
    expect(
      () =>
        new ProcessSupervisor<SupervisorChildStart>({
          launch: () => {
            throw new Error('spawn ENOMEM');
          },
          kind: 'engine',
          startTimeoutMs: 1000,
          cancelGraceMs: 100,
        }),
    ).toThrow(expect.objectContaining({ code: 'ENGINE_CRASHED', message: 'The engine process could not be started: spawn ENOMEM. Try again.' }));
  });
});
