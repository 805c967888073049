import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCnn, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { aggregateProfile, aggregateProfileFile, readTraceEvents, type TraceEvent } from './profile-trace.js';

function kernel(name: string, opType: string, ts: number, dur: number): TraceEvent {
  return { cat: 'Node', ph: 'X', name: `${name}_kernel_time`, ts, dur, args: { op_name: opType } };
}
function run(ts: number, dur: number): TraceEvent {
  return { cat: 'Session', ph: 'X', name: 'model_run', ts, dur };
}

describe('aggregateProfile on a hand-made trace', () => {
  // Three runs; kernels are listed before their model_run, as onnxruntime writes them.
  const events: TraceEvent[] = [
    { cat: 'Session', ph: 'X', name: 'session_initialization', ts: 0, dur: 50 },
    kernel('conv1', 'Conv', 101, 500),
    kernel('relu1', 'Relu', 602, 100),
    run(100, 700),
    kernel('conv1', 'Conv', 1001, 300),
    kernel('relu1', 'Relu', 1302, 100),
    run(1000, 500),
    kernel('conv1', 'Conv', 2001, 500),
    kernel('relu1', 'Relu', 2502, 100),
    { cat: 'Node', ph: 'X', name: 'conv1_fence_before', ts: 2001, dur: 0 },
    run(2000, 700),
    kernel('stray', 'Add', 5000, 999), // outside every run: ignored
  ];

  it('takes the median run of each op type and node, skipping the first runs', async () => {
    const all = await aggregateProfile(events);
    expect(all.runs).toBe(3);
    expect(all.byOpType.map((o) => o.opType)).toEqual(['Conv', 'Relu']);
    const [conv, relu] = all.byOpType;
    // Conv took 500, 300 and 500 us: the median run's 0.5 ms, not the mean's 0.433.
    expect(conv?.ms).toBeCloseTo(0.5, 12);
    expect(conv?.pct).toBeCloseTo((100 * 5) / 6, 12);
    expect(relu?.ms).toBeCloseTo(0.1, 12);
    expect(relu?.pct).toBeCloseTo(100 / 6, 12);
    const skipped = await aggregateProfile(events, { skipRuns: 1 });
    expect(skipped.runs).toBe(2);
    expect(skipped.byOpType[0]?.opType).toBe('Conv');
    expect(skipped.byOpType[0]?.ms).toBeCloseTo(0.4, 12);
    expect(skipped.byOpType[0]?.pct).toBeCloseTo(80, 12);
    expect(skipped.topNodes.map((n) => `${n.name}:${n.opType}`)).toEqual(['conv1:Conv', 'relu1:Relu']);
    expect(skipped.topNodes[1]?.ms).toBeCloseTo(0.1, 12);
  });

  it('marks op types whose every kernel wrote 8-bit integers', async () => {
    const typed = (name: string, opType: string, ts: number, out: string): TraceEvent => ({
      ...kernel(name, opType, ts, 10),
      args: { op_name: opType, output_type_shape: [{ [out]: [1, 4] }] },
    });
    const agg = await aggregateProfile([
      typed('e1', 'Expand', 1, 'uint8'),
      typed('e2', 'Expand', 20, 'int8'),
      typed('r1', 'Reshape', 40, 'uint8'),
      typed('r2', 'Reshape', 60, 'float'),
      kernel('c1', 'Conv', 80, 10),
      run(0, 100),
    ]);
    const flags = Object.fromEntries(agg.byOpType.map((o) => [o.opType, o.int8Data ?? false]));
    expect(flags).toEqual({ Expand: true, Reshape: false, Conv: false });
  });

  it('keeps only the top N nodes and copes with no runs', async () => {
    const one = await aggregateProfile(events, { topNodes: 1 });
    expect(one.topNodes).toHaveLength(1);
    // Every node stays in `nodes` (the Graph view's heat), capped separately.
    expect(one.nodes.map((n) => n.name)).toEqual(['conv1', 'relu1']);
    expect((await aggregateProfile(events, { allNodes: 1 })).nodes).toHaveLength(1);
    const none = await aggregateProfile(events, { skipRuns: 10 });
    expect(none).toEqual({ byOpType: [], topNodes: [], nodes: [], runs: 0 });
  });
});

describe('aggregateProfile of a model with more nodes than `nodes` lists', () => {
  it("lists every Cast past the cap, so that explain can tell the original's Casts from added ones", async () => {
    // 6,000 MatMuls of 50 us and 20 Casts of 2 us: the Casts are the fastest, past the 5,000 slowest.
    const events: TraceEvent[] = [];
    for (let r = 0; r < 3; r++) {
      const t = r * 1_000_000;
      for (let i = 0; i < 6000; i++) events.push(kernel(`mm_${i}`, 'MatMul', t + 1 + i * 60, 50));
      for (let i = 0; i < 20; i++) events.push(kernel(`cast_${i}`, 'Cast', t + 400_000 + i * 10, 2));
      events.push(run(t, 900_000));
    }
    const agg = await aggregateProfile(events);
    // The cap holds for the other nodes; the Casts come after them, still slowest first.
    expect(agg.nodes.filter((n) => n.opType === 'MatMul')).toHaveLength(5000);
    expect(agg.nodes.filter((n) => n.opType === 'Cast').map((n) => n.name)).toEqual(
      Array.from({ length: 20 }, (_, i) => `cast_${i}`).sort(),
    );
    expect(agg.nodes).toHaveLength(5020);
    expect(agg.nodes.every((n, i) => i === 0 || agg.nodes[i - 1]!.ms >= n.ms)).toBe(true);
    // A lower cap too.
    expect((await aggregateProfile(events, { allNodes: 10 })).nodes).toHaveLength(30);
  });
});

describe('aggregateProfile on a loaded machine', () => {
  /** `n` runs of 100 us: a MatMul of 50 us and two Casts of `cast(r)` us each (their sum is the op type's). */
  function trace(n: number, cast: (r: number) => number): TraceEvent[] {
    return Array.from({ length: n }, (_, r) => {
      const t = r * 1000;
      return [
        kernel('mm', 'MatMul', t + 1, 50),
        kernel('cast_a', 'Cast', t + 60, cast(r)),
        kernel('cast_b', 'Cast', t + 70, cast(r)),
        run(t, 900),
      ];
    }).flat();
  }

  it('is not moved by one pre-empted kernel: the figures are the median run, and add up to it', async () => {
    // Cast takes 3 us a kernel, save in run 4, where the thread was pre-empted for 300 us.
    const agg = await aggregateProfile(trace(9, (r) => (r === 4 ? 300 : 3)));
    const byOp = Object.fromEntries(agg.byOpType.map((o) => [o.opType, o.ms]));
    // A mean would say Cast 0.072 ms a run, above the MatMul; the median says 0.006.
    expect(byOp).toEqual({ MatMul: 0.05, Cast: 0.006 });
    expect(agg.byOpType.map((o) => o.opType)).toEqual(['MatMul', 'Cast']);
    expect(agg.byOpType[0]!.pct).toBeCloseTo((100 * 50) / 56, 12);
    // Per node too (the Graph view's heat).
    expect(agg.nodes.find((n) => n.name === 'cast_a')!.ms).toBe(0.003);
    // The same figures as a trace with no outlier at all.
    const calm = await aggregateProfile(trace(9, () => 3));
    expect(calm.byOpType).toEqual(agg.byOpType);
  });

  it('takes the middle two runs of an even count, and lists an op that ran in under half the runs at 0', async () => {
    const four = await aggregateProfile(trace(4, (r) => [1, 2, 4, 100][r]!));
    expect(four.byOpType.find((o) => o.opType === 'Cast')!.ms).toBeCloseTo(0.006, 12);
    // A branch op that ran in one run of three: a typical run has none of it.
    const branch = await aggregateProfile([...trace(3, () => 3), kernel('then', 'Add', 1005, 40)]);
    expect(branch.byOpType.find((o) => o.opType === 'Add')).toMatchObject({ ms: 0, pct: 0 });
  });
});

describe('aggregateProfileFile on a real onnxruntime trace', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('reads the trace onnxruntime-node writes and finds every node of the CNN', async () => {
    const prefix = path.join(tmp.dir, 'trace');
    const session = await ort.InferenceSession.create(modelBytes(buildCnn()), {
      enableProfiling: true,
      profileFilePrefix: prefix,
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
    });
    const feed = {
      input: new ort.Tensor('float32', new Float32Array(3 * 16 * 16).fill(0.5), [1, 3, 16, 16]),
    };
    for (let i = 0; i < 5; i++) await session.run(feed);
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(tmp.dir).find((f) => f.startsWith('trace_') && f.endsWith('.json'));
    expect(file).toBeDefined();
    const trace = path.join(tmp.dir, file as string);

    // The streaming reader sees exactly what JSON.parse of the whole file sees.
    const streamed: TraceEvent[] = [];
    for await (const e of readTraceEvents(trace)) streamed.push(e);
    expect(streamed).toEqual(JSON.parse(fs.readFileSync(trace, 'utf8')));

    const profile = await aggregateProfileFile(trace, { skipRuns: 2 });
    expect(profile.runs).toBe(3);
    // With optimizations disabled every node of the fixture runs as itself.
    expect(profile.byOpType.map((o) => o.opType).sort()).toEqual([
      'Conv',
      'Flatten',
      'Gemm',
      'GlobalAveragePool',
      'MaxPool',
      'Relu',
    ]);
    expect(profile.byOpType.reduce((sum, o) => sum + o.pct, 0)).toBeCloseTo(100, 6);
    // Medians of whole microseconds: a tiny op (Flatten) may take 0 us in most runs.
    for (const o of profile.byOpType) expect(o.ms).toBeGreaterThanOrEqual(0);
    expect(profile.byOpType.find((o) => o.opType === 'Conv')!.ms).toBeGreaterThan(0);
    expect(profile.topNodes.length).toBeGreaterThanOrEqual(6);
    expect(profile.topNodes.length).toBeLessThanOrEqual(10);
    const sorted = [...profile.topNodes].sort((a, b) => b.ms - a.ms);
    expect(profile.topNodes).toEqual(sorted);
    expect(profile.topNodes.map((n) => n.opType)).toContain('Conv');

    // A trace in another layout (pretty-printed) gives the same aggregate.
    const pretty = path.join(tmp.dir, 'pretty.json');
    fs.writeFileSync(pretty, JSON.stringify(JSON.parse(fs.readFileSync(trace, 'utf8')), null, 2));
    expect(await aggregateProfileFile(pretty, { skipRuns: 2 })).toEqual(profile);
  });
});
