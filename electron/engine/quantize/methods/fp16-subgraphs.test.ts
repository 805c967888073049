import fs from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  type NodeProto,
  TensorProto_DataType as DT,
  type TensorProto,
} from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantAttributeTensor } from '../../onnx/constants.js';
import {
  makeFloatTensor,
  makeInt64Tensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../../onnx/graph-build.js';
import { subgraphsOf } from '../../onnx/graph-index.js';
import { loadModel } from '../../onnx/load-model.js';
import { walkGraphs } from '../../onnx/walk-graphs.js';
import { makeModel, randomTensor } from '../../testing/model-fixtures.js';
import { buildSubgraphWeights } from '../../testing/prune-fixtures.js';
import { makeTempDir } from '../../testing/temp-dir.js';
import { quantizeModel } from '../quantize-model.js';
import { floatFeed, modelBytes, quantizeInMemory, runModel } from '../weight-only/test-support.js';
import { fp16Method } from './fp16.js';

/*
 * fp16 inside If / Loop / Scan bodies, checked against onnxruntime: the converted model must run and agree with
 * the float32 original within float16's precision, its body weights must be float16, and the If / Loop / Scan
 * nodes' interfaces (their bodies' inputs and outputs) must stay float32.
 */

const method = fp16Method;
const FLOAT = DT.FLOAT;
const BOOL = DT.BOOL;
const INT64 = DT.INT64;

/** Every graph of a model by name (the fixtures name each body). */
function graphsByName(model: ModelProto): Map<string, GraphProto> {
  const out = new Map<string, GraphProto>();
  walkGraphs(model.graph!, (g) => out.set(g.name, g));
  return out;
}

/** The data type of a constant wherever it lives: an initializer or a Constant node of any graph. */
function constantType(model: ModelProto, name: string): number | undefined {
  let type: number | undefined;
  walkGraphs(model.graph!, (g) => {
    for (const t of g.initializer) if (t.name === name) type = t.dataType;
    for (const n of g.node) {
      const value = n.attribute.find((a) => a.name === 'value');
      if (n.opType === 'Constant' && n.output[0] === name && value)
        type = constantAttributeTensor(value)!.dataType;
    }
  });
  return type;
}

function nodeNamed(model: ModelProto, name: string): NodeProto {
  let found: NodeProto | undefined;
  walkGraphs(model.graph!, (g) => (found ??= g.node.find((n) => n.name === name)));
  if (!found) throw new Error(`no node ${name}`);
  return found;
}

function elemTypes(list: GraphProto['input']): number[] {
  return list.map((vi) => (vi.type?.value.case === 'tensorType' ? vi.type.value.value.elemType : -1));
}

/** The interfaces of every body: what must not change. */
function bodyInterfaces(model: ModelProto): Record<string, { inputs: number[]; outputs: number[] }> {
  const out: Record<string, { inputs: number[]; outputs: number[] }> = {};
  walkGraphs(model.graph!, (g, depth) => {
    if (depth > 0) out[g.name] = { inputs: elemTypes(g.input), outputs: elemTypes(g.output) };
  });
  return out;
}

/** Runs both models on the feed and compares every output: float16 precision, and not bit-identical. */
async function expectClose(
  original: ModelProto,
  converted: ModelProto,
  feed: Record<string, ort.Tensor>,
  tolerance: number,
): Promise<void> {
  const a = await runModel(original, feed);
  const b = await runModel(converted, feed);
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  let differs = false;
  for (const [name, expected] of Object.entries(a)) {
    const actual = b[name]!;
    expect(actual.length, name).toBe(expected.length);
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < expected.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(actual[i]! - expected[i]!));
      maxRef = Math.max(maxRef, Math.abs(expected[i]!));
    }
    expect(maxAbs, `${name}: max error ${maxAbs} of values up to ${maxRef}`).toBeLessThanOrEqual(
      tolerance * Math.max(1, maxRef),
    );
    if (maxAbs > 0) differs = true;
  }
  // Some rounding shows: the converted model really computed in float16.
  expect(differs).toBe(true);
}

const condFeed = (value: boolean) => new ort.Tensor('bool', [value ? 1 : 0], []);

/**
 * Bodies inside bodies, a Scan, and captures from two levels up. x [B, 8] float, cond bool:
 *   h = MatMul(x, w.in)                                            (main)
 *   Loop `loop` (3 iterations) carrying s = h; body:
 *     t = If `pick`(cond): then MatMul(s, w.shared) | else Add(s, b.else)   (b.else: the else branch's own weight)
 *     s.next = Tanh(Add(t, h))                                    (h: a main value the body captures)
 *   acc, rows = Scan `scan`(acc0, loop.out); body: m = Mul(row, w.scan), acc.next = Add(acc, m)
 *   y = MatMul(loop.out, w.shared) `head`                          (w.shared: read in main and in `pick`)
 * Outputs y [B, 8], acc [8], rows [B, 8].
 */
function buildNestedBodies(): ModelProto {
  const branch = (name: string, node: NodeProto, initializer: TensorProto[] = []): GraphProto =>
    create(GraphProtoSchema, {
      name,
      node: [node],
      output: [makeValueInfo(`${name}.out`, FLOAT, ['B', 8])],
      initializer,
    });
  const pick = makeNode('If', ['cond'], ['t'], {
    name: 'pick',
    attributes: {
      then_branch: {
        graph: branch('then', makeNode('MatMul', ['s', 'w.shared'], ['then.out'], { name: 'then_mm' })),
      },
      else_branch: {
        graph: branch('else', makeNode('Add', ['s', 'b.else'], ['else.out'], { name: 'else_add' }), [
          randomTensor('b.else', [8], 5, 0.4),
        ]),
      },
    },
  });
  const loopBody = create(GraphProtoSchema, {
    name: 'loop_body',
    input: [makeValueInfo('i', INT64, []), makeValueInfo('c', BOOL, []), makeValueInfo('s', FLOAT, ['B', 8])],
    output: [makeValueInfo('c.out', BOOL, []), makeValueInfo('s.next', FLOAT, ['B', 8])],
    node: [
      pick,
      makeNode('Add', ['t', 'h'], ['u'], { name: 'loop_add' }),
      makeNode('Tanh', ['u'], ['s.next'], { name: 'loop_tanh' }),
      makeNode('Identity', ['c'], ['c.out'], { name: 'loop_cond' }),
    ],
  });
  const scanBody = create(GraphProtoSchema, {
    name: 'scan_body',
    input: [makeValueInfo('acc.in', FLOAT, [8]), makeValueInfo('row', FLOAT, [8])],
    output: [makeValueInfo('acc.next', FLOAT, [8]), makeValueInfo('m', FLOAT, [8])],
    initializer: [randomTensor('w.scan', [8], 6, 0.4)],
    node: [
      makeNode('Mul', ['row', 'w.scan'], ['m'], { name: 'scan_mul' }),
      makeNode('Add', ['acc.in', 'm'], ['acc.next'], { name: 'scan_add' }),
    ],
  });
  const graph = create(GraphProtoSchema, {
    name: 'nested_bodies',
    input: [makeValueInfo('x', FLOAT, ['B', 8]), makeValueInfo('cond', BOOL, [])],
    output: [
      makeValueInfo('y', FLOAT, ['B', 8]),
      makeValueInfo('acc', FLOAT, [8]),
      makeValueInfo('rows', FLOAT, ['B', 8]),
    ],
    initializer: [
      randomTensor('w.in', [8, 8], 1, 0.4),
      randomTensor('w.shared', [8, 8], 2, 0.4),
      makeFloatTensor('acc0', [8], new Float32Array(8)),
      makeInt64Tensor('trip', [], [3]),
      makeRawTensor('keep_going', BOOL, [], new Uint8Array([1])),
    ],
    node: [
      makeNode('MatMul', ['x', 'w.in'], ['h'], { name: 'in_mm' }),
      makeNode('Loop', ['trip', 'keep_going', 'h'], ['loop.out'], {
        name: 'loop',
        attributes: { body: { graph: loopBody } },
      }),
      makeNode('Scan', ['acc0', 'loop.out'], ['acc', 'rows'], {
        name: 'scan',
        attributes: { body: { graph: scanBody }, num_scan_inputs: { int: 1 } },
      }),
      makeNode('MatMul', ['loop.out', 'w.shared'], ['y'], { name: 'head' }),
    ],
  });
  return makeModel(graph);
}

describe('fp16 converts If / Loop / Scan bodies', () => {
  it('If branches and a Loop body with their own weights and a captured outer weight', async () => {
    for (const bodyWeight of ['constant', 'initializer'] as const) {
      const model = buildSubgraphWeights({ seed: 91, bodyWeight });
      const r = await quantizeInMemory(method, model);
      // in_mm in the main graph; then_mm, else_mm and the Loop body's MatMul and Tanh.
      expect(r.quantizedNodes).toBe(5);
      expect(r.skippedNodes).toEqual([]);
      for (const name of ['in.weight', 'then.weight', 'body.weight'])
        expect(constantType(r.model, name), name).toBe(DT.FLOAT16);
      // Captured by the else branch only, and read there in float16: converted in place, no float32 copy left.
      expect(constantType(r.model, 'outer.weight')).toBe(DT.FLOAT16);
      expect(bodyInterfaces(r.model)).toEqual(bodyInterfaces(model));
      // The main graph's float16 `hidden` is read by both branches as it is: no Cast for the captures.
      expect(nodeNamed(r.model, 'then_mm').input[0]).toBe('hidden');
      expect(nodeNamed(r.model, 'else_mm').input).toEqual(['hidden', 'outer.weight']);
      const notes = r.notes.join('\n');
      expect(notes).toMatch(/4 of the converted nodes are inside 3 If\/Loop\/Scan bodies/);
      expect(notes).toMatch(/5 nodes and 4 constants converted to float16/);
      for (const cond of [true, false])
        await expectClose(model, r.model, { ...floatFeed('input', [4, 8], 1), cond: condFeed(cond) }, 2e-2);
    }
  });

  it('bodies inside bodies, a Scan, and a captured weight also read by a float32 node', async () => {
    const model = buildNestedBodies();
    const r = await quantizeInMemory(method, model, { excludeNodes: ['head'] });
    expect(r.skippedNodes).toEqual([
      { name: 'head', opType: 'MatMul', reason: 'excluded by --exclude-nodes', option: '--exclude-nodes' },
    ]);
    // in_mm; then_mm, else_add; loop_add, loop_tanh; scan_mul, scan_add.
    expect(r.quantizedNodes).toBe(7);
    for (const name of ['w.in', 'b.else', 'w.scan'])
      expect(constantType(r.model, name), name).toBe(DT.FLOAT16);
    // w.shared keeps its float32 value for `head`; the nested branch reads a float16 copy made in the main graph.
    expect(constantType(r.model, 'w.shared')).toBe(DT.FLOAT);
    // And the notes say so: such a weight costs more bytes than before, not fewer (a user saw a grown file
    // explained by weights "float16 already or too few").
    expect(r.notes.join('\n')).toMatch(
      /1 constant \('w\.shared'\) is read by float32 nodes too \(excluded or kept float32\): it keeps its float32 bytes and gains a float16 copy/,
    );
    const thenMm = nodeNamed(r.model, 'then_mm');
    expect(constantType(r.model, thenMm.input[1]!)).toBe(DT.FLOAT16);
    expect(r.model.graph!.initializer.some((t) => t.name === thenMm.input[1])).toBe(true);
    // The Loop-carried s stays float32 at the body's boundary; one Cast in the Loop body serves the nested branch.
    const graphs = graphsByName(r.model);
    const loopBody = graphs.get('loop_body')!;
    const castOfS = loopBody.node.find((n) => n.opType === 'Cast' && n.input[0] === 's')!;
    expect(castOfS.output[0]).toBe(thenMm.input[0]);
    expect(nodeNamed(r.model, 'else_add').input[0]).toBe(castOfS.output[0]);
    // `h` (float16 in the main graph) is read by the Loop body's Add as it is.
    expect(nodeNamed(r.model, 'loop_add').input[1]).toBe('h');
    expect(bodyInterfaces(r.model)).toEqual(bodyInterfaces(model));
    // The main graph's Loop and Scan nodes are as they were.
    expect(
      r.model.graph!.node.filter((n) => subgraphsOf(n).length > 0).map((n) => [n.name, n.input]),
    ).toEqual([
      ['loop', ['trip', 'keep_going', 'h_fp32']],
      ['scan', ['acc0', 'loop.out']],
    ]);
    for (const cond of [true, false])
      await expectClose(model, r.model, { ...floatFeed('x', [5, 8], 2), cond: condFeed(cond) }, 2e-2);
  });

  it('skipped body nodes are reported with their body; block-listing Loop keeps it float32 with its bodies', async () => {
    const model = buildNestedBodies();
    const excluded = await quantizeInMemory(method, model, { excludeNodes: ['else_add'] });
    expect(excluded.skippedNodes).toEqual([
      {
        name: 'else_add',
        opType: 'Add',
        reason: 'excluded by --exclude-nodes (inside loop/body/pick/else_branch)',
        option: '--exclude-nodes',
      },
    ]);
    expect(constantType(excluded.model, 'b.else')).toBe(DT.FLOAT);
    await expectClose(model, excluded.model, { ...floatFeed('x', [3, 8], 3), cond: condFeed(false) }, 2e-2);

    const seen: { phase: string; done: number; total: number }[] = [];
    const r = await quantizeInMemory(
      method,
      model,
      {},
      { blockOpTypes: ['Loop'] },
      { onProgress: (p) => seen.push(p) },
    );
    // Progress counts the nodes of every graph, those of the Loop's bodies (stepped over) included.
    let nodes = 0;
    walkGraphs(model.graph!, (g) => (nodes += g.node.length));
    expect(seen.filter((p) => p.phase === 'analysing').at(-1)).toEqual({
      phase: 'analysing',
      done: nodes,
      total: nodes,
    });
    expect(r.skippedNodes).toEqual([
      {
        name: 'loop',
        opType: 'Loop',
        reason: 'in the block list (blockOpTypes); kept in float32 with its subgraphs',
      },
    ]);
    expect(r.notes.join('\n')).toMatch(/1 node with subgraphs \(If\/Loop\/Scan\) was kept in float32 with its subgraphs/);
    expect(constantType(r.model, 'b.else')).toBe(DT.FLOAT);
    expect(constantType(r.model, 'w.scan')).toBe(DT.FLOAT16);
    // The Loop body reads float32 copies of what the main graph now holds in float16.
    const thenMm = nodeNamed(r.model, 'then_mm');
    expect(constantType(r.model, thenMm.input[1]!)).toBe(DT.FLOAT);
    expect(nodeNamed(r.model, 'loop_add').input[1]).not.toBe('h');
    await expectClose(model, r.model, { ...floatFeed('x', [3, 8], 4), cond: condFeed(true) }, 2e-2);
  });

  it('branch outputs that name an outer value or a constant of the branch keep float32', async () => {
    // h = MatMul(x, w); If(cond): then returns h (itself, or through an Identity); else returns its own constant
    // `c.else`; y = h + if.out.
    const build = (direct: boolean): ModelProto => {
      const thenBranch = create(GraphProtoSchema, {
        name: 'then',
        output: [makeValueInfo(direct ? 'h' : 'then.out', FLOAT, [2, 4])],
        node: direct ? [] : [makeNode('Identity', ['h'], ['then.out'], { name: 'then_id' })],
      });
      const elseBranch = create(GraphProtoSchema, {
        name: 'else',
        output: [makeValueInfo('c.else', FLOAT, [2, 4])],
        initializer: [randomTensor('c.else', [2, 4], 8, 1)],
      });
      const graph = create(GraphProtoSchema, {
        name: 'pass_through',
        input: [makeValueInfo('x', FLOAT, [2, 4]), makeValueInfo('cond', BOOL, [])],
        output: [makeValueInfo('y', FLOAT, [2, 4])],
        initializer: [randomTensor('w', [4, 4], 7, 0.5)],
        node: [
          makeNode('MatMul', ['x', 'w'], ['h'], { name: 'mm' }),
          makeNode('If', ['cond'], ['if.out'], {
            name: 'choose',
            attributes: { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } },
          }),
          makeNode('Add', ['h', 'if.out'], ['y'], { name: 'add' }),
        ],
      });
      return makeModel(graph);
    };
    const interfaces = { then: { inputs: [], outputs: [FLOAT] }, else: { inputs: [], outputs: [FLOAT] } };
    // onnxruntime refuses a branch that returns an outer value directly (even float32): checked by structure.
    const direct = await quantizeInMemory(method, build(true));
    const returned = graphsByName(direct.model).get('then')!.output[0]!.name;
    const cast = direct.model.graph!.node.find((n) => n.output[0] === returned)!;
    expect([cast.opType, cast.input[0], cast.attribute[0]!.i]).toEqual(['Cast', 'h', BigInt(FLOAT)]);
    expect(bodyInterfaces(direct.model)).toEqual(interfaces);

    const model = build(false);
    const r = await quantizeInMemory(method, model);
    expect(nodeNamed(r.model, 'then_id').input[0]).toBe('h');
    expect(constantType(r.model, 'c.else')).toBe(DT.FLOAT);
    expect(bodyInterfaces(r.model)).toEqual(interfaces);
    for (const cond of [true, false])
      await expectClose(model, r.model, { ...floatFeed('x', [2, 4], 9), cond: condFeed(cond) }, 2e-2);
  });

  it('keepIoTypes false: the main interface becomes float16, the bodies keep theirs', async () => {
    const model = buildSubgraphWeights({ seed: 93 });
    const r = await quantizeInMemory(method, model, {}, { keepIoTypes: false });
    expect(bodyInterfaces(r.model)).toEqual(bodyInterfaces(model));
    expect(elemTypes(r.model.graph!.output)).toEqual([DT.FLOAT16]);
    for (const name of ['then.weight', 'body.weight'])
      expect(constantType(r.model, name), name).toBe(DT.FLOAT16);
    const a = await runModel(model, { ...floatFeed('input', [4, 8], 5), cond: condFeed(true) });
    const b = await runModel(r.model, { ...floatFeed('input', [4, 8], 5, 'float16'), cond: condFeed(true) });
    const diff = a.output!.map((v, i) => Math.abs(v - b.output![i]!));
    expect(Math.max(...diff)).toBeLessThan(2e-2);
  });
});

describe('fp16 of a model with bodies through quantizeModel', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it('writes a valid model that onnxruntime loads and runs', async () => {
    const model = buildNestedBodies();
    const input = path.join(tmp.dir, 'nested.onnx');
    const output = path.join(tmp.dir, 'nested.fp16.onnx');
    fs.writeFileSync(input, modelBytes(model));
    const report = await quantizeModel({ input, output, method: 'fp16' });
    expect(report.quantizedNodes).toBe(8);
    const loaded = await loadModel(output);
    expect(constantType(loaded.proto, 'w.shared')).toBe(DT.FLOAT16);
    await expectClose(model, loaded.proto, { ...floatFeed('x', [2, 8], 6), cond: condFeed(true) }, 2e-2);
  });
});
