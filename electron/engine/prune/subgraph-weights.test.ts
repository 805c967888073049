import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type ModelProto, TensorProto_DataType } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../inspect/inspect-model.js';
import { findConstant } from '../onnx/graph.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { saveModel } from '../onnx/save-model.js';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { createSession } from '../runtime/create-session.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { compareOutputs, firstOutputs, seededFeeds } from '../testing/prune-fidelity.js';
import { buildSubgraphWeights, withHalfPrecisionWeights } from '../testing/prune-fixtures.js';
import { pruneRuns, zeros } from '../testing/prune-runs.js';
import './all-methods.js';
import { pruneScopes } from './weights.js';

/*
 * Weights that pruning used to miss: those inside If / Loop / Scan bodies (and outer weights those bodies
 * capture), and half-precision weights behind a Cast to float. Every variant is run in onnxruntime and its
 * outputs compared with what its weights must give.
 */

const runs = pruneRuns('onnx-studio-prune-subgraphs-');
afterAll(() => runs.cleanup());
const { save, prune } = runs;
let counter = 0;

/** A constant stored in any graph of the model (initializer, sparse initializer or Constant node), as float32. */
function stored(model: ModelProto, name: string): { values: Float32Array; dataType: number } {
  for (const { index } of pruneScopes(model)) {
    const ref = findConstant(index, name, { allowOverridable: true, searchOuterScopes: false });
    if (ref) return { values: decodeToFloat32(ref.tensor), dataType: ref.tensor.dataType };
  }
  throw new Error(`no constant '${name}'`);
}

/** x [rows, k] times w [k, n]. */
function matmul(x: Float32Array, w: Float32Array, k: number): Float32Array {
  const rows = x.length / k;
  const n = w.length / k;
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[r * k + i]! * w[i * n + j]!;
      out[r * n + j] = s;
    }
  return out;
}

/** What buildSubgraphWeights computes, from the weights stored in `model`. */
function subgraphReference(model: ModelProto, input: Float32Array, cond: boolean): Float32Array {
  const hidden = matmul(input, stored(model, 'in.weight').values, 8);
  let state = matmul(hidden, stored(model, cond ? 'then.weight' : 'outer.weight').values, 16);
  for (let i = 0; i < 2; i++) state = matmul(state, stored(model, 'body.weight').values, 16).map(Math.tanh);
  return state;
}

const INPUT = Float32Array.from({ length: 3 * 8 }, (_, i) => Math.sin(i * 1.7) * 2);

/** The model file's output for INPUT with `cond`. */
async function runSubgraphModel(file: string, cond: boolean): Promise<Float32Array> {
  const session = await createSession(file);
  try {
    const result = await session.run({
      input: new ort.Tensor('float32', INPUT, [3, 8]),
      cond: new ort.Tensor('bool', [cond], []),
    });
    return Float32Array.from(result['output']!.data as Float32Array);
  } finally {
    await session.release();
  }
}

const maxDiff = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('pruning weights inside If / Loop bodies', () => {
  it('magnitude prunes branch, body and captured outer weights, and they reach onnxruntime', async () => {
    const model = buildSubgraphWeights();
    const input = save(model);
    const { report, model: pruned } = await prune(input, 'magnitude', { sparsity: 0.5 });
    expect(report.skipped).toEqual([]);
    expect(report.layers.map((l) => [l.name, l.weight, l.total, l.removed]).sort()).toEqual([
      ['body_mm', 'body.weight', 256, 128],
      ['else_mm', 'outer.weight', 256, 128],
      ['in_mm', 'in.weight', 128, 64],
      ['then_mm', 'then.weight', 256, 128],
    ]);
    expect(report.prunedNodes).toBe(4);
    expect(report.achievedSparsity).toBeCloseTo(0.5, 6);
    for (const layer of report.layers)
      expect(zeros(stored(pruned, layer.weight!).values)).toBe(layer.removed);
    for (const cond of [true, false]) {
      const [before, after] = [
        await runSubgraphModel(input, cond),
        await runSubgraphModel(report.output, cond),
      ];
      // onnxruntime computes the original from the original weights, and the variant from the pruned ones.
      expect(maxDiff(before, subgraphReference(model, INPUT, cond))).toBeLessThan(1e-4);
      expect(maxDiff(after, subgraphReference(pruned, INPUT, cond))).toBeLessThan(1e-4);
      expect(maxDiff(after, before)).toBeGreaterThan(1e-3);
    }

    const zero = await prune(input, 'magnitude', { sparsity: 0 });
    for (const cond of [true, false]) {
      const [a, b] = [await runSubgraphModel(input, cond), await runSubgraphModel(zero.report.output, cond)];
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });

  it('counts parameters as inspect does, subgraphs included', async () => {
    const input = save(buildSubgraphWeights());
    const { report } = await prune(input, 'magnitude', { sparsity: 0.5 });
    const inspected = (await inspectModel(input)).parameters;
    // in.weight, then.weight, outer.weight, body.weight, trip, keep_going.
    expect(inspected).toBe(128 + 3 * 256 + 2);
    expect(report.parameters).toEqual({ before: inspected, after: inspected });
    expect((await inspectModel(report.output)).parameters).toBe(inspected);
  });

  it('prunes subgraph weights of a model streamed from external data, and counts its parameters', async () => {
    const model = buildSubgraphWeights();
    const input = path.join(runs.dir, `external-${counter++}.onnx`);
    await saveModel(model, input, { externalData: { thresholdBytes: 64 } });
    const inMemory = await prune(save(buildSubgraphWeights()), 'magnitude', { sparsity: 0.5 });
    const { report } = await prune(input, 'magnitude', { sparsity: 0.5 });
    expect(report.layers).toEqual(inMemory.report.layers);
    expect(report.parameters).toEqual(inMemory.report.parameters);
    for (const cond of [true, false]) {
      const [a, b] = [
        await runSubgraphModel(inMemory.report.output, cond),
        await runSubgraphModel(report.output, cond),
      ];
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });

  it('global scope and 2:4 rank subgraph weights with the rest', async () => {
    const input = save(buildSubgraphWeights());
    const global = await prune(input, 'magnitude', { sparsity: 0.5, scope: 'global' });
    expect(global.report.layers).toHaveLength(4);
    expect(global.report.layers.reduce((n, l) => n + l.removed, 0)).toBe((128 + 3 * 256) / 2);
    const pattern = await prune(input, 'magnitude', { sparsity: 0.5 }, { pattern: '2:4' });
    // body.weight [16, 16] is read by a MatMul: runs of 4 down each column keep 2.
    const body = stored(pattern.model, 'body.weight').values;
    for (let col = 0; col < 16; col++)
      for (let row = 0; row < 16; row += 4) {
        let z = 0;
        for (let r = row; r < row + 4; r++) if (body[r * 16 + col] === 0) z++;
        expect(z).toBe(2);
      }
    for (const variant of [global, pattern]) {
      const out = await runSubgraphModel(variant.report.output, false);
      expect(maxDiff(out, subgraphReference(variant.model, INPUT, false))).toBeLessThan(1e-4);
    }
  });

  it('sparse storage keeps a subgraph weight in its subgraph, and onnxruntime loads it', async () => {
    const input = save(buildSubgraphWeights());
    const dense = await prune(input, 'magnitude', { sparsity: 0.9 });
    const sparse = await prune(input, 'magnitude', { sparsity: 0.9 }, { storage: 'sparse' });
    const thenBranch = pruneScopes(sparse.model).find((s) => s.graph.name === 'then_branch')!.graph;
    expect(thenBranch.initializer).toEqual([]);
    expect(thenBranch.sparseInitializer.map((s) => s.values!.name)).toEqual(['then.weight']);
    for (const cond of [true, false]) {
      const [a, b] = [
        await runSubgraphModel(dense.report.output, cond),
        await runSubgraphModel(sparse.report.output, cond),
      ];
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });

  it('leaves a captured weight whole when a subgraph reads it for something else, and says so', async () => {
    const model = buildSubgraphWeights();
    // The then branch also reads the outer weight that else_mm multiplies by (a tied weight).
    const thenBranch = model.graph!.node[1]!.attribute.find((a) => a.name === 'then_branch')!.g!;
    thenBranch.node.push(makeNode('Identity', ['outer.weight'], ['peek'], { name: 'then_peek' }));
    const input = save(model);
    const { report, model: pruned } = await prune(input, 'magnitude', { sparsity: 0.5 });
    expect(report.skipped).toEqual([
      {
        name: 'else_mm',
        opType: 'MatMul',
        reason: "its weight 'outer.weight' is also read by 'then_peek' (Identity)",
      },
    ]);
    expect(zeros(stored(pruned, 'outer.weight').values)).toBe(0);
    expect(report.layers.map((l) => l.name).sort()).toEqual(['body_mm', 'in_mm', 'then_mm']);
    const out = await runSubgraphModel(report.output, false);
    expect(maxDiff(out, subgraphReference(pruned, INPUT, false))).toBeLessThan(1e-4);
  });

  it('structured lists the layers inside bodies as skipped, with the reason, and changes nothing', async () => {
    const input = save(buildSubgraphWeights());
    const { report } = await prune(input, 'structured', { sparsity: 0.5 });
    const inside = report.skipped.filter((s) => /^inside a subgraph/.test(s.reason));
    expect(inside.map((s) => [s.name, s.reason.split(';')[0]]).sort()).toEqual([
      ['body_mm', "inside a subgraph of 'loop' (Loop)"],
      ['else_mm', "inside a subgraph of 'branch' (If)"],
      ['then_mm', "inside a subgraph of 'branch' (If)"],
    ]);
    // The main graph's layer was already listed: the bodies read its channels.
    expect(report.skipped.find((s) => s.name === 'in_mm')?.reason).toMatch(
      /read inside a subgraph of 'branch'/,
    );
    expect(report.notes.join(' ')).toMatch(/3 layers with constant weights were not analysed/);
    expect(report.removedChannels).toBe(0);
    const inspected = (await inspectModel(input)).parameters;
    expect(report.parameters).toEqual({ before: inspected, after: inspected });
    for (const cond of [true, false]) {
      const [a, b] = [await runSubgraphModel(input, cond), await runSubgraphModel(report.output, cond)];
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });
});

describe('pruning half-precision weights behind a Cast to float', () => {
  const FP16 = TensorProto_DataType.FLOAT16;
  const build = (): ModelProto => withHalfPrecisionWeights(buildMlp(), ['fc1.weight', 'fc2.weight']);

  /** The float32 MLP with the (pruned) float16 weights of `half` decoded in: what `half` must compute. */
  function float32Twin(half: ModelProto): ModelProto {
    const twin = buildMlp();
    twin.graph!.initializer = twin.graph!.initializer.map((t) =>
      t.name === 'fc1.weight' || t.name === 'fc2.weight'
        ? makeFloatTensor(t.name, t.dims, stored(half, `${t.name}.fp16`).values)
        : t,
    );
    return twin;
  }

  async function outputs(file: string, model: ModelProto) {
    const session = await createSession(file);
    try {
      return await firstOutputs(session, seededFeeds(model, 3, 5, 4));
    } finally {
      await session.release();
    }
  }

  it('magnitude prunes the float16 constant, keeps it float16 behind its Cast, and the model runs', async () => {
    const model = build();
    const input = save(model);
    const { report, model: pruned } = await prune(input, 'magnitude', { sparsity: 0.5 });
    expect(report.skipped).toEqual([]);
    expect(report.layers.map((l) => [l.name, l.weight, l.total, l.removed])).toEqual([
      ['fc1', 'fc1.weight.fp16', 512, 256],
      ['fc2_matmul', 'fc2.weight.fp16', 256, 128],
    ]);
    expect(report.achievedSparsity).toBeCloseTo(0.5, 6);
    for (const name of ['fc1.weight.fp16', 'fc2.weight.fp16']) {
      const w = stored(pruned, name);
      expect(w.dataType).toBe(FP16);
      expect(zeros(w.values)).toBe(name.startsWith('fc1') ? 256 : 128);
    }
    expect(pruned.graph!.node.filter((n) => n.opType === 'Cast').map((n) => n.name)).toEqual([
      'cast:fc1.weight',
      'cast:fc2.weight',
    ]);
    // It computes exactly what the float32 model with the pruned weights computes, and differs from the original.
    const twin = save(float32Twin(pruned));
    const [variant, expected, original] = [
      await outputs(report.output, model),
      await outputs(twin, model),
      await outputs(input, model),
    ];
    expect(compareOutputs(variant, expected).maxAbsErr).toBeLessThan(1e-5);
    const fidelity = compareOutputs(variant, original);
    expect(fidelity.maxAbsErr).toBeGreaterThan(1e-3);
    expect(fidelity.cosine).toBeGreaterThan(0.5);
    expect(report.parameters.before).toBe((await inspectModel(input)).parameters);

    const zero = await prune(input, 'magnitude', { sparsity: 0 });
    const same = await outputs(zero.report.output, model);
    same.forEach((x, i) =>
      expect(Buffer.from(x.data.buffer).equals(Buffer.from(original[i]!.data.buffer))).toBe(true),
    );
  });

  it('leaves a cast weight whole when its float value is read by something else too', async () => {
    const model = build();
    const graph = model.graph!;
    graph.initializer.push(makeInt64Tensor('ids', [2], [0, 3]));
    graph.node.push(makeNode('Gather', ['fc2.weight', 'ids'], ['rows'], { name: 'embed' }));
    graph.output.push(makeValueInfo('rows', TensorProto_DataType.FLOAT, [2, 8]));
    const input = save(model);
    const { report, model: pruned } = await prune(input, 'magnitude', { sparsity: 0.5 });
    expect(report.skipped).toEqual([
      {
        name: 'fc2_matmul',
        opType: 'MatMul',
        reason: "its weight 'fc2.weight' is also read by 'embed' (Gather)",
      },
    ]);
    expect(zeros(stored(pruned, 'fc2.weight.fp16').values)).toBe(0);
    expect(report.layers.map((l) => l.name)).toEqual(['fc1']);
    const out = await outputs(report.output, model);
    expect(out[0]!.data.every(Number.isFinite)).toBe(true);
  });

  it('structured lists them as skipped with the reason instead of leaving them out silently', async () => {
    const input = save(build());
    const { report } = await prune(input, 'structured', { sparsity: 0.5 });
    expect(report.skipped).toEqual([
      {
        name: 'fc1',
        opType: 'Gemm',
        reason:
          "its weight 'fc1.weight' is a Cast of 'fc1.weight.fp16' (float16); structured pruning does not slice weights behind a Cast",
      },
      {
        name: 'fc2_matmul',
        opType: 'MatMul',
        reason:
          "its weight 'fc2.weight' is a Cast of 'fc2.weight.fp16' (float16); structured pruning does not slice weights behind a Cast",
      },
    ]);
    expect(report.removedChannels).toBe(0);
  });
});
