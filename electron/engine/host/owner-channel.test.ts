import { describe, expect, it } from 'vitest';
import { waitForEvent } from '../testing/job-events.js';
import type { SupervisorChildStart } from '../testing/supervisor-child.js';
import { childEntry, forkEngine } from './engine-transport.js';
import { ProcessSupervisor, type CancelMessage } from './process-supervisor.js';

/*
 * A child process (testing/supervisor-child.ts, which connects to its owner as the engine and task processes do)
 * outlives the SIGINT, SIGTERM and SIGHUP sent to its whole process group (Ctrl+C, `timeout`, a closed terminal):
 * stopping its jobs is the owner's decision. A task process that died of `timeout`'s SIGTERM at once left its
 * temporary folder (int8-static's pre-optimization) in TMPDIR.
 */

describe('connectToOwner', () => {
  it('a child ignores SIGINT, SIGTERM and SIGHUP from outside; its owner cancels the job', async () => {
    const { entry, execArgv } = childEntry(new URL('../testing/', import.meta.url).href, 'supervisor-child');
    const proc = new ProcessSupervisor<SupervisorChildStart>({
      launch: () => forkEngine<SupervisorChildStart | CancelMessage>({ entry, execArgv, env: process.env }),
      kind: 'task',
      startTimeoutMs: 30_000,
      cancelGraceMs: 300,
    });
    try {
      const progress = waitForEvent((e) => e.type === 'progress');
      const id = 'signalled';
      const done = proc.run({
        message: { type: 'start', id, request: { do: 'until-cancelled' } },
        work: 'testing',
        models: ['/models/m.onnx'],
        onEvent: progress.listener,
      });
      await progress.seen;
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(proc.pid!, signal);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(proc.alive).toBe(true);
      expect(proc.cancel(id)).toBe(true);
      expect((await done).type).toBe('cancelled');
    } finally {
      await proc.stop();
    }
  });
});
