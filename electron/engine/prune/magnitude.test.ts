import { type ModelProto, TensorProto_DataType } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphIndex, findConstant } from '../onnx/graph.js';
import { makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { createSession } from '../runtime/create-session.js';
import { buildCnn, buildMlp } from '../testing/model-fixtures.js';
import { firstOutputs, seededFeeds } from '../testing/prune-fidelity.js';
import {
  buildBenchCnn,
  buildDepthwiseSeparable,
  buildResidualBnCnn,
  withConstantNodeWeights,
} from '../testing/prune-fixtures.js';
import { pruneRuns, zeros } from '../testing/prune-runs.js';
import './all-methods.js';

const runs = pruneRuns('onnx-studio-magnitude-');
afterAll(() => runs.cleanup());
const save = runs.save;
const prune = (input: string, common: Record<string, unknown>, options: Record<string, unknown> = {}) =>
  runs.prune(input, 'magnitude', common, options);

function weight(model: ModelProto, name: string): { values: Float32Array; dims: number[] } {
  const ref = findConstant(new GraphIndex(model.graph!), name)!;
  return { values: decodeToFloat32(ref.tensor), dims: ref.tensor.dims.map(Number) };
}

async function run(file: string, model: ModelProto) {
  const session = await createSession(file);
  try {
    return await firstOutputs(session, seededFeeds(model, 2, 17));
  } finally {
    await session.release();
  }
}

describe('magnitude pruning', () => {
  const fixtures: [string, () => ModelProto][] = [
    ['plain CNN', () => buildCnn()],
    ['MLP', () => buildMlp()],
    ['residual BatchNorm CNN', () => buildResidualBnCnn()],
    ['depthwise-separable', () => buildDepthwiseSeparable()],
    ['weights in Constant nodes', () => withConstantNodeWeights(buildResidualBnCnn())],
  ];
  for (const [name, build] of fixtures) {
    it(`${name}: hits the target within one weight per layer, runs, and is unchanged at 0`, async () => {
      const model = build();
      const input = save(model);
      const { report, model: pruned } = await prune(input, { sparsity: 0.6 });
      expect(report.layers.length).toBeGreaterThan(0);
      for (const layer of report.layers) {
        expect(Math.abs(layer.removed - 0.6 * layer.total)).toBeLessThanOrEqual(1);
        expect(zeros(weight(pruned, layer.weight!).values)).toBe(layer.removed);
      }
      expect(report.achievedSparsity).toBeCloseTo(0.6, 2);
      expect(report.removedChannels).toBe(0);
      expect(report.prunedNodes).toBe(report.layers.length);
      const out = await run(report.output, model);
      expect(out[0]!.data.every(Number.isFinite)).toBe(true);

      const zero = await prune(input, { sparsity: 0 });
      expect(zero.report.prunedNodes).toBe(0);
      const [a, b] = [await run(input, model), await run(zero.report.output, model)];
      a.forEach((x, i) =>
        expect(Buffer.from(b[i]!.data.buffer).equals(Buffer.from(x.data.buffer))).toBe(true),
      );
    });
  }

  it('global scope ranks all weights together and hits the total exactly', async () => {
    const model = buildCnn();
    const input = save(model);
    const { report } = await prune(input, { sparsity: 0.5, scope: 'global' });
    const total = report.layers.reduce((n, l) => n + l.total, 0);
    expect(report.layers.reduce((n, l) => n + l.removed, 0)).toBe(Math.round(0.5 * total));
    // Layers differ: the small-magnitude (wide fan-in) layers lose more.
    expect(new Set(report.layers.map((l) => l.sparsity.toFixed(3))).size).toBeGreaterThan(1);
  });

  it('2:4 keeps two of every four weights along the input axis', async () => {
    const model = buildMlp();
    const input = save(model);
    const { report, model: pruned } = await prune(input, { sparsity: 0.5 }, { pattern: '2:4' });
    expect(report.targetSparsity).toBe(0.5);
    // fc1 is a Gemm with transB: weight [32, 16], input axis 1 (contiguous runs of 4).
    const fc1 = weight(pruned, 'fc1.weight').values;
    for (let g = 0; g < fc1.length; g += 4) expect(zeros(fc1.subarray(g, g + 4))).toBe(2);
    // fc2 is a MatMul: weight [32, 8], input axis 0 (runs of 4 down each column).
    const fc2 = weight(pruned, 'fc2.weight');
    for (let col = 0; col < 8; col++) {
      for (let row = 0; row < 32; row += 4) {
        let z = 0;
        for (let r = row; r < row + 4; r++) if (fc2.values[r * 8 + col] === 0) z++;
        expect(z).toBe(2);
      }
    }
    await expect(prune(input, { sparsity: 0.3 }, { pattern: '2:4' })).rejects.toThrow(/contradicts/);
  });

  it('honours --op-types and --exclude-nodes', async () => {
    const model = buildCnn();
    const input = save(model);
    const { report, model: pruned } = await prune(input, {
      sparsity: 0.5,
      opTypes: ['Conv'],
      excludeNodes: ['conv2'],
    });
    expect(report.layers.map((l) => l.name)).toEqual(['conv1']);
    expect(report.skipped).toEqual([{ name: 'conv2', opType: 'Conv', reason: 'excluded (--exclude-nodes)' }]);
    expect(zeros(weight(pruned, 'conv2.weight').values)).toBe(0);
    expect(zeros(weight(pruned, 'fc.weight').values)).toBe(0);
    await expect(prune(input, { sparsity: 0.5, opTypes: ['Relu'] })).rejects.toThrow(
      /--op-types names 'Relu', which magnitude pruning does not prune\. It can prune Conv, ConvTranspose, Gemm, MatMul/,
    );
  });

  it('leaves a weight alone when something else reads it too', async () => {
    const model = buildMlp();
    // Tie fc2.weight [32, 8] to a Gather (like a shared embedding table) feeding a second output.
    const graph = model.graph!;
    graph.initializer.push(makeInt64Tensor('ids', [2], [0, 3]));
    graph.node.push(makeNode('Gather', ['fc2.weight', 'ids'], ['rows'], { name: 'embed' }));
    graph.output.push(makeValueInfo('rows', TensorProto_DataType.FLOAT, [2, 8]));
    const input = save(model);
    const { report, model: pruned } = await prune(input, { sparsity: 0.5 });
    expect(report.skipped).toEqual([
      {
        name: 'fc2_matmul',
        opType: 'MatMul',
        reason: "its weight 'fc2.weight' is also read by 'embed' (Gather)",
      },
    ]);
    expect(zeros(weight(pruned, 'fc2.weight').values)).toBe(0);
  });

  it('says honestly where the size win is: gzip, and sparse storage at high sparsity', async () => {
    const model = buildBenchCnn({ width: 16, size: 32 });
    const input = save(model);
    const dense = await prune(input, { sparsity: 0.8 });
    expect(dense.report.outputBytes).toBeGreaterThan(dense.report.inputBytes * 0.95);
    expect(dense.report.gzipBytes!.output).toBeLessThan(dense.report.gzipBytes!.input * 0.6);
    expect(dense.report.notes.join(' ')).toMatch(/do not change/);
    const sparse = await prune(input, { sparsity: 0.8 }, { storage: 'sparse' });
    expect(sparse.model.graph!.sparseInitializer.length).toBeGreaterThan(0);
    expect(sparse.report.outputBytes).toBeLessThan(sparse.report.inputBytes * 0.7);
    const [a, b] = [await run(dense.report.output, model), await run(sparse.report.output, model)];
    a.forEach((x, i) => expect(Buffer.from(b[i]!.data.buffer).equals(Buffer.from(x.data.buffer))).toBe(true));
  });
});
