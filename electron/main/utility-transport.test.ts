import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EngineClient } from '../engine/host/engine-client.js';
import { utilityLauncher, type UtilityProcessLike } from './utility-transport.js';

/** A stand-in for Electron's UtilityProcess that answers like the engine process would. */
class FakeUtilityProcess extends EventEmitter implements UtilityProcessLike {
  readonly pid = 4242;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly sent: unknown[] = [];
  killed = false;

  constructor() {
    super();
    queueMicrotask(() => {
      this.emit('spawn');
      this.emit('message', { type: 'ready', pid: this.pid, testHooks: false });
    });
  }

  postMessage(message: unknown): void {
    this.sent.push(message);
    const m = message as { type: string; id: string; request?: { method: string } };
    if (m.type === 'start' && m.request?.method === 'ping') {
      this.emit('message', {
        type: 'event',
        event: {
          jobId: m.id,
          seq: 0,
          timeMs: 0,
          type: 'result',
          result: { pid: this.pid, rssBytes: 1, heapUsedBytes: 1, uptimeMs: 1 },
        },
      });
    }
  }

  kill(): boolean {
    this.killed = true;
    queueMicrotask(() => this.emit('exit', 9));
    return true;
  }
}

describe('utilityProcess transport', () => {
  it('lets EngineClient run requests and report a crash through Electron-style events', async () => {
    const forks: { entry: string; options: unknown; child: FakeUtilityProcess }[] = [];
    const client = new EngineClient({
      launch: utilityLauncher({
        entry: '/app/out/electron/engine/host/engine-process.js',
        serviceName: 'ONNX Studio engine',
        fork: (entry, _args, options) => {
          const child = new FakeUtilityProcess();
          forks.push({ entry, options, child });
          return child;
        },
      }),
    });
    const stats = await client.call('ping', {});
    expect(stats.pid).toBe(4242);
    expect(forks[0]).toMatchObject({
      entry: '/app/out/electron/engine/host/engine-process.js',
      options: { stdio: 'pipe', serviceName: 'ONNX Studio engine' },
    });

    // A crash (the process exits with a job in flight) fails the job with ENGINE_CRASHED.
    const job = client.start('bench', { models: ['/m.onnx'] } as never);
    await new Promise((resolve) => setTimeout(resolve, 0));
    forks[0]!.child.emit('exit', 134);
    const end = await job.done;
    expect(end).toMatchObject({
      type: 'failed',
      error: { code: 'ENGINE_CRASHED', message: expect.stringMatching(/exit code 134/) },
    });
    // The next request starts a new utility process.
    await client.call('ping', {});
    expect(forks).toHaveLength(2);
    await client.dispose();
    expect(forks[1]!.child.killed).toBe(true);
  });
});
