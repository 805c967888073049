/**
 * The app's responsiveness check (issue 6, Performance), on the `serve` path:
 *
 *   npm run build && node out/electron/scripts/measure-event-loop.js [--json] [--size-mb 100]
 *
 * It starts `onnx-studio serve` (backend + HTTP/WebSocket server) in a child process, the way a user runs it,
 * and drives it from this process over a real WebSocket, as a browser would:
 *   1. idle: a second of nothing, for the baseline;
 *   2. open: `studio:model.inspect` on a generated ~100 MB model (an MLP of six 2048x2048 float32 layers),
 *      first with a cold task process and then warm; the round trip (request sent -> summary received) is
 *      the time to the Model view's data;
 *   3. jobs: int8-dynamic and fp16 quantization of that model, then a 3 s interleaved benchmark of the
 *      original and the int8 variant (streaming latency samples), all queued through the WebSocket;
 *   4. streaming: a 3 s benchmark of the bundled digits model, which runs tens of thousands of times a
 *      second: the most latency samples the server ever relays.
 * During each phase the server process measures its own event loop with `perf_hooks.monitorEventLoopDelay`
 * (10 ms resolution) and a 10 ms interval timer that records every gap over 50 ms (a "long task"). The
 * target: no task over 50 ms in the server while jobs run, because the work happens in the engine and task
 * processes. Figures depend on the machine; run it on an otherwise idle one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import WebSocket from 'ws';
import type { JobEvent } from '../../shared/ipc-contract.js';
import type { WsServerMessage } from '../../shared/ws-protocol.js';
import { wsUrlFor } from '../../shared/ws-protocol.js';
import { sampleModel } from '../engine/jobs/sample-model.js';
import { StudioBackend } from '../engine/jobs/studio-backend.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../engine/onnx/graph-build.js';
import { findRendererDir } from '../main/renderer-files.js';
import { startServeServer } from '../serve/serve-server.js';

const LONG_TASK_MS = 50;

interface LoopStats {
  /** Largest event-loop delay monitorEventLoopDelay saw (ms). */
  maxDelayMs: number;
  p99DelayMs: number;
  meanDelayMs: number;
  /**
   * Gaps of the 10 ms interval timer over 50 ms during which the main thread was running most of the time:
   * a task of ours blocked the loop that long.
   */
  longTasks: number;
  /**
   * Gaps over 50 ms during which the main thread mostly was not running: the OS did not schedule the process
   * (other processes had the CPUs). Not a task of ours; it shows how loaded the machine was.
   */
  starvedGaps: number;
  longestGapMs: number;
  /** Main-thread CPU time in the longest gap (ms), to tell the two apart. */
  longestGapCpuMs: number;
}

/**
 * CPU time of this process's main thread (ms): /proc/self/task/<pid>/stat on Linux (utime + stime, in clock
 * ticks of 10 ms), or the whole process's CPU time elsewhere (which counts helper threads too).
 */
function mainThreadCpuMs(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
}

type ToServer = { type: 'reset' } | { type: 'stats' } | { type: 'stop' };
type FromServer = { type: 'listening'; url: string } | { type: 'stats'; stats: LoopStats };

// ---------------------------------------------------------------------------------------------------------
// The server side (child process)
// ---------------------------------------------------------------------------------------------------------

async function serverMain(dataDir: string): Promise<void> {
  const send = (m: FromServer) => process.send?.(m);
  let rendererDir = findRendererDir();
  if (!rendererDir) {
    rendererDir = path.join(dataDir, 'renderer');
    fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>stub</title>');
  }
  const backend = new StudioBackend({
    dataDir,
    host: 'serve',
    version: 'measure',
    capabilities: { nativeDialogs: false, fileBrowser: true, upload: true },
  });
  const server = await startServeServer({
    backend,
    rendererDir,
    uploadsDir: path.join(dataDir, 'uploads'),
    version: 'measure',
    log: (m) => process.stderr.write(`${m}\n`),
  });

  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let longTasks = 0;
  let starvedGaps = 0;
  let longestGapMs = 0;
  let longestGapCpuMs = 0;
  let last = performance.now();
  let lastCpu = mainThreadCpuMs();
  const ticker = setInterval(() => {
    const now = performance.now();
    const cpu = mainThreadCpuMs();
    const gap = now - last - 10;
    const cpuInGap = cpu - lastCpu;
    if (gap > LONG_TASK_MS) {
      // 10 ms clock ticks: allow one tick of rounding either way.
      if (cpuInGap + 10 >= gap / 2) longTasks++;
      else starvedGaps++;
    }
    if (gap > longestGapMs) {
      longestGapMs = gap;
      longestGapCpuMs = cpuInGap;
    }
    last = now;
    lastCpu = cpu;
  }, 10);

  process.on('message', (message: ToServer) => {
    switch (message.type) {
      case 'reset':
        histogram.reset();
        longTasks = 0;
        starvedGaps = 0;
        longestGapMs = 0;
        longestGapCpuMs = 0;
        last = performance.now();
        lastCpu = mainThreadCpuMs();
        return;
      case 'stats':
        send({
          type: 'stats',
          stats: {
            maxDelayMs: histogram.max / 1e6,
            p99DelayMs: histogram.percentile(99) / 1e6,
            meanDelayMs: histogram.mean / 1e6,
            longTasks,
            starvedGaps,
            longestGapMs: Math.max(0, longestGapMs),
            longestGapCpuMs,
          },
        });
        return;
      case 'stop':
        clearInterval(ticker);
        histogram.disable();
        void server
          .close()
          .then(() => backend.dispose())
          .then(() => process.exit(0));
        return;
    }
  });
  send({ type: 'listening', url: server.url });
}

// ---------------------------------------------------------------------------------------------------------
// The client side (this process)
// ---------------------------------------------------------------------------------------------------------

/** Deterministic weights in [-scale, scale) (xorshift32). */
function weights(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

/** An MLP of `layers` Gemm layers of width x width float32 weights (4 * width^2 bytes each). */
function writeBigModel(file: string, width: number, layers: number): number {
  const FLOAT = TensorProto_DataType.FLOAT;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let previous = 'input';
  for (let l = 0; l < layers; l++) {
    const w = `fc${l}.weight`;
    const b = `fc${l}.bias`;
    initializers.push(
      makeFloatTensor(w, [width, width], weights(width * width, l + 1, 1 / Math.sqrt(width))),
    );
    initializers.push(makeFloatTensor(b, [width], weights(width, 100 + l, 0.1)));
    const out = l === layers - 1 ? 'output' : `fc${l}.out`;
    nodes.push(
      makeNode('Gemm', [previous, w, b], [out], { name: `fc${l}`, attributes: { transB: { int: 1 } } }),
    );
    if (l < layers - 1) {
      nodes.push(makeNode('Relu', [out], [`relu${l}.out`], { name: `relu${l}` }));
      previous = `relu${l}.out`;
    }
  }
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'onnx-studio-measure-event-loop',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, {
      name: 'big-mlp',
      node: nodes,
      input: [makeValueInfo('input', FLOAT, ['batch', width])],
      output: [makeValueInfo('output', FLOAT, ['batch', width])],
      initializer: initializers,
    }),
  });
  const bytes = toBinary(ModelProtoSchema, model);
  fs.writeFileSync(file, bytes);
  return bytes.length;
}

class Client {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    (response: { ok: boolean; value?: unknown; error?: { message: string } }) => void
  >();
  private readonly jobWaiters = new Map<string, (event: JobEvent) => void>();
  readonly eventCounts = { events: 0, metricValues: 0 };

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const m = JSON.parse(String(data)) as WsServerMessage;
      if (m.type === 'response') this.pending.get(Number(m.id))?.(m.response as never);
      if (m.type === 'event' && m.channel === 'studio:job.event') {
        this.eventCounts.events++;
        if (m.payload.type === 'metric') this.eventCounts.metricValues += m.payload.values.length;
        if (['result', 'failed', 'cancelled'].includes(m.payload.type))
          this.jobWaiters.get(m.payload.jobId)?.(m.payload);
      }
    });
  }

  static async connect(url: string): Promise<Client> {
    const socket = new WebSocket(wsUrlFor(url));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Client(socket);
  }

  request<T>(channel: string, payload: unknown): Promise<T> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ type: 'request', id, channel, payload }));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, (response) => {
        this.pending.delete(id);
        if (response.ok) resolve(response.value as T);
        else reject(new Error(`${channel}: ${response.error?.message}`));
      });
    });
  }

  /** Starts a job and resolves with its terminal event. */
  async job(spec: unknown): Promise<JobEvent> {
    const { jobId } = await this.request<{ jobId: string }>('studio:job.start', spec);
    return new Promise((resolve) => this.jobWaiters.set(jobId, resolve));
  }

  close(): void {
    this.socket.close();
  }
}

function ask(child: ChildProcess, message: ToServer): void {
  child.send(message);
}

function nextMessage<T extends FromServer['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<FromServer, { type: T }>> {
  return new Promise((resolve) => {
    const on = (m: FromServer) => {
      if (m.type === type) {
        child.off('message', on);
        resolve(m as Extract<FromServer, { type: T }>);
      }
    };
    child.on('message', on);
  });
}

async function measure<T>(
  child: ChildProcess,
  work: () => Promise<T>,
): Promise<{ value: T; stats: LoopStats; ms: number }> {
  ask(child, { type: 'reset' });
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  const reply = nextMessage(child, 'stats');
  ask(child, { type: 'stats' });
  return { value, stats: (await reply).stats, ms };
}

async function clientMain(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean' }, 'size-mb': { type: 'string' } },
    allowPositionals: false,
  });
  const sizeMb = Number(values['size-mb'] ?? 100);
  const width = 2048;
  const layers = Math.max(1, Math.round((sizeMb * 1e6) / (4 * width * width)));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-studio-loop-'));
  const log = (text: string) => process.stderr.write(`${text}\n`);
  try {
    const model = path.join(tmp, 'big-mlp.onnx');
    const modelBytes = writeBigModel(model, width, layers);
    log(`model: ${model} (${(modelBytes / 1e6).toFixed(1)} MB, ${layers} layers of ${width}x${width})`);

    const child = fork(process.argv[1]!, ['--server', path.join(tmp, 'data')], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { url } = await nextMessage(child, 'listening');
    const client = await Client.connect(url);

    const idle = await measure(child, () => new Promise((resolve) => setTimeout(resolve, 1000)));
    log(`idle: loop max ${idle.stats.maxDelayMs.toFixed(1)} ms`);

    const cold = await measure(child, () =>
      client.request<{ nodes: number }>('studio:model.inspect', { path: model }),
    );
    const warm = await measure(child, () =>
      client.request<{ nodes: number }>('studio:model.inspect', { path: model }),
    );
    log(`open 100 MB model: cold ${cold.ms.toFixed(0)} ms, warm ${warm.ms.toFixed(0)} ms`);

    const timings: Record<string, number> = {};
    const jobs = await measure(child, async () => {
      const timed = async (name: string, spec: unknown) => {
        const t = performance.now();
        const end = await client.job(spec);
        timings[name] = performance.now() - t;
        if (end.type !== 'result') throw new Error(`${name} ended ${end.type}: ${JSON.stringify(end)}`);
        return end.result as { variant?: { id: string } };
      };
      const [dyn] = await Promise.all([
        timed('quantize int8-dynamic', { kind: 'quantize', modelPath: model, method: 'int8-dynamic' }),
        timed('quantize fp16', { kind: 'quantize', modelPath: model, method: 'fp16' }),
      ]);
      await timed('bench original vs int8 (3 s)', {
        kind: 'bench',
        modelPath: model,
        targets: ['original', dyn.variant!.id],
        durationMs: 3000,
        warmup: 5,
      });
    });
    const jobEvents = { ...client.eventCounts };
    for (const [name, ms] of Object.entries(timings)) log(`${name}: ${ms.toFixed(0)} ms`);
    log(`jobs: loop max ${jobs.stats.maxDelayMs.toFixed(1)} ms, long tasks ${jobs.stats.longTasks}`);

    // A tiny model runs tens of thousands of times a second: the most samples the server ever relays.
    const sample = sampleModel();
    const before = client.eventCounts.metricValues;
    const streaming = sample
      ? await measure(child, async () => {
          const end = await client.job({
            kind: 'bench',
            modelPath: sample.modelPath,
            durationMs: 3000,
            warmup: 5,
          });
          if (end.type !== 'result') throw new Error(`digits bench ended ${end.type}`);
        })
      : undefined;
    const streamedSamples = client.eventCounts.metricValues - before;
    if (streaming)
      log(`streaming: ${streamedSamples} samples, loop max ${streaming.stats.maxDelayMs.toFixed(1)} ms`);

    const result = {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
      modelBytes,
      openModel: { coldMs: cold.ms, warmMs: warm.ms, loop: { cold: cold.stats, warm: warm.stats } },
      jobs: { timings, events: jobEvents, loop: jobs.stats, wallMs: jobs.ms },
      ...(streaming
        ? { streaming: { samples: streamedSamples, loop: streaming.stats, wallMs: streaming.ms } }
        : {}),
      idle: idle.stats,
      verdict: {
        noLongTaskWhileJobsRun: jobs.stats.longTasks === 0 && (streaming?.stats.longTasks ?? 0) === 0,
        openUnderOneSecondWarm: warm.ms < 1000,
      },
    };
    client.close();
    ask(child, { type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));

    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const f = (n: number) => n.toFixed(1);
    const row = (name: string, s: LoopStats, extra = '') =>
      `${name.padEnd(22)} delay max ${f(s.maxDelayMs).padStart(6)} ms  p99 ${f(s.p99DelayMs).padStart(5)} ms  | long tasks (>${LONG_TASK_MS} ms) ${s.longTasks}, ` +
      `starved gaps ${s.starvedGaps} (longest gap ${f(s.longestGapMs)} ms, ${f(s.longestGapCpuMs)} ms CPU)${extra}`;
    process.stdout.write(
      [
        `Server event loop (serve process), ${result.machine.cpus} CPUs, ${result.machine.model}, Node ${result.machine.node}, load ${os.loadavg()[0]!.toFixed(1)}`,
        row('idle (1 s)', idle.stats),
        row('open model, cold', cold.stats, `  round trip ${cold.ms.toFixed(0)} ms`),
        row('open model, warm', warm.stats, `  round trip ${warm.ms.toFixed(0)} ms`),
        row(
          'quantize x2 + bench',
          jobs.stats,
          `  over ${(jobs.ms / 1000).toFixed(1)} s, ${jobEvents.events} job events, ${jobEvents.metricValues} latency samples streamed`,
        ),
        ...Object.entries(timings).map(([name, ms]) => `  ${name}: ${(ms / 1000).toFixed(2)} s`),
        ...(streaming
          ? [row('bench digits (3 s)', streaming.stats, `  ${streamedSamples} latency samples streamed`)]
          : []),
        `Verdict: no task over ${LONG_TASK_MS} ms while jobs run: ${result.verdict.noLongTaskWhileJobsRun ? 'yes' : 'NO'}; ` +
          `100 MB model summary in under 1 s (warm): ${result.verdict.openUnderOneSecondWarm ? 'yes' : 'NO'}`,
        '',
      ].join('\n'),
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--server') await serverMain(process.argv[3]!);
else await clientMain();
