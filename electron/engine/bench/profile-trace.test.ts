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

  it('averages kernel time per run by op type and node, skipping the first runs', async () => {
    const all = await aggregateProfile(events);
    expect(all.runs).toBe(3);
    expect(all.byOpType.map((o) => o.opType)).toEqual(['Conv', 'Relu']);
    const [conv, relu] = all.byOpType;
    expect(conv?.ms).toBeCloseTo(1.3 / 3, 12);
    expect(conv?.pct).toBeCloseTo(81.25, 12);
    expect(relu?.ms).toBeCloseTo(0.1, 12);
    expect(relu?.pct).toBeCloseTo(18.75, 12);
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
    for (const o of profile.byOpType) expect(o.ms).toBeGreaterThan(0);
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
