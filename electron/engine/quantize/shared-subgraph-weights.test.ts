import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type GraphProto, type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { subgraphsOf } from '../onnx/graph.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { spillLimits } from '../onnx/streamed-weights.js';
import { tensorByteSize } from '../onnx/tensor-codec.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { kernelSafe } from '../testing/int8-kernels.js';
import { makeGraph, makeModel, randomTensor } from '../testing/model-fixtures.js';
import { cosineSimilarity } from '../evaluate/fidelity-metrics.js';
import type { QuantizeMethod } from './quantize-method.js';
import { quantizeModel } from './quantize-model.js';
import { int4Method } from './methods/int4.js';
import { int8DynamicMethod } from './methods/int8-dynamic.js';
import { floatFeed, quantizeInMemory, runModel } from './weight-only/test-support.js';

/*
 * Hugging Face Optimum's merged decoder (decoder_model_merged.onnx) runs the whole decoder inside an If on
 * use_cache_branch, and both branches read the same main-graph weights. A quantized copy per branch doubled the
 * weights in the file; one copy in the graph that stores the weight serves every branch.
 */

const H = 64;
/** Sorted by name. */
const WEIGHTS = ['branch.w', 'shared.w'];

/**
 * input [b, 64] -> MatMul(shared.w) -> h; If(cond): then MatMul(h, shared.w) -> MatMul(., branch.w),
 * else MatMul(Relu(h), branch.w) -> MatMul(., shared.w). `shared.w` is read by the main graph and both branches,
 * `branch.w` by both branches only. `floatReader`: the main graph also outputs Identity(shared.w), a float read.
 */
function buildSharedIfModel(floatReader = false): ModelProto {
  const branch = (name: string, nodes: ReturnType<typeof makeNode>[], out: string): GraphProto =>
    makeGraph(name, { inputs: [], outputs: [makeValueInfo(out, DT.FLOAT, ['b', H])], nodes });
  const thenBranch = branch(
    'then_branch',
    [
      makeNode('MatMul', ['h', 'shared.w'], ['then.h'], { name: 'then_first' }),
      makeNode('MatMul', ['then.h', 'branch.w'], ['then.out'], { name: 'then_second' }),
    ],
    'then.out',
  );
  const elseBranch = branch(
    'else_branch',
    [
      makeNode('Relu', ['h'], ['else.relu'], { name: 'else_relu' }),
      makeNode('MatMul', ['else.relu', 'branch.w'], ['else.h'], { name: 'else_first' }),
      makeNode('MatMul', ['else.h', 'shared.w'], ['else.out'], { name: 'else_second' }),
    ],
    'else.out',
  );
  const outputs = [makeValueInfo('output', DT.FLOAT, ['b', H])];
  const nodes = [
    makeNode('MatMul', ['input', 'shared.w'], ['h'], { name: 'main_matmul' }),
    makeNode('If', ['cond'], ['output'], {
      name: 'branch',
      attributes: { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } },
    }),
  ];
  if (floatReader) {
    outputs.push(makeValueInfo('w.copy', DT.FLOAT, [H, H]));
    nodes.push(makeNode('Identity', ['shared.w'], ['w.copy'], { name: 'float_reader' }));
  }
  const graph = makeGraph('shared_if', {
    inputs: [makeValueInfo('input', DT.FLOAT, ['b', H]), makeValueInfo('cond', DT.BOOL, [])],
    outputs,
    initializers: [randomTensor('shared.w', [H, H], 5, 0.15), randomTensor('branch.w', [H, H], 6, 0.15)],
    nodes,
  });
  return makeModel(graph);
}

const tmp = makeTempDir('onnx-studio-shared-subgraph-');
const defaultLimits = { ...spillLimits };
afterAll(() => tmp.cleanup());
afterEach(() => Object.assign(spillLimits, defaultLimits));

/** Every graph of the model with its initializers. */
function graphs(model: ModelProto): GraphProto[] {
  const out: GraphProto[] = [];
  const visit = (g: GraphProto): void => {
    out.push(g);
    for (const n of g.node) for (const sub of subgraphsOf(n)) visit(sub);
  };
  visit(model.graph!);
  return out;
}

const cases: {
  name: string;
  method: QuantizeMethod;
  common: Record<string, unknown>;
  /** Names the quantized data tensor of a weight. */
  data: RegExp;
  /** Bytes of one [64, 64] weight's quantized tensors (data, scales). */
  bytes: number;
  minCosine: number;
}[] = [
  // int8 [64, 64] + 64 float32 column scales (symmetric: no zero points).
  {
    name: 'int8-dynamic',
    method: int8DynamicMethod,
    common: kernelSafe({}),
    data: /_quantized$/,
    bytes: 64 * 64 + 64 * 4,
    minCosine: 0.995,
  },
  // 64 columns x 2 blocks of 32: 16 bytes of nibbles and a float32 scale each (symmetric: no zero points).
  { name: 'int4', method: int4Method, common: {}, data: /_Q4$/, bytes: 64 * 2 * (16 + 4), minCosine: 0.97 },
];

describe.each(cases)(
  '$name: a weight read by several subgraphs',
  ({ name, method, common, data, bytes, minCosine }) => {
    it('gets one quantized copy, in the graph that stores it, read by every branch', async () => {
      const model = buildSharedIfModel();
      const q = await quantizeInMemory(method, model, common);
      expect(q.quantizedNodes).toBe(5);
      const [main, ...subs] = graphs(q.model);
      for (const sub of subs) expect(sub!.initializer).toEqual([]);
      const names = main!.initializer.map((t) => t.name);
      expect(names.filter((n) => data.test(n)).sort()).toEqual(
        WEIGHTS.map((w) => expect.stringMatching(`^${w}`)),
      );
      // The float weights went; what is left is one quantized copy per weight.
      for (const w of WEIGHTS) expect(names).not.toContain(w);
      const total = main!.initializer.reduce((a, t) => a + tensorByteSize(t), 0);
      expect(total).toBe(WEIGHTS.length * bytes);

      for (const cond of [true, false]) {
        const feeds = { ...floatFeed('input', [8, H], 11), cond: new ort.Tensor('bool', [cond], []) };
        const [a, b] = [await runModel(model, feeds), await runModel(q.model, feeds)];
        expect(cosineSimilarity(a.output!, b.output!)).toBeGreaterThan(minCosine);
      }
    });

    it('runs as an IR 3 model, whose main-graph initializers are graph inputs too', async () => {
      // A weight read only inside the branches, its quantized copy not declared as an input: onnxruntime refused
      // to load the int4 output ("Graph ctor should have created NodeArg for initializer").
      const model = buildSharedIfModel();
      const graph = model.graph!;
      graph.node[0]!.input[1] = 'branch.w';
      model.irVersion = 3n;
      model.opsetImport[0]!.version = 11n;
      graph.input.push(...graph.initializer.map((t) => makeValueInfo(t.name, DT.FLOAT, [H, H])));
      const q = await quantizeInMemory(method, model, common);
      const inputs = q.model.graph!.input.map((i) => i.name);
      for (const t of q.model.graph!.initializer) expect(inputs).toContain(t.name);
      const feeds = { ...floatFeed('input', [8, H], 11), cond: new ort.Tensor('bool', [false], []) };
      const [a, b] = [await runModel(model, feeds), await runModel(q.model, feeds)];
      expect(cosineSimilarity(a.output!, b.output!)).toBeGreaterThan(minCosine);
    });

    it('keeps the float weight beside its one copy when a node still reads it in float', async () => {
      const q = await quantizeInMemory(method, buildSharedIfModel(true), common);
      const names = q.model.graph!.initializer.map((t) => t.name);
      expect(names).toContain('shared.w');
      expect(names).not.toContain('branch.w');
      expect(names.filter((n) => data.test(n))).toHaveLength(2);
      for (const sub of graphs(q.model).slice(1)) expect(sub.initializer).toEqual([]);
      expect(q.notes.join('\n')).toMatch(/'shared\.w' is also read in float/);
    });

    it('writes the same files streamed (external data) as in memory', async () => {
      const dir = path.join(tmp.dir, name);
      const input = path.join(dir, 'in', 'model.onnx');
      fs.mkdirSync(path.dirname(input), { recursive: true });
      await saveModel(buildSharedIfModel(), input, { externalData: { thresholdBytes: 1024 } });
      for (const [label, limits] of [
        ['default', defaultLimits],
        ['spilled', { everyReadBytes: 1, pendingBytes: 1, minBytes: 1 }],
      ] as const) {
        Object.assign(spillLimits, limits);
        const out = (stream: boolean) => path.join(dir, label, stream ? 'streamed' : 'memory', 'out.onnx');
        for (const stream of [false, true]) {
          fs.mkdirSync(path.dirname(out(stream)), { recursive: true });
          await quantizeModel({ input, output: out(stream), method: name, options: {}, stream, common });
        }
        for (const file of ['out.onnx', 'out.onnx.data']) {
          const a = fs.readFileSync(path.join(path.dirname(out(false)), file));
          const b = fs.readFileSync(path.join(path.dirname(out(true)), file));
          expect(b.equals(a), `${file}, ${label}`).toBe(true);
        }
        const loaded = await loadModel(out(true));
        const names = loaded.proto.graph!.initializer.map((t) => t.name);
        expect(names.filter((n) => data.test(n))).toHaveLength(2);
        for (const sub of graphs(loaded.proto).slice(1)) expect(sub.initializer).toEqual([]);
      }
    });
  },
);
