import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { NodeTime, OpTypeTime } from '../../../shared/bench.js';
import { StudioError } from '../errors.js';

/*
 * onnxruntime's profiler writes a Chrome trace: a JSON array of "complete" events (`ph: "X"`, `ts` and `dur` in
 * microseconds). Per run there is one `model_run` event (cat `Session`) and, for each node executed, an event
 * named `<node name>_kernel_time` (cat `Node`) whose `args.op_name` is the op type (after fusion: a fused node
 * shows as `FusedConv`, `FusedGemm`, ...). The file of a long benchmark can be large (one event per node per
 * run, each with thread statistics), so it is read line by line (onnxruntime writes one event per line) and
 * only a few numbers per kernel event are kept.
 */

/** The fields of a trace event that the aggregation reads. */
export interface TraceEvent {
  cat?: string;
  name?: string;
  ph?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: unknown; [key: string]: unknown };
}

const KERNEL_SUFFIX = '_kernel_time';

/** Reads a trace file's events, streaming when the file has onnxruntime's one-event-per-line layout. */
export async function* readTraceEvents(file: string): AsyncGenerator<TraceEvent> {
  const stream = fs.createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let lineByLine = true;
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '' || line === '[' || line === ']') continue;
      try {
        yield JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as TraceEvent;
      } catch {
        lineByLine = false;
        break;
      }
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (lineByLine) return;
  // Another layout (e.g. a pretty-printed or single-line trace): parse the whole file.
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.promises.readFile(file, 'utf8'));
  } catch (error) {
    throw new StudioError('ORT', `onnxruntime's profiling trace ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const events = Array.isArray(parsed) ? parsed : (parsed as { traceEvents?: unknown }).traceEvents;
  if (!Array.isArray(events)) throw new StudioError('ORT', `onnxruntime's profiling trace ${file} holds no list of events.`);
  yield* events as TraceEvent[];
}

export interface ProfileAggregate {
  byOpType: OpTypeTime[];
  topNodes: NodeTime[];
  /** Every node with kernel time, slowest first: up to `allNodes`, and then every Cast past them. */
  nodes: NodeTime[];
  /** Runs aggregated (after skipping). */
  runs: number;
}

export interface AggregateOptions {
  /** Leave out the first runs in time order (the first run and warmup), which are slower than steady state. */
  skipRuns?: number;
  /** How many nodes `topNodes` lists (default 10). */
  topNodes?: number;
  /**
   * How many nodes `nodes` lists besides Casts (default 5,000: a workspace keeps every profile, so it is capped;
   * Casts are all listed, as explain needs them).
   */
  allNodes?: number;
}

/** Whether a kernel event's `output_type_shape` ([{"uint8": [1, 64, 80, 80]}, ...]) lists only 8-bit integers. */
function writesInt8(outputs: unknown): boolean {
  if (!Array.isArray(outputs) || outputs.length === 0) return false;
  return outputs.every((o) => {
    const types = o && typeof o === 'object' ? Object.keys(o) : [];
    return types.length === 1 && (types[0] === 'uint8' || types[0] === 'int8');
  });
}

/** The median of `values` (0 when empty); sorts a copy. */
function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Kernel time by op type and by node over the runs after `skipRuns`: per op type (and per node) the median over
 * the runs of that run's summed kernel time. A mean (total / runs) let one pre-empted kernel on a loaded machine
 * (0.3 ms against a usual 0.006 ms) dominate its op type and flip explain's advice from one benchmark to the next;
 * the medians stay put and add up to about the median run. A node that did not run in a run (an If branch) counts
 * 0 there. Each kernel event is assigned to the `model_run` whose time span contains it; kernels outside every run
 * (none in practice) are ignored.
 */
export async function aggregateProfile(events: AsyncIterable<TraceEvent> | Iterable<TraceEvent>, options: AggregateOptions = {}): Promise<ProfileAggregate> {
  const runs: { start: number; end: number }[] = [];
  const nodeNames: string[] = [];
  const nodeOps: string[] = [];
  /** Per node: whether every output the profile reports is int8/uint8. */
  const nodeInt8: boolean[] = [];
  const nodeIds = new Map<string, number>();
  const kernelTs: number[] = [];
  const kernelDur: number[] = [];
  const kernelNode: number[] = [];
  for await (const e of events) {
    if (e.ph !== undefined && e.ph !== 'X') continue;
    if (typeof e.ts !== 'number' || typeof e.dur !== 'number' || typeof e.name !== 'string') continue;
    if (e.cat === 'Session' && e.name === 'model_run') {
      runs.push({ start: e.ts, end: e.ts + e.dur });
    } else if (e.cat === 'Node' && e.name.endsWith(KERNEL_SUFFIX)) {
      const name = e.name.slice(0, -KERNEL_SUFFIX.length);
      const opType = typeof e.args?.op_name === 'string' ? e.args.op_name : 'unknown';
      const key = `${opType}\u0000${name}`;
      let id = nodeIds.get(key);
      if (id === undefined) {
        id = nodeNames.length;
        nodeIds.set(key, id);
        nodeNames.push(name);
        nodeOps.push(opType);
        nodeInt8.push(writesInt8(e.args?.output_type_shape));
      }
      kernelTs.push(e.ts);
      kernelDur.push(e.dur);
      kernelNode.push(id);
    }
  }
  runs.sort((a, b) => a.start - b.start);
  const kept = runs.slice(Math.min(options.skipRuns ?? 0, runs.length));
  const firstKept = kept[0]?.start ?? Infinity;
  /** Per node, its kernel time in each kept run (microseconds). */
  const nodeRuns = nodeNames.map(() => new Float64Array(kept.length));
  const ran = new Array<boolean>(nodeNames.length).fill(false);
  for (let k = 0; k < kernelTs.length; k++) {
    const ts = kernelTs[k] as number;
    if (ts < firstKept) continue;
    // The last kept run starting at or before ts (binary search), if ts lies inside it.
    let lo = 0;
    let hi = kept.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((kept[mid] as { start: number }).start <= ts) lo = mid;
      else hi = mid - 1;
    }
    const run = kept[lo];
    if (!run || ts > run.end) continue;
    const node = kernelNode[k] as number;
    const perRun = nodeRuns[node] as Float64Array;
    perRun[lo] = (perRun[lo] as number) + (kernelDur[k] as number);
    // As before the medians, a node whose kernels all took 0 us is not listed.
    if ((kernelDur[k] as number) > 0) ran[node] = true;
  }
  const opRuns = new Map<string, Float64Array>();
  const opInt8 = new Map<string, boolean>();
  nodeRuns.forEach((perRun, id) => {
    if (!ran[id]) return;
    const op = nodeOps[id] as string;
    const sums = opRuns.get(op) ?? new Float64Array(kept.length);
    perRun.forEach((micros, r) => (sums[r] = (sums[r] as number) + micros));
    opRuns.set(op, sums);
    opInt8.set(op, (opInt8.get(op) ?? true) && (nodeInt8[id] as boolean));
  });
  const opMedians = [...opRuns].map(([opType, sums]) => [opType, median(sums)] as const);
  const totalMicros = opMedians.reduce((s, [, micros]) => s + micros, 0);
  // An op type or node with kernel time in some kept run is listed, even where its median is 0 (under half the runs).
  const byOpType = opMedians
    .map(([opType, micros]) => ({
      opType,
      ms: micros / 1000,
      pct: totalMicros > 0 ? (100 * micros) / totalMicros : 0,
      ...(opInt8.get(opType) ? { int8Data: true } : {}),
    }))
    .sort((a, b) => b.ms - a.ms || a.opType.localeCompare(b.opType));
  const nodes = nodeRuns
    .flatMap((perRun, id) => (ran[id] ? [{ name: nodeNames[id] as string, opType: nodeOps[id] as string, ms: median(perRun) / 1000 }] : []))
    .sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
  const topNodes = nodes.slice(0, options.topNodes ?? 10);
  const cap = options.allNodes ?? 5000;
  // Every Cast is listed, past the cap too (after the others, so still slowest first): explain tells the Casts a
  // variant added from the original's by name (shared/explain-casts.ts), which needs all of both models' Casts.
  const listed = nodes.length <= cap ? nodes : [...nodes.slice(0, cap), ...nodes.slice(cap).filter((n) => n.opType === 'Cast')];
  return { byOpType, topNodes, nodes: listed, runs: kept.length };
}

/** Reads and aggregates a trace file. */
export function aggregateProfileFile(file: string, options: AggregateOptions = {}): Promise<ProfileAggregate> {
  return aggregateProfile(readTraceEvents(file), options);
}

/** The folder runBenchmark makes for one profiled benchmark's traces (in the system's temp folder). */
export const PROFILE_DIR_PREFIX = 'onnx-studio-profile-';

/**
 * Deletes the traces a profiled benchmark left, for callers that only wanted the aggregates (explain, the
 * app's comparisons): each is several MB, and `bench --profile` is the one command that hands its path on.
 * Only folders runBenchmark made are removed, whatever a report says.
 */
export async function removeProfileTraces(traceFiles: readonly (string | undefined)[]): Promise<void> {
  for (const file of traceFiles) {
    if (!file) continue;
    const dir = path.dirname(file);
    if (!path.basename(dir).startsWith(PROFILE_DIR_PREFIX) || path.dirname(dir) !== path.resolve(os.tmpdir())) continue;
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
