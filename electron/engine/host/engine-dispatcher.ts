import { latencyMetricName } from '../../../shared/latency-stats.js';
import { isHostToEngineMessage, type EngineRequest, type EngineStats } from './engine-protocol.js';
import { parseBenchParams, runBenchmark } from '../bench/run-benchmark.js';
import { StudioError, toEngineErrorInfo } from '../errors.js';
import { probeProviders } from '../runtime/execution-providers.js';
import { JobEmitter } from './job-emitter.js';
import type { OwnerChannel } from './owner-channel.js';
import { testCrash } from './test-hooks.js';

export interface EngineOptions {
  /** Accept `testCrash` requests (only when the tests started the engine with the test-hooks env var). */
  testHooks: boolean;
}

interface RunningJob {
  controller: AbortController;
  emitter: JobEmitter;
}

/**
 * Runs one task at a time. Inference jobs share the CPU with nothing else of ours, so a benchmark never
 * measures another job's work; cheap requests (ping, cancel) do not queue behind them.
 */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  get busy(): boolean {
    return this.pending > 0;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }
}

function engineStats(): EngineStats {
  const memory = process.memoryUsage();
  return { pid: process.pid, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, uptimeMs: Math.round(process.uptime() * 1000) };
}

/** Wires the engine's request handling to the channel and says `ready`. */
export function startEngine(channel: OwnerChannel, options: EngineOptions): void {
  const jobs = new Map<string, RunningJob>();
  const inference = new SerialQueue();

  async function handle(request: EngineRequest, job: RunningJob): Promise<unknown> {
    const { emitter, controller } = job;
    const signal = controller.signal;
    switch (request.method) {
      case 'ping':
        return engineStats();
      case 'providers':
        return inference.run(async () => {
          emitter.phase('probing providers');
          return probeProviders();
        });
      case 'bench': {
        const params = parseBenchParams(request.params);
        if (inference.busy) emitter.phase('queued', params.models.join(', '));
        return inference.run(async () => {
          if (signal.aborted) throw new StudioError('CANCELLED', 'The benchmark was cancelled before it started.');
          return runBenchmark(params, {
            signal,
            onPhase: (phase, model) => emitter.phase(phase, model),
            onProgress: (fraction, stage) => emitter.progress(fraction, stage),
            onLog: (level, message) => emitter.log(level, message),
            // Rounded to 0.1 us: plenty for a histogram, and a third of the bytes of full doubles, which
            // matters when a tiny model streams tens of thousands of samples a second.
            onSamples: (i, values) => emitter.metric(latencyMetricName(i), 'ms', values.map((v) => Math.round(v * 1e4) / 1e4)),
          });
        });
      }
      case 'testCrash':
        return testCrash(request.params.mode, options.testHooks, (phase, model) => emitter.phase(phase, model));
    }
  }

  async function start(id: string, request: EngineRequest): Promise<void> {
    const emitter = new JobEmitter(id, (m) => channel.send(m));
    if (jobs.has(id)) {
      emitter.failed({ code: 'BAD_REQUEST', message: `A job with id '${id}' is already running.` });
      return;
    }
    const job: RunningJob = { controller: new AbortController(), emitter };
    jobs.set(id, job);
    try {
      const result = await handle(request, job);
      emitter.result(result);
    } catch (error) {
      const info = toEngineErrorInfo(error);
      if (info.code === 'CANCELLED' && job.controller.signal.aborted) emitter.cancelled();
      else emitter.failed(info);
    } finally {
      jobs.delete(id);
    }
  }

  channel.onMessage((message) => {
    if (!isHostToEngineMessage(message)) {
      process.stderr.write(`onnx-studio engine: ignored a malformed message: ${JSON.stringify(message)?.slice(0, 200)}\n`);
      return;
    }
    if (message.type === 'cancel') {
      jobs.get(message.id)?.controller.abort();
      return;
    }
    void start(message.id, message.request);
  });
  channel.send({ type: 'ready', pid: process.pid, testHooks: options.testHooks });
}
