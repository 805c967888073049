import { describe, expect, it } from 'vitest';
import type { BenchProfile } from '../../../shared/bench.js';
import { mockModelGraph } from '../host/mock-graph.js';
import { heatOverlay, opTypeOverlay, sensitivityOverlay } from './overlays.js';

const graph = mockModelGraph('/models/m.onnx').graph;

describe('opTypeOverlay', () => {
  it('gives each op type one colour, the commonest first in the legend, bodies included', () => {
    const o = opTypeOverlay(graph);
    expect(o.marks.get('0')!.color).toBe(o.marks.get('3')!.color); // both Conv
    expect(o.marks.get('0')!.color).not.toBe(o.marks.get('1')!.color); // Conv vs Relu
    expect(o.marks.get('6/then_branch/0')!.text).toBe('Mul');
    expect(o.legend[0]!.text).toMatch(/^(Conv|MaxPool|Relu) \(2\)$/);
  });
});

describe('heatOverlay', () => {
  it('marks the profiled nodes by their share of all kernel time, matched by node name', () => {
    const profile: BenchProfile = {
      byOpType: [
        { opType: 'Conv', ms: 3, pct: 75 },
        { opType: 'MatMul', ms: 1, pct: 25 },
      ],
      topNodes: [
        { name: 'conv2', opType: 'Conv', ms: 2 },
        { name: 'fc', opType: 'MatMul', ms: 0.4 },
        { name: 'not-in-graph', opType: 'Relu', ms: 0.1 },
      ],
      runs: 10,
      traceFile: '/tmp/trace.json',
    };
    const o = heatOverlay(graph, profile);
    expect([...o.marks.keys()].sort()).toEqual(['3', '8']);
    expect(o.marks.get('3')!.text).toBe('2.000 ms a run (50.0% of kernel time)');
    expect(o.marks.get('3')!.color).toBe('rgb(245, 60, 60)');
    expect(o.marks.get('8')!.text).toBe('0.400 ms a run (10.0% of kernel time)');
    // A profile with every node heats them all, not just the ten slowest.
    const full = heatOverlay(graph, {
      ...profile,
      topNodes: [],
      nodes: [{ name: 'softmax', opType: 'Softmax', ms: 0.04 }],
    });
    expect([...full.marks.keys()]).toEqual(['10']);
  });
});

describe('sensitivityOverlay', () => {
  it('reddens nodes by the SQNR they lose against the largest drop, finding fused nodes by their original name', () => {
    const row = (node: string, dropDb: number | null) => ({
      node,
      opType: 'Conv',
      inputs: [],
      localSqnrDb: 40,
      sqnrDb: 30,
      outputSqnrDb: dropDb === null ? null : 30 - dropDb,
      dropDb,
    });
    const o = sensitivityOverlay(graph, [
      row('conv2/FusedConvFusion', 12),
      row('fc', 3),
      row('not-in-graph', 1),
    ]);
    expect([...o.marks.keys()].sort()).toEqual(['3', '8']);
    expect(o.marks.get('3')).toEqual({
      color: 'rgb(245, 60, 60)',
      text: 'sensitivity rank 1: loses 12.0 dB in int8 (local SQNR 40.0 dB)',
    });
    expect(o.marks.get('8')!.color).toBe('rgb(245, 191, 191)');
    expect(o.legend[1]!.text).toBe('the largest drop (12.0 dB)');
  });
});
