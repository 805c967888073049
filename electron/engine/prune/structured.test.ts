import fs from 'node:fs';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphIndex, findConstant, replaceConstant } from '../onnx/graph.js';
import { makeFloatTensor, makeValueInfo } from '../onnx/graph-build.js';
import { decodeToFloat32 } from '../onnx/tensor-codec.js';
import { createSession } from '../runtime/create-session.js';
import { buildConvNet } from '../testing/conv-fixtures.js';
import { buildCnn, buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { firstOutputs, npyAccuracy, seededFeeds } from '../testing/prune-fidelity.js';
import {
  buildBenchCnn,
  buildChannelsLast,
  buildConcatCnn,
  buildConvTranspose,
  buildDepthwiseSeparable,
  buildFlattenGemm,
  buildResidualBnCnn,
  buildSqueezeExcite,
  buildUnsafeCnn,
  GraphBuilder,
  withConstantNodeWeights,
} from '../testing/prune-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import './all-methods.js';
import { type PruneReport, pruneModel } from './prune-model.js';

/*
 * Structured pruning on the built-in fixtures, table-driven: every output loads and runs in onnxruntime with
 * the original's output shape; sparsity 0 is bit-identical; the channels reported removed are gone from the
 * weights; channels that are dead by construction (zero weights, zero BatchNorm scale) are the ones removed,
 * and removing them leaves the outputs unchanged, which checks every propagated edit numerically.
 */

const DIGITS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../testing/fixtures/digits');

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-prune-');
});
afterAll(() => tmp.cleanup());

let counter = 0;
function save(model: ModelProto, name: string): string {
  const file = path.join(tmp.dir, `${name}-${counter++}.onnx`);
  fs.writeFileSync(file, modelBytes(model));
  return file;
}

async function outputsOf(file: string, feeds: ReturnType<typeof seededFeeds>) {
  const session = await createSession(file);
  try {
    return await firstOutputs(session, feeds);
  } finally {
    await session.release();
  }
}

async function prune(
  input: string,
  common: Record<string, unknown>,
  options: Record<string, unknown> = {},
): Promise<{ report: PruneReport; model: ModelProto }> {
  const output = path.join(tmp.dir, `out-${counter++}.onnx`);
  const report = await pruneModel({ input, output, method: 'structured', common, options });
  return { report, model: fromBinary(ModelProtoSchema, fs.readFileSync(output)) };
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / Math.max(scale, 1e-6);
}

/** Zeroes entries of a constant along one axis (weights or BatchNorm parameters), wherever it lives. */
function zeroChannels(model: ModelProto, name: string, axis: number, channels: number[]): void {
  const index = new GraphIndex(model.graph!);
  const ref = findConstant(index, name)!;
  const dims = ref.tensor.dims.map(Number);
  const values = Float32Array.from(decodeToFloat32(ref.tensor));
  const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1);
  const length = dims[axis]!;
  for (let i = 0; i < values.length; i++)
    if (channels.includes(Math.floor(i / inner) % length)) values[i] = 0;
  replaceConstant(ref, makeFloatTensor(name, dims, values));
}

/** Sets entries of a 1-D float constant (a bias) by index. */
function setValues(model: ModelProto, name: string, values: Record<number, number>): void {
  const ref = findConstant(new GraphIndex(model.graph!), name)!;
  const data = Float32Array.from(decodeToFloat32(ref.tensor));
  for (const [i, v] of Object.entries(values)) data[Number(i)] = v;
  replaceConstant(ref, makeFloatTensor(name, ref.tensor.dims.map(Number), data));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function weightDims(model: ModelProto, name: string): number[] {
  const ref = findConstant(new GraphIndex(model.graph!), name, { allowOverridable: true });
  if (!ref) throw new Error(`no constant ${name}`);
  return ref.tensor.dims.map(Number);
}

interface Case {
  name: string;
  build: () => ModelProto;
  /** Channel groups that must be prunable: first member, channels, other members tied to it. */
  groups: { first: string; channels: number; tied?: string[] }[];
  /** Weights whose axis shrinks with a group: [constant, axis, first member of the group]. */
  weights: [string, number, string][];
  /** Makes some channels dead, the ones a 25% prune must remove (excluding the listed nodes). */
  dead?: { kill: (model: ModelProto) => void; exclude?: string[] };
}

const CASES: Case[] = [
  {
    name: 'plain CNN',
    build: () => buildCnn(),
    groups: [
      { first: 'conv1', channels: 8 },
      { first: 'conv2', channels: 16 },
    ],
    weights: [
      ['conv1.weight', 0, 'conv1'],
      ['conv2.weight', 0, 'conv2'],
      ['conv2.weight', 1, 'conv1'],
      ['fc.weight', 1, 'conv2'],
    ],
    dead: {
      kill: (m) => {
        zeroChannels(m, 'conv2.weight', 0, [1, 4, 9, 15]);
        zeroChannels(m, 'conv2.bias', 0, [1, 4, 9, 15]);
      },
      exclude: ['conv1'],
    },
  },
  {
    name: 'MLP (Gemm, Relu, MatMul + Add)',
    build: () => buildMlp(),
    groups: [{ first: 'fc1', channels: 32 }],
    weights: [
      ['fc1.weight', 0, 'fc1'],
      ['fc2.weight', 0, 'fc1'],
    ],
    dead: {
      kill: (m) => {
        const dead = [0, 3, 5, 8, 13, 21, 22, 31];
        zeroChannels(m, 'fc1.weight', 0, dead);
        zeroChannels(m, 'fc1.bias', 0, dead);
      },
    },
  },
  {
    name: 'CNN with BatchNorm and residual Add (value_info declared)',
    build: () => buildResidualBnCnn({ valueInfo: true }),
    groups: [
      { first: 'stem.conv', channels: 8, tied: ['block.b.conv'] },
      { first: 'block.a.conv', channels: 8 },
      { first: 'down.conv', channels: 16 },
    ],
    weights: [
      ['stem.conv.weight', 0, 'stem.conv'],
      ['block.b.conv.weight', 0, 'stem.conv'],
      ['block.a.conv.weight', 1, 'stem.conv'],
      ['stem.bn.scale', 0, 'stem.conv'],
      ['block.a.conv.weight', 0, 'block.a.conv'],
      ['down.conv.weight', 0, 'down.conv'],
      ['fc.weight', 1, 'down.conv'],
    ],
    dead: {
      // BatchNorm-aware ranking: a zero BatchNorm scale (and shift) makes the channel dead in both branches.
      kill: (m) => {
        for (const bn of ['stem.bn', 'block.b.bn']) {
          zeroChannels(m, `${bn}.scale`, 0, [1, 6]);
          zeroChannels(m, `${bn}.bias`, 0, [1, 6]);
        }
      },
      exclude: ['block.a.conv', 'down.conv'],
    },
  },
  {
    name: 'depthwise-separable block (multiplier 1 and 2)',
    build: () => buildDepthwiseSeparable(),
    groups: [
      { first: 'stem', channels: 8, tied: ['dw.conv'] },
      { first: 'pw', channels: 16, tied: ['dw2'] },
    ],
    weights: [
      ['stem.weight', 0, 'stem'],
      ['dw.conv.weight', 0, 'stem'],
      ['pw.weight', 1, 'stem'],
      ['pw.weight', 0, 'pw'],
    ],
    dead: {
      kill: (m) => {
        zeroChannels(m, 'stem.weight', 0, [2, 7]);
        zeroChannels(m, 'stem.bias', 0, [2, 7]);
        zeroChannels(m, 'dw.bn.scale', 0, [2, 7]);
        zeroChannels(m, 'dw.bn.bias', 0, [2, 7]);
        const pw = [0, 5, 6, 11];
        zeroChannels(m, 'pw.weight', 0, pw);
        zeroChannels(m, 'pw.bias', 0, pw);
        zeroChannels(
          m,
          'dw2.bias',
          0,
          pw.flatMap((c) => [2 * c, 2 * c + 1]),
        );
      },
    },
  },
  ...(['flatten', 'reshape', 'reshape-explicit', 'reshape-dynamic', 'reshape-sliced'] as const).map(
    (via): Case => ({
      name: `Conv into Gemm through ${via}`,
      build: () => buildFlattenGemm({ via, valueInfo: via === 'reshape-explicit' }),
      groups: [{ first: 'conv', channels: 8 }],
      weights: [['conv.weight', 0, 'conv']],
      dead: {
        kill: (m) => {
          zeroChannels(m, 'conv.weight', 0, [3, 4]);
          zeroChannels(m, 'conv.bias', 0, [3, 4]);
        },
      },
    }),
  ),
  {
    name: 'Concat on channels (DenseNet-style) with a per-channel Mul',
    build: () => buildConcatCnn(),
    groups: [
      { first: 'left', channels: 4 },
      { first: 'right', channels: 6 },
      { first: 'fuse', channels: 8 },
    ],
    weights: [
      ['left.weight', 0, 'left'],
      ['right.weight', 0, 'right'],
      ['fuse.weight', 0, 'fuse'],
      ['fuse.scale', 0, 'fuse'],
    ],
    dead: {
      kill: (m) => {
        zeroChannels(m, 'left.weight', 0, [1]);
        zeroChannels(m, 'left.bias', 0, [1]);
        zeroChannels(m, 'right.weight', 0, [0, 4]);
        zeroChannels(m, 'right.bias', 0, [0, 4]);
        zeroChannels(m, 'fuse.weight', 0, [2, 5]);
        zeroChannels(m, 'fuse.bias', 0, [2, 5]);
      },
    },
  },
  {
    name: 'squeeze-and-excitation gate (Mul ties two convs) after Pad and Resize',
    build: () => buildSqueezeExcite(),
    groups: [
      { first: 'features', channels: 8, tied: ['se.expand'] },
      { first: 'se.reduce', channels: 4 },
    ],
    weights: [
      ['features.weight', 0, 'features'],
      ['se.expand.weight', 0, 'features'],
      ['se.reduce.weight', 1, 'features'],
      ['se.reduce.weight', 0, 'se.reduce'],
      ['fc.weight', 1, 'features'],
    ],
    dead: {
      kill: (m) => {
        for (const conv of ['features', 'se.expand']) {
          zeroChannels(m, `${conv}.weight`, 0, [2, 3]);
          zeroChannels(m, `${conv}.bias`, 0, [2, 3]);
        }
        zeroChannels(m, 'se.reduce.weight', 0, [1]);
        zeroChannels(m, 'se.reduce.bias', 0, [1]);
      },
    },
  },
  {
    name: 'channels-last through Transpose, MatMul, ReduceMean, Unsqueeze and Squeeze',
    build: () => buildChannelsLast(),
    groups: [
      { first: 'conv', channels: 8 },
      { first: 'linear', channels: 6 },
    ],
    weights: [
      ['conv.weight', 0, 'conv'],
      ['linear.weight', 0, 'conv'],
      ['linear.weight', 1, 'linear'],
      ['fc.weight', 1, 'linear'],
    ],
    dead: {
      kill: (m) => {
        zeroChannels(m, 'conv.weight', 0, [0, 7]);
        zeroChannels(m, 'conv.bias', 0, [0, 7]);
        zeroChannels(m, 'linear.weight', 1, [4, 5]);
      },
    },
  },
  {
    name: 'ConvTranspose (weight [in, out, k, k]) between two Convs',
    build: () => buildConvTranspose(),
    groups: [
      { first: 'enc', channels: 8 },
      { first: 'up', channels: 6 },
      { first: 'dec', channels: 4 },
    ],
    weights: [
      ['enc.weight', 0, 'enc'],
      ['up.weight', 0, 'enc'],
      ['up.weight', 1, 'up'],
      ['dec.weight', 1, 'up'],
      ['dec.weight', 0, 'dec'],
    ],
    dead: {
      kill: (m) => {
        zeroChannels(m, 'enc.weight', 0, [1, 2]);
        zeroChannels(m, 'enc.bias', 0, [1, 2]);
        zeroChannels(m, 'up.weight', 1, [0, 5]);
        zeroChannels(m, 'up.bias', 0, [0, 5]);
        zeroChannels(m, 'dec.weight', 0, [3]);
        zeroChannels(m, 'dec.bias', 0, [3]);
      },
    },
  },
  {
    name: 'weights in Constant nodes (residual BatchNorm CNN)',
    build: () => withConstantNodeWeights(buildResidualBnCnn()),
    groups: [
      { first: 'stem.conv', channels: 8, tied: ['block.b.conv'] },
      { first: 'block.a.conv', channels: 8 },
      { first: 'down.conv', channels: 16 },
    ],
    weights: [
      ['stem.conv.weight', 0, 'stem.conv'],
      ['block.b.conv.weight', 0, 'stem.conv'],
      ['block.a.conv.weight', 1, 'stem.conv'],
      ['stem.bn.scale', 0, 'stem.conv'],
      ['block.a.conv.weight', 0, 'block.a.conv'],
      ['down.conv.weight', 0, 'down.conv'],
      ['fc.weight', 1, 'down.conv'],
    ],
    dead: {
      kill: (m) => {
        for (const bn of ['stem.bn', 'block.b.bn']) {
          zeroChannels(m, `${bn}.scale`, 0, [0, 3]);
          zeroChannels(m, `${bn}.bias`, 0, [0, 3]);
        }
      },
      exclude: ['block.a.conv', 'down.conv'],
    },
  },
];

describe('structured pruning on the fixtures', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it('is bit-identical at sparsity 0', async () => {
        const model = c.build();
        const input = save(model, 'zero');
        const { report } = await prune(input, { sparsity: 0 });
        expect(report.removedChannels).toBe(0);
        expect(report.prunedNodes).toBe(0);
        expect(report.achievedSparsity).toBe(0);
        const feeds = seededFeeds(model, 2, 3);
        const [a, b] = [await outputsOf(input, feeds), await outputsOf(report.output, feeds)];
        a.forEach((x, i) =>
          expect(Buffer.from(b[i]!.data.buffer).equals(Buffer.from(x.data.buffer))).toBe(true),
        );
      });

      it('finds the channel groups and removes the channels it reports at 50%', async () => {
        const model = c.build();
        const input = save(model, 'half');
        const { report, model: pruned } = await prune(input, { sparsity: 0.5 });
        for (const g of c.groups) {
          const layer = report.layers.find((l) => l.name === g.first);
          expect(layer, `group of ${g.first}`).toBeDefined();
          expect(layer!.total).toBe(g.channels);
          expect(layer!.removed).toBe(Math.round(g.channels * 0.5));
          for (const t of g.tied ?? []) expect(layer!.group).toContain(t);
        }
        for (const [name, axis, first] of c.weights) {
          const layer = report.layers.find((l) => l.name === first)!;
          const before = weightDims(model, name)[axis]!;
          const per = before / layer.total;
          expect(weightDims(pruned, name)[axis], `${name} axis ${axis}`).toBe(before - per * layer.removed);
        }
        expect(report.removedChannels).toBe(report.layers.reduce((n, l) => n + l.removed, 0));
        expect(report.outputBytes).toBeLessThan(report.inputBytes);
        expect(report.parameters.after).toBeLessThan(report.parameters.before);
        // Loads, runs, and keeps the model's interface.
        const feeds = seededFeeds(model, 2, 5);
        const [a, b] = [await outputsOf(input, feeds), await outputsOf(report.output, feeds)];
        expect(b[0]!.dims).toEqual(a[0]!.dims);
        expect(b[0]!.data.every(Number.isFinite)).toBe(true);
      });

      it('runs with onnxruntime graph optimizations off and global scope too', async () => {
        const model = c.build();
        const input = save(model, 'global');
        const { report } = await prune(input, { sparsity: 0.4, scope: 'global' }, { roundTo: 2 });
        for (const l of report.layers) expect((l.total - l.removed) % 2 === 0 || l.removed === 0).toBe(true);
        const session = await createSession(report.output, { graphOptimizationLevel: 'disabled' });
        await session.run(seededFeeds(model, 1, 9)[0]!);
        await session.release();
      });

      if (c.dead) {
        const dead = c.dead;
        it('removes dead channels first, leaving the outputs unchanged', async () => {
          const model = c.build();
          dead.kill(model);
          const input = save(model, 'dead');
          const { report } = await prune(input, { sparsity: 0.25, excludeNodes: dead.exclude ?? [] });
          expect(report.removedChannels).toBeGreaterThan(0);
          const feeds = seededFeeds(model, 3, 11);
          const [a, b] = [await outputsOf(input, feeds), await outputsOf(report.output, feeds)];
          a.forEach((x, i) => expect(maxRelativeError(x.data, b[i]!.data)).toBeLessThan(1e-5));
        });
      }
    });
  }
});

describe('structured pruning refuses what it cannot prove', () => {
  it('skips every unsafe group with its reason and leaves the model working', async () => {
    const model = buildUnsafeCnn();
    const input = save(model, 'unsafe');
    const { report } = await prune(input, { sparsity: 0.5 });
    expect(report.removedChannels).toBe(0);
    const reason = (name: string) => report.skipped.find((s) => s.name === name)?.reason ?? '';
    expect(reason('skip.conv')).toMatch(/'skip\.add' combines them with 'input'/);
    expect(reason('grouped.conv1')).toMatch(/grouped Conv 'grouped\.conv2' \(group=2\)/);
    expect(reason('softmax.conv')).toMatch(/normalizes across their channels/);
    expect(reason('shared.conv1')).toMatch(/'shared\.weight' is shared/);
    expect(reason('features.conv')).toMatch(/model output 'features\.relu'/);
    const feeds = seededFeeds(model, 2, 13);
    const [a, b] = [await outputsOf(input, feeds), await outputsOf(report.output, feeds)];
    a.forEach((x, i) => expect(Buffer.from(b[i]!.data.buffer).equals(Buffer.from(x.data.buffer))).toBe(true));
  });

  it('keeps excluded and unselected layers whole and says why', async () => {
    const input = save(buildResidualBnCnn(), 'select');
    const { report, model } = await prune(input, {
      sparsity: 0.5,
      excludeNodes: ['down.conv'],
      opTypes: ['Conv'],
    });
    expect(report.skipped.find((s) => s.name === 'down.conv')?.reason).toMatch(/excluded/);
    expect(weightDims(model, 'down.conv.weight')[0]).toBe(16);
    // Its input channels still follow the groups feeding it (Torch-Pruning's meaning of an ignored layer).
    expect(weightDims(model, 'down.conv.weight')[1]).toBe(4);
    const mlp = save(buildMlp(), 'mlp-select');
    const gemmOnly = await prune(mlp, { sparsity: 0.5, opTypes: ['MatMul'] });
    expect(gemmOnly.report.skipped.find((s) => s.name === 'fc1')?.reason).toMatch(
      /not among the selected op types/,
    );
  });
});

describe('structured pruning keeps declared shapes true', () => {
  it('updates the value_info of the tensors whose channels it removes', async () => {
    const input = save(buildResidualBnCnn({ valueInfo: true }), 'shapes');
    const { model } = await prune(input, { sparsity: 0.5 });
    const shapes = Object.fromEntries(
      model.graph!.valueInfo.map((vi) => [
        vi.name,
        vi.type?.value.case === 'tensorType'
          ? vi.type.value.value.shape?.dim.map((d) => Number(d.value.value))
          : [],
      ]),
    );
    expect(shapes).toEqual({
      'stem.relu': [1, 4, 16, 16],
      'block.add': [1, 4, 16, 16],
      'down.relu': [1, 8, 8, 8],
      flatten: [1, 8],
    });
  });
});

describe('structured pruning on the trained digits classifier (torch export)', () => {
  it('keeps the accuracy at 0 and prunes both conv layers through the Flatten at 30%', async () => {
    const model = path.join(DIGITS, 'digits.onnx');
    const inputs = path.join(DIGITS, 'test-inputs.npy');
    const labels = path.join(DIGITS, 'test-labels.npy');
    const zero = await prune(model, { sparsity: 0 });
    expect(await npyAccuracy(zero.report.output, inputs, labels)).toBeCloseTo(0.975, 6);
    const { report, model: pruned } = await prune(model, { sparsity: 0.3 });
    expect(report.layers.map((l) => [l.total, l.removed])).toEqual([
      [8, 2],
      [16, 5],
    ]);
    expect(weightDims(pruned, 'classifier.weight')).toEqual([10, 11 * 16]);
    expect(await npyAccuracy(report.output, inputs, labels)).toBeGreaterThan(0.85);
  });
});

describe('structured pruning makes the model faster', () => {
  it('halving the channels of a ResNet-style net cuts its latency', async () => {
    const model = buildBenchCnn({ width: 32, size: 64 });
    const input = save(model, 'bench');
    const { report } = await prune(input, { sparsity: 0.5 });
    expect(report.outputBytes / report.inputBytes).toBeLessThan(0.35);
    const feed = seededFeeds(model, 1, 1)[0]!;
    const settings = { intraOpThreads: 1, allowSpinning: false };
    const [a, b] = [await createSession(input, settings), await createSession(report.output, settings)];
    const ta: number[] = [];
    const tb: number[] = [];
    for (let i = 0; i < 15; i++) {
      let t = performance.now();
      await a.run(feed);
      ta.push(performance.now() - t);
      t = performance.now();
      await b.run(feed);
      tb.push(performance.now() - t);
    }
    await Promise.all([a.release(), b.release()]);
    // ~4x fewer multiply-adds; the minimum is robust to a busy machine. Allow a wide margin.
    expect(Math.min(...tb)).toBeLessThan(0.75 * Math.min(...ta));
  });
});

describe("structured pruning on the shared conv-fixtures net (the quantizer's and benchmarks' model)", () => {
  for (const variant of ['small', 'large'] as const) {
    it(`${variant}: unchanged at 0, smaller and running at 30% and 50%`, async () => {
      const model = buildConvNet({ variant });
      const input = save(model, `convnet-${variant}`);
      const feeds = seededFeeds(model, 1, 21);
      const original = await outputsOf(input, feeds);
      const zero = await prune(input, { sparsity: 0 });
      expect(
        Buffer.from((await outputsOf(zero.report.output, feeds))[0]!.data.buffer).equals(
          Buffer.from(original[0]!.data.buffer),
        ),
      ).toBe(true);
      for (const sparsity of [0.3, 0.5]) {
        const { report } = await prune(input, { sparsity });
        expect(report.removedChannels).toBeGreaterThan(0);
        expect(report.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/model output 'logits'/)]);
        expect(report.outputBytes).toBeLessThan(report.inputBytes);
        const out = await outputsOf(report.output, feeds);
        expect(out[0]!.dims).toEqual(original[0]!.dims);
      }
    });
  }
});

describe('structured pruning compensates the bias of removed channels', () => {
  /**
   * Conv 'a' (3 -> 8, 3x3, bias) -> Relu -> [BatchNorm] -> Conv 'b' (8 -> 6, 1x1, so no padded border;
   * with or without a bias) -> Relu -> GAP -> Flatten -> Gemm. Channels 2 and 5 of 'a' get zero weights and a
   * bias: they output the constants Relu(0.7) and Relu(1.3) (through the BatchNorm when there is one), which
   * 'b' must absorb when they are removed.
   */
  function constantChannelNet(options: { consumerBias: boolean; bn?: boolean }): ModelProto {
    const b = new GraphBuilder(901);
    let x = b.relu('a.relu', b.conv('a', 'input', 3, 8));
    if (options.bn) x = b.bn('a.bn', x, 8);
    const y = b.relu('b.relu', b.conv('b', x, 8, 6, { k: 1, bias: options.consumerBias }));
    b.head(y, 6, 4);
    const model = b.model(
      'constant_channels',
      [makeValueInfo('input', TensorProto_DataType.FLOAT, [1, 3, 8, 8])],
      [makeValueInfo('logits', TensorProto_DataType.FLOAT, [1, 4])],
    );
    zeroChannels(model, 'a.weight', 0, [2, 5]);
    setValues(model, 'a.bias', { 2: 0.7, 5: 1.3 });
    return model;
  }

  async function pruneBoth(model: ModelProto, common: Record<string, unknown>) {
    const input = save(model, 'bias-comp');
    const feeds = seededFeeds(model, 3, 17);
    const original = await outputsOf(input, feeds);
    const diff = async (options: Record<string, unknown>) => {
      const { report } = await prune(input, common, options);
      const out = await outputsOf(report.output, feeds);
      return { report, diff: Math.max(...original.map((o, i) => maxAbsDiff(o.data, out[i]!.data))) };
    };
    return { on: await diff({}), off: await diff({ biasCompensation: false }) };
  }

  for (const consumerBias of [true, false]) {
    for (const bn of [false, true]) {
      it(`keeps the outputs when constant channels go (consumer ${consumerBias ? 'with' : 'without'} a bias${bn ? ', through a BatchNorm' : ''})`, async () => {
        const { on, off } = await pruneBoth(constantChannelNet({ consumerBias, bn }), {
          sparsity: 0.25,
          excludeNodes: ['b'],
        });
        expect(on.report.layers.find((l) => l.name === 'a')?.removed).toBe(2);
        expect(on.diff).toBeLessThan(1e-5);
        expect(off.diff).toBeGreaterThan(1e-2);
        expect(on.report.notes.join(' ')).toMatch(/Bias compensation moved the constant output of 2 removed/);
      });
    }
  }

  it('compensates a Gemm through MaxPool and Flatten (one constant per channel, 16 features each)', async () => {
    const model = buildFlattenGemm({ via: 'flatten' });
    zeroChannels(model, 'conv.weight', 0, [3, 4]);
    setValues(model, 'conv.bias', { 3: 0.9, 4: 0.4 });
    const { on, off } = await pruneBoth(model, { sparsity: 0.25 });
    expect(on.report.removedChannels).toBe(2);
    expect(on.diff).toBeLessThan(1e-5);
    expect(off.diff).toBeGreaterThan(1e-2);
  });

  it('compensates a MatMul with an Add after it', async () => {
    const model = buildMlp();
    const dead = [0, 3, 5, 8, 13, 21, 22, 31];
    zeroChannels(model, 'fc1.weight', 0, dead);
    setValues(model, 'fc1.bias', Object.fromEntries(dead.map((c, i) => [c, 0.2 + 0.1 * i])));
    const { on, off } = await pruneBoth(model, { sparsity: 0.25 });
    expect(on.report.removedChannels).toBe(8);
    expect(on.diff).toBeLessThan(1e-5);
    expect(off.diff).toBeGreaterThan(1e-2);
  });

  it('carries the constant through a residual Add (BatchNorm shifts of both branches), up to padded borders', async () => {
    const model = buildResidualBnCnn();
    // Zero weights but keep the BatchNorm shifts: the removed channels are constants, not zeros.
    zeroChannels(model, 'stem.conv.weight', 0, [1, 6]);
    zeroChannels(model, 'block.b.conv.weight', 0, [1, 6]);
    const { on, off } = await pruneBoth(model, {
      sparsity: 0.25,
      excludeNodes: ['block.a.conv', 'down.conv'],
    });
    expect(on.report.layers.find((l) => l.name === 'stem.conv')?.removed).toBe(2);
    // Exact away from the borders the next 3x3 convs pad with zeros: far closer than without.
    expect(on.diff).toBeLessThan(off.diff / 4);
  });
});
