import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, type ModelProto, ModelProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleSource } from '../../datasets/sample-source.js';
import { syntheticSource } from '../../datasets/synthetic-source.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { tensorByteSize } from '../../onnx/tensor-codec.js';
import { decodeTensor } from '../../onnx/tensor-codec.js';
import { createSession } from '../../runtime/create-session.js';
import { resolveInputSpecs } from '../../runtime/input-specs.js';
import { buildConvNet, convNetInputShape, convNetSamples } from '../../testing/conv-fixtures.js';
import { buildTextDetector, detectorSamples } from '../../testing/detector-fixture.js';
import {
  buildConstantWeightModel,
  buildIfModel,
  buildMlp,
  buildSparseInitializerModel,
  makeModel,
  randomTensor,
} from '../../testing/model-fixtures.js';
import { feedsSource, randomOrtTensor } from '../../testing/feeds-source.js';
import { INT8_KERNELS_SATURATE, kernelSafe } from '../../testing/int8-kernels.js';
import { SATURATION_NOTE } from '../../bench/int8-support.js';
import { makeTempDir } from '../../testing/temp-dir.js';
import { buildAttentionBlock, buildSharedWeightAttention } from '../../testing/transformer-fixtures.js';
import { type QuantizeProgress } from '../quantize-method.js';
import { type QuantizeReport, quantizeModel } from '../quantize-model.js';
import './int8-static.js';

let tmp: ReturnType<typeof makeTempDir>;
let counter = 0;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-int8-static-');
});
afterAll(() => tmp.cleanup());

function convFeeds(
  count: number,
  seed: number,
  variant: 'small' | 'large' = 'small',
): Record<string, ort.Tensor>[] {
  const shape = [1, ...convNetInputShape(variant)];
  return convNetSamples(count, { variant, seed }).map((x) => ({
    input: new ort.Tensor('float32', x, shape),
  }));
}

function normalFeeds(
  count: number,
  dims: number[],
  seed: number,
  name = 'input',
): Record<string, ort.Tensor>[] {
  return Array.from({ length: count }, (_, i) => ({ [name]: randomOrtTensor(dims, seed + i, 1.5) }));
}

interface Quantized {
  report: QuantizeReport;
  fp32: string;
  file: string;
  model: ModelProto;
}

async function quantize(
  model: ModelProto,
  calibration: SampleSource,
  extra: {
    options?: Record<string, unknown>;
    common?: Record<string, unknown>;
    signal?: AbortSignal;
    onProgress?: (p: QuantizeProgress) => void;
  } = {},
): Promise<Quantized> {
  counter += 1;
  const fp32 = path.join(tmp.dir, `model-${counter}.onnx`);
  const file = path.join(tmp.dir, `model-${counter}.int8.onnx`);
  fs.writeFileSync(fp32, toBinary(ModelProtoSchema, model));
  const report = await quantizeModel({
    input: fp32,
    output: file,
    method: 'int8-static',
    calibration,
    // The fixtures' first conv reads a 3-channel input, which int8-static keeps float by default; these
    // tests check the fusion of every conv, so they quantize it too (its default has its own test below).
    options: { quantizeInputConv: true, ...extra.options },
    common: kernelSafe(extra.common ?? {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.onProgress ? { onProgress: extra.onProgress } : {}),
  });
  return { report, fp32, file, model: fromBinary(ModelProtoSchema, fs.readFileSync(file)) };
}

/** Op types of onnxruntime's optimized graph (what actually runs), with `@domain` for non-default domains. */
async function optimizedOps(file: string): Promise<string[]> {
  const out = `${file}.optimized.onnx`;
  const session = await createSession(file, { optimizedModelFilePath: out, intraOpThreads: 1 });
  await session.release();
  const model = fromBinary(ModelProtoSchema, fs.readFileSync(out));
  return model.graph!.node.map((n) => n.opType);
}

function count(ops: string[], op: string): number {
  return ops.filter((o) => o === op).length;
}

/** Mean cosine similarity and top-1 agreement (over the last axis) of the first output, fp32 vs quantized. */
async function fidelity(
  fp32: string,
  quantized: string,
  feeds: Record<string, ort.Tensor>[],
): Promise<{ cosine: number; top1: number }> {
  const a = await createSession(fp32, { intraOpThreads: 1 });
  const b = await createSession(quantized, { intraOpThreads: 1 });
  try {
    let cos = 0;
    let same = 0;
    let rows = 0;
    for (const feed of feeds) {
      const x = (await a.run(feed))[a.outputNames[0]!]!;
      const y = (await b.run(feed))[b.outputNames[0]!]!;
      const u = x.data as Float32Array;
      const v = y.data as Float32Array;
      expect(v).toHaveLength(u.length);
      let dot = 0;
      let nu = 0;
      let nv = 0;
      for (let i = 0; i < u.length; i++) {
        dot += u[i]! * v[i]!;
        nu += u[i]! * u[i]!;
        nv += v[i]! * v[i]!;
      }
      cos += dot / Math.sqrt(nu * nv);
      const classes = x.dims.at(-1)!;
      for (let r = 0; r < u.length / classes; r++) {
        let iu = 0;
        let iv = 0;
        for (let c = 1; c < classes; c++) {
          if (u[r * classes + c]! > u[r * classes + iu]!) iu = c;
          if (v[r * classes + c]! > v[r * classes + iv]!) iv = c;
        }
        if (iu === iv) same++;
        rows++;
      }
    }
    return { cosine: cos / feeds.length, top1: same / rows };
  } finally {
    await a.release();
    await b.release();
  }
}

function weightBytes(model: ModelProto): number {
  let bytes = 0;
  for (const t of model.graph!.initializer) bytes += tensorByteSize(t);
  for (const n of model.graph!.node) {
    const t = n.opType === 'Constant' ? n.attribute.find((a) => a.name === 'value')?.t : undefined;
    if (t) bytes += tensorByteSize(t);
  }
  return bytes;
}

function initializer(model: ModelProto, name: string) {
  const t = model.graph!.initializer.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
}

describe('int8-static on the conv fixture', () => {
  it('emits QDQ that onnxruntime fuses end to end into QLinearConv / QLinearAdd / QGemm', async () => {
    const progress: QuantizeProgress[] = [];
    const q = await quantize(buildConvNet(), feedsSource(convFeeds(32, 3)), {
      onProgress: (p) => progress.push(p),
    });
    expect(q.report.quantizedNodes).toBeGreaterThanOrEqual(9);
    expect(q.report.skippedNodes).toEqual([]);
    expect(q.report.notes.join('\n')).toMatch(/BatchNormalization removed/);

    // The emitted graph: Q/DQ around float ops, int8 weights with per-channel scales, int32 biases.
    const ops = q.model.graph!.node.map((n) => n.opType);
    expect(ops).not.toContain('BatchNormalization');
    expect(ops).not.toContain('Relu'); // folded into the Conv's output quantizer
    const conv = q.model.graph!.node.find((n) => n.opType === 'Conv')!;
    const producerOf = (name: string) => q.model.graph!.node.find((n) => n.output.includes(name))!;
    for (const input of conv.input) expect(producerOf(input).opType).toBe('DequantizeLinear');
    const wdq = producerOf(conv.input[1]!);
    const w = initializer(q.model, wdq.input[0]!);
    expect(w.dataType).toBe(DT.INT8);
    expect(Number(wdq.attribute.find((a) => a.name === 'axis')!.i)).toBe(0);
    expect(initializer(q.model, wdq.input[1]!).dims.map(Number)).toEqual([Number(w.dims[0])]);
    const bdq = producerOf(conv.input[2]!);
    expect(initializer(q.model, bdq.input[0]!).dataType).toBe(DT.INT32);
    // Bias scale = input scale x weight scale, per channel.
    const xdq = producerOf(conv.input[0]!);
    const xScale = decodeTensor(initializer(q.model, xdq.input[1]!)).values as Float32Array;
    const wScale = decodeTensor(initializer(q.model, wdq.input[1]!)).values as Float32Array;
    const bScale = decodeTensor(initializer(q.model, bdq.input[1]!)).values as Float32Array;
    bScale.forEach((s, c) => expect(s).toBe(Math.fround(xScale[0]! * wScale[c]!)));
    const xZp = decodeTensor(initializer(q.model, xdq.input[2]!));
    expect(xZp.dataType).toBe(DT.UINT8);

    // What onnxruntime runs: every Conv fused, no float compute or stray Q/DQ in between.
    const run = await optimizedOps(q.file);
    expect(count(run, 'QLinearConv')).toBe(5);
    expect(run).toContain('QLinearAdd');
    expect(run).toContain('QLinearGlobalAveragePool');
    expect(run).toContain('QGemm');
    for (const float of [
      'Conv',
      'FusedConv',
      'Add',
      'Gemm',
      'MatMul',
      'Relu',
      'GlobalAveragePool',
      'DequantizeLinear',
    ]) {
      expect(run, `${float} left in the optimized graph: ${run.join(' ')}`).not.toContain(float);
    }
    expect(count(run, 'QuantizeLinear')).toBe(1); // the model input
    expect(run.some((o) => o.endsWith('MaxPool'))).toBe(true); // on uint8 (DQ/Q dropped)

    const f = await fidelity(q.fp32, q.file, convFeeds(50, 99));
    expect(f.cosine).toBeGreaterThanOrEqual(0.98);
    expect(f.top1).toBeGreaterThanOrEqual(0.9);

    const phases = new Set(progress.map((p) => p.phase));
    expect(phases).toEqual(new Set(['calibrating', 'quantizing']));
    expect(progress.filter((p) => p.phase === 'calibrating').map((p) => p.done)).toEqual(
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
    const quantizing = progress.filter((p) => p.phase === 'quantizing');
    expect(quantizing.at(-1)).toEqual({
      phase: 'quantizing',
      done: q.report.quantizedNodes,
      total: q.report.quantizedNodes,
    });
  });

  it('makes the weights 0.25-0.3x of float32 on the large fixture', async () => {
    const model = buildConvNet({ variant: 'large' });
    const q = await quantize(model, feedsSource(convFeeds(8, 5, 'large')), {
      options: { calibMethod: 'minmax' },
    });
    const ratio = weightBytes(q.model) / weightBytes(model);
    expect(ratio).toBeGreaterThan(0.22);
    expect(ratio).toBeLessThanOrEqual(0.3);
    const run = await optimizedOps(q.file);
    expect(count(run, 'QLinearConv')).toBe(8);
    expect(count(run, 'QLinearAdd')).toBe(2);
    const f = await fidelity(q.fp32, q.file, convFeeds(20, 41, 'large'));
    expect(f.cosine).toBeGreaterThanOrEqual(0.98);
    expect(f.top1).toBeGreaterThanOrEqual(0.9);
  });

  it.each(['minmax', 'percentile', 'entropy'] as const)('calibrates with %s', async (calibMethod) => {
    const q = await quantize(buildConvNet(), feedsSource(convFeeds(24, 8)), {
      options: { calibMethod, calibSamples: 16 },
    });
    expect(q.report.notes.join('\n')).toMatch(new RegExp(`over 16 samples with ${calibMethod}`));
    const f = await fidelity(q.fp32, q.file, convFeeds(30, 77));
    expect(f.cosine).toBeGreaterThanOrEqual(0.98);
    expect(f.top1).toBeGreaterThanOrEqual(0.85);
  });

  it('int8 activations run (onnxruntime on x86 fuses only their single-consumer groups)', async () => {
    const q = await quantize(buildConvNet(), feedsSource(convFeeds(16, 2)), {
      options: { activationType: 'int8' },
    });
    const zp = q.model.graph!.initializer.find((t) => t.name.endsWith('_zero_point') && t.dims.length === 0)!;
    expect(zp.dataType).toBe(DT.INT8);
    expect(q.report.notes.join('\n')).toMatch(/uint8 activations \(the default\) fuse everywhere on x86/);
    // x86: int8 Q/DQ pairs become uint8 only where a Q has one DQ; the sep block's convs qualify.
    expect(count(await optimizedOps(q.file), 'QLinearConv')).toBeGreaterThanOrEqual(2);
    const f = await fidelity(q.fp32, q.file, convFeeds(30, 13));
    expect(f.cosine).toBeGreaterThanOrEqual(0.98);
  });

  it('says, with full 8-bit weights on a CPU whose int8 kernels saturate, what to do (and not with 7-bit ones)', async () => {
    const full = await quantize(buildConvNet(), feedsSource(convFeeds(4, 1)), { common: { reduceRange: false } });
    expect(full.report.notes.includes(SATURATION_NOTE)).toBe(INT8_KERNELS_SATURATE);
    const reduced = await quantize(buildConvNet(), feedsSource(convFeeds(4, 1)), { common: { reduceRange: true } });
    expect(reduced.report.notes).not.toContain(SATURATION_NOTE);
  });

  it('honours per-tensor, asymmetric and reduce-range weights', async () => {
    const perTensor = await quantize(buildConvNet(), feedsSource(convFeeds(8, 1)), {
      common: { perTensor: true },
    });
    const dqs = perTensor.model.graph!.node.filter((n) => n.opType === 'DequantizeLinear');
    expect(dqs.every((n) => n.attribute.every((a) => a.name !== 'axis'))).toBe(true);
    expect(count(await optimizedOps(perTensor.file), 'QLinearConv')).toBe(5);

    const asym = await quantize(buildConvNet(), feedsSource(convFeeds(8, 1)), {
      common: { asymmetric: true, reduceRange: true },
    });
    expect(asym.report.notes.join('\n')).toMatch(/Conv weights quantized symmetric per channel/);
    const w = decodeTensor(
      asym.model.graph!.initializer.find(
        (t) => t.name.startsWith('fc.weight') && t.dataType === DT.INT8 && t.dims.length === 2,
      )!,
    ).values as Int8Array;
    expect(Math.max(...w)).toBeLessThanOrEqual(64);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-64);
    const fcZp = asym.model.graph!.initializer.find((t) => t.name.startsWith('fc.weight_zero_point'))!;
    expect([...(decodeTensor(fcZp).values as Int8Array)].some((z) => z !== 0)).toBe(true);
    const f = await fidelity(asym.fp32, asym.file, convFeeds(20, 4));
    expect(f.cosine).toBeGreaterThanOrEqual(0.98);
  });

  it('leaves excluded nodes and unselected op types in float and reports them', async () => {
    const q = await quantize(buildConvNet(), feedsSource(convFeeds(8, 1)), {
      common: { excludeNodes: ['sep.pw'] },
    });
    expect(q.report.skippedNodes).toEqual([
      { name: 'sep.pw', opType: 'Conv', reason: 'excluded by --exclude-nodes', option: '--exclude-nodes' },
    ]);
    const run = await optimizedOps(q.file);
    expect(count(run, 'QLinearConv')).toBe(4);
    expect(run.some((o) => o === 'Conv' || o === 'FusedConv')).toBe(true);
    expect((await fidelity(q.fp32, q.file, convFeeds(20, 4))).cosine).toBeGreaterThanOrEqual(0.98);

    const convOnly = await quantize(buildConvNet(), feedsSource(convFeeds(8, 1)), {
      common: { opTypes: ['Conv'] },
    });
    expect(
      convOnly.model
        .graph!.node.find((n) => n.opType === 'Gemm')!
        .input.every((i) => !i.endsWith('_dequantized')),
    ).toBe(true);
    const ops = await optimizedOps(convOnly.file);
    expect(count(ops, 'QLinearConv')).toBe(5);
    expect(ops).not.toContain('QGemm');
    expect(ops).toContain('Gemm');
  });

  it('--op-types MatMul takes a MatMul the pre-optimization made a Gemm of (with its Add), and Gemm alone does not', async () => {
    // buildMlp: fc1 is a Gemm of the model, fc2 a MatMul + Add, which onnxruntime fuses into `fc2_matmul/MatMulAddFusion`.
    // `--op-types MatMul` quantized nothing ("this model has none it can take") where inspect lists a MatMul.
    const mlpFeeds = () => feedsSource(Array.from({ length: 4 }, (_, i) => ({ input: randomOrtTensor([1, 16], 30 + i) })));
    const quantizedGemms = (q: Quantized) =>
      q.model.graph!.node.filter((n) => n.opType === 'Gemm' && n.input[1]!.endsWith('_dequantized')).map((n) => n.name);
    const matmul = await quantize(buildMlp({ batch: 1 }), mlpFeeds(), { common: { opTypes: ['MatMul'] } });
    expect(quantizedGemms(matmul)).toEqual(['fc2_matmul/MatMulAddFusion']);
    const gemm = await quantize(buildMlp({ batch: 1 }), mlpFeeds(), { common: { opTypes: ['Gemm'] } });
    expect(quantizedGemms(gemm)).toEqual(['fc1']);
    // A Gemm of the model's own that a model saved from onnxruntime named as a fusion is still a Gemm.
    const saved = buildMlp({ batch: 1 });
    saved.graph!.node.find((n) => n.name === 'fc1')!.name = 'fc1/MatMulAddFusion';
    const named = await quantize(saved, mlpFeeds(), { common: { opTypes: ['Gemm'] } });
    expect(quantizedGemms(named)).toEqual(['fc1/MatMulAddFusion']);
  });

  it('stops with CANCELLED between calibration samples and writes nothing', async () => {
    const controller = new AbortController();
    const output = path.join(tmp.dir, 'cancelled.onnx');
    const fp32 = path.join(tmp.dir, 'cancel-source.onnx');
    fs.writeFileSync(fp32, toBinary(ModelProtoSchema, buildConvNet()));
    const calibrated: number[] = [];
    const promise = quantizeModel({
      input: fp32,
      output,
      method: 'int8-static',
      calibration: feedsSource(convFeeds(30, 1)),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase !== 'calibrating') return;
        calibrated.push(p.done);
        if (p.done === 2) controller.abort();
      },
    });
    await expect(promise).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(calibrated).toEqual([1, 2]);
    expect(fs.existsSync(output)).toBe(false);
  });
});

describe('int8-static on other fixtures', () => {
  it('quantizes the MLP into QGemm kernels', async () => {
    const q = await quantize(buildMlp(), feedsSource(normalFeeds(32, [1, 16], 100)));
    const run = await optimizedOps(q.file);
    expect(count(run, 'QGemm')).toBe(2); // MatMul + Add became a Gemm in pre-optimization
    expect(run).not.toContain('Gemm');
    expect(run).not.toContain('MatMul');
    const f = await fidelity(q.fp32, q.file, normalFeeds(40, [4, 16], 500));
    expect(f.cosine).toBeGreaterThanOrEqual(0.98);
    expect(f.top1).toBeGreaterThanOrEqual(0.9);

    // Exclusions name the original nodes, even when pre-optimization fused them (MatMul + Add -> Gemm).
    const excluded = await quantize(buildMlp(), feedsSource(normalFeeds(8, [1, 16], 100)), {
      common: { excludeNodes: ['fc2_matmul'] },
    });
    expect(excluded.report.skippedNodes).toEqual([
      { name: 'fc2_matmul', opType: 'Gemm', reason: 'excluded by --exclude-nodes', option: '--exclude-nodes' },
    ]);
    expect(count(await optimizedOps(excluded.file), 'QGemm')).toBe(1);
  });

  it.each([true, false])(
    'quantizes weights held by Constant nodes (pre-optimization %s)',
    async (optimize) => {
      const model = buildConstantWeightModel();
      const q = await quantize(model, feedsSource(normalFeeds(16, [2, 8], 7)), { options: { optimize } });
      expect(q.report.quantizedNodes).toBeGreaterThanOrEqual(1);
      const graph = q.model.graph!;
      const weight = [
        ...graph.initializer,
        ...graph.node.flatMap((n) => n.attribute.map((a) => a.t).filter((t) => t !== undefined)),
      ].find((t) => t!.dataType === DT.INT8 && t!.dims.map(Number).join('x') === '8x4');
      expect(weight).toBeDefined();
      // The float weight is gone (a Constant node or initializer of 8x4 float32 would still be there otherwise).
      const floats = graph.node.filter(
        (n) =>
          n.opType === 'Constant' &&
          n.attribute.some((a) => a.t?.dataType === DT.FLOAT && a.t.dims.length === 2),
      );
      expect(floats).toHaveLength(0);
      expect(graph.initializer.some((t) => t.dataType === DT.FLOAT && t.dims.length === 2)).toBe(false);
      const run = await optimizedOps(q.file);
      expect(run.some((o) => o === 'QLinearMatMul' || o === 'MatMulIntegerToFloat' || o === 'QGemm')).toBe(
        true,
      );
      const f = await fidelity(q.fp32, q.file, normalFeeds(20, [2, 8], 70));
      expect(f.cosine).toBeGreaterThanOrEqual(0.98);
    },
  );

  it.each([true, false])('quantizes a sparse-initializer weight (pre-optimization %s)', async (optimize) => {
    const q = await quantize(buildSparseInitializerModel(), feedsSource(normalFeeds(16, [2, 8], 3)), {
      options: { optimize },
    });
    expect(q.report.quantizedNodes).toBeGreaterThanOrEqual(1);
    expect(q.model.graph!.sparseInitializer).toHaveLength(0);
    expect(
      q.model.graph!.initializer.some(
        (t) => t.dataType === DT.INT8 && t.dims.map(Number).join('x') === '8x6',
      ),
    ).toBe(true);
    expect((await fidelity(q.fp32, q.file, normalFeeds(10, [2, 8], 30))).cosine).toBeGreaterThanOrEqual(0.98);
  });

  it.each(['float16', 'bfloat16'] as const)(
    'quantizes %s weights stored before a Cast to float',
    async (weightDtype) => {
      const model = buildAttentionBlock({ batch: 1, seq: 8, weightDtype });
      const { inputs } = resolveInputSpecs(model);
      const q = await quantize(model, syntheticSource(inputs, { samples: 8, seed: 2 }), {
        options: { optimize: false },
      });
      const graph = q.model.graph!;
      const w = graph.initializer.find(
        (t) => t.name.startsWith('layer0.fc1.weight') && t.dataType === DT.INT8,
      )!;
      expect(w.dims.map(Number)).toEqual([64, 256]);
      // The half-precision source and its Cast are gone for every quantized weight.
      expect(graph.initializer.some((t) => t.name === 'layer0.fc1.weight')).toBe(false);
      const run = await optimizedOps(q.file);
      expect(run).not.toContain('MatMul');
      const feeds = normalFeeds(4, [1, 8, 64], 700);
      expect((await fidelity(q.fp32, q.file, feeds)).cosine).toBeGreaterThanOrEqual(0.98);
    },
  );

  it('says a model whose every compute node is in an If body (a merged decoder) gets nothing, and what to use', async () => {
    const model = buildIfModel();
    const graph = model.graph!;
    // The main graph's MatMul goes: the If reads the input itself, as Optimum's merged decoder does.
    graph.node = graph.node.filter((n) => n.name !== 'in_matmul');
    graph.node.unshift(makeNode('Identity', ['input'], ['hidden'], { name: 'pass' }));
    const cond = (index: number) => new ort.Tensor('bool', Uint8Array.of(index), []);
    const q = await quantize(
      model,
      {
        count: 2,
        describe: () => 'if',
        async *samples() {
          for (let index = 0; index < 2; index++)
            yield { index, inputs: { input: randomOrtTensor([1, 4], index), cond: cond(index) } };
        },
      },
      { options: { optimize: false } },
    );
    expect(q.report.quantizedNodes).toBe(0);
    const notes = q.report.notes.join('\n');
    expect(notes).toContain('Nothing was quantized: every node int8-static could take is inside an If, Loop or Scan body');
    expect(notes).toContain('or use int8-dynamic, int8-weight or int4, which quantize inside bodies');
  });

  it('reports MatMuls inside If branches as left in float', async () => {
    const q = await quantize(
      buildIfModel(),
      {
        count: 4,
        describe: () => 'if',
        async *samples() {
          for (let index = 0; index < 4; index++) {
            yield {
              index,
              inputs: {
                input: randomOrtTensor([1, 4], index),
                cond: new ort.Tensor('bool', Uint8Array.of(index % 2), []),
              },
            };
          }
        },
      },
      { options: { optimize: false } },
    );
    expect(q.report.skippedNodes).toEqual([
      { name: 'then_matmul', opType: 'MatMul', reason: expect.stringMatching(/inside a subgraph/) },
      { name: 'else_add', opType: 'Add', reason: expect.stringMatching(/inside a subgraph/) },
    ]);
    expect(q.report.quantizedNodes).toBe(1);
    const session = await createSession(q.file);
    const out = await session.run({
      input: randomOrtTensor([1, 4], 9),
      cond: new ort.Tensor('bool', Uint8Array.of(1), []),
    });
    expect(out.output!.dims).toEqual([1, 4]);
    await session.release();
  });

  it('fuses every MatMul of an attention block and leaves its LayerNorm/GELU arithmetic in float', async () => {
    const model = buildAttentionBlock({ batch: 1, seq: 8 });
    const { inputs } = resolveInputSpecs(model);
    const q = await quantize(model, syntheticSource(inputs, { samples: 8, seed: 3 }));
    const run = await optimizedOps(q.file);
    // 7 projections (QGemm after MatMul+Add fusion) and the two activation x activation MatMuls.
    expect(count(run, 'QGemm')).toBe(7);
    expect(count(run, 'QLinearMatMul') + count(run, 'MatMulIntegerToFloat')).toBe(2);
    expect(run).not.toContain('MatMul');
    expect(run).not.toContain('Gemm');
    // Adds and Muls whose inputs are float (GELU, LayerNorm, the QK^T scale) are not quantized.
    expect(run).not.toContain('QLinearMul');
    expect(run).toContain('Gelu');
    const feeds = normalFeeds(4, [1, 8, 64], 300);
    expect((await fidelity(q.fp32, q.file, feeds)).cosine).toBeGreaterThanOrEqual(0.98);
  });

  it('quantizes a weight shared by two MatMuls once', async () => {
    const model = buildSharedWeightAttention({ batch: 1, seq: 8 });
    const { inputs } = resolveInputSpecs(model);
    // Without pre-optimization: onnxruntime's common-subexpression elimination would merge the two
    // projections (same input, same weight) into one MatMul.
    const q = await quantize(model, syntheticSource(inputs, { samples: 8, seed: 1 }), {
      options: { optimize: false },
    });
    const graph = q.model.graph!;
    const quantized = graph.initializer.filter(
      (t) => t.name.startsWith('layer0.q_proj.weight') && t.dataType === DT.INT8 && t.dims.length === 2,
    );
    expect(quantized).toHaveLength(1);
    const readers = graph.node.filter(
      (n) => n.opType === 'DequantizeLinear' && n.input[0] === quantized[0]!.name,
    );
    expect(readers).toHaveLength(2);
    expect(graph.initializer.some((t) => t.name === 'layer0.q_proj.weight')).toBe(false);
    const run = await optimizedOps(q.file);
    expect(count(run, 'QLinearMatMul') + count(run, 'MatMulIntegerToFloat')).toBeGreaterThanOrEqual(8);
    expect(run).not.toContain('MatMul');
    const feeds = normalFeeds(6, [1, 8, 64], 900);
    const f = await fidelity(q.fp32, q.file, feeds);
    expect(f.cosine).toBeGreaterThanOrEqual(0.98);
  });
});

/** input [1, 3, 8, 8] -> Conv(4) -> Relu -> Softmax (opset < 13: over C*H*W) -> Squeeze(axes=[0]) -> [4, 8, 8]. */
function opset11SoftmaxModel(): ModelProto {
  const FLOAT = DT.FLOAT;
  const graph = create(GraphProtoSchema, {
    name: 'opset11',
    input: [makeValueInfo('input', FLOAT, [1, 3, 8, 8])],
    output: [makeValueInfo('output', FLOAT, [4, 8, 8])],
    initializer: [randomTensor('w', [4, 3, 3, 3], 3, 0.3), randomTensor('b', [4], 4, 0.1)],
    node: [
      makeNode('Conv', ['input', 'w', 'b'], ['conv'], {
        name: 'conv',
        attributes: { pads: { ints: [1, 1, 1, 1] } },
      }),
      makeNode('Relu', ['conv'], ['relu'], { name: 'relu' }),
      makeNode('Softmax', ['relu'], ['softmax'], { name: 'softmax' }),
      makeNode('Squeeze', ['softmax'], ['output'], { name: 'squeeze', attributes: { axes: { ints: [0] } } }),
    ],
  });
  return makeModel(graph, 11);
}

/**
 * input [1, 3, 8, 8] -> Conv -> Relu -> (Upsample x2 at opset 9 | Resize-10 x2 at opset 10) -> Conv -> `output`.
 * `scalesFrom: 'identity'` routes the Upsample scales through an Identity so they are not a constant.
 */
function upsampleModel(opset: 9 | 10, scalesFrom: 'constant' | 'identity' = 'constant'): ModelProto {
  const FLOAT = DT.FLOAT;
  const scales = scalesFrom === 'identity' ? 'scales_copy' : 'scales';
  const graph = create(GraphProtoSchema, {
    name: `upsample_opset${opset}`,
    input: [makeValueInfo('input', FLOAT, [1, 3, 8, 8])],
    output: [makeValueInfo('output', FLOAT, [1, 4, 16, 16])],
    initializer: [
      randomTensor('w1', [8, 3, 3, 3], 5, 0.3),
      randomTensor('w2', [4, 8, 3, 3], 6, 0.2),
      randomTensor('b2', [4], 7, 0.1),
      makeFloatTensor('scales', [4], [1, 1, 2, 2]),
    ],
    node: [
      ...(scalesFrom === 'identity'
        ? [makeNode('Identity', ['scales'], ['scales_copy'], { name: 'copy' })]
        : []),
      makeNode('Conv', ['input', 'w1'], ['c1'], {
        name: 'conv1',
        attributes: { pads: { ints: [1, 1, 1, 1] } },
      }),
      makeNode('Relu', ['c1'], ['r1'], { name: 'relu1' }),
      makeNode(opset === 9 ? 'Upsample' : 'Resize', ['r1', scales], ['up'], { name: 'up' }),
      makeNode('Conv', ['up', 'w2', 'b2'], ['output'], {
        name: 'conv2',
        attributes: { pads: { ints: [1, 1, 1, 1] } },
      }),
    ],
  });
  return makeModel(graph, opset);
}

describe('int8-static on the MobileNetV3-style detector', () => {
  const size = 64;
  const images = (count: number, seed: number): Record<string, ort.Tensor>[] =>
    detectorSamples(count, size, size, seed).map((d) => ({
      image: new ort.Tensor('float32', d, [1, 3, size, size]),
    }));

  it('runs its upsampling in 8 bits (Expand, pixel shuffle), keeps the stem float, and stays close to float32', async () => {
    const q = await quantize(buildTextDetector(), feedsSource(images(4, 77)), {
      options: { quantizeInputConv: false },
    });
    const notes = q.report.notes.join('\n');
    expect(notes).toMatch(/1 BatchNormalization folded into the ConvTranspose/);
    expect(notes).not.toMatch(/median channel's range/); // no outlier channels without fpnOutlierScale
    expect(notes).toMatch(/6 nearest Resizes as Expand, 2 ConvTransposes as a 1x1 Conv \+ pixel shuffle/);
    // Only the stem is reported: the rewrites' shape arithmetic (int64 Mul) was never a candidate.
    expect(q.report.skippedNodes.map((s) => s.name)).toEqual(['stem']);
    expect(q.report.skippedNodes.find((s) => s.name === 'stem')!.reason).toMatch(/3 channels/);
    const run = await optimizedOps(q.file);
    expect(run).not.toContain('Resize');
    expect(run).not.toContain('ConvTranspose');
    expect(run).not.toContain('BatchNormalization');
    expect(count(run, 'Conv') + count(run, 'FusedConv')).toBe(1); // the stem
    expect(count(run, 'Expand')).toBe(6);
    // The FPN Concat's inputs carry its own scale (QLinearConcat copies bytes instead of requantizing).
    const nodes = q.model.graph!.node;
    const concat = nodes.find((n) => n.name === 'fpn.concat')!;
    const scaleOf = (dq: string) => nodes.find((n) => n.output[0] === dq)!.input[1];
    const outQ = nodes.find((n) => n.opType === 'QuantizeLinear' && n.input[0] === concat.output[0])!;
    expect(concat.input.map(scaleOf)).toEqual(concat.input.map(() => outQ.input[1]));
    expect((await fidelity(q.fp32, q.file, images(3, 1234))).cosine).toBeGreaterThanOrEqual(0.97);

    const all = await quantize(buildTextDetector(), feedsSource(images(4, 77)), {
      options: { quantizeInputConv: true },
    });

    expect(all.report.skippedNodes.map((s) => s.name)).not.toContain('stem');
    const allRun = await optimizedOps(all.file);
    expect(count(allRun, 'Conv') + count(allRun, 'FusedConv')).toBe(0);
  });

  it('with equalize, recovers what FPN outlier channels cost 8-bit activations', async () => {
    const model = buildTextDetector({ fpnOutlierScale: 20 });
    const plain = await quantize(model, feedsSource(images(4, 77)));
    // Without --equalize, the outliers are pointed out with the remedy.
    expect(plain.report.notes.join('\n')).toMatch(/up to \d+x the median channel's range.*--equalize/);
    // minmax sees them too, from per-channel reductions in its own calibration run.
    const minmax = await quantize(model, feedsSource(images(4, 77)), { options: { calibMethod: 'minmax' } });
    expect(minmax.report.notes.join('\n')).toMatch(/up to \d+x the median channel's range over 4 calibration samples/);
    const equalized = await quantize(model, feedsSource(images(4, 77)), { options: { equalize: true } });
    expect(equalized.report.notes.join('\n')).toMatch(/Activation channels equalized in \d+ groups/);
    expect(equalized.report.notes.join('\n')).not.toMatch(/median channel's range/);
    const test = images(3, 1234);
    const before = await fidelity(plain.fp32, plain.file, test);
    const after = await fidelity(equalized.fp32, equalized.file, test);
    // 0.978 -> 0.987 at 64x64 (bench:tune's 320x320 case: 0.977 -> 0.995).
    expect(after.cosine).toBeGreaterThan(before.cosine + 0.005);
  });
});

describe('int8-static on old opsets', () => {
  it('raises an opset-11 model to 13 when every op means the same there', async () => {
    const q = await quantize(buildConvNet({ opset: 11 }), feedsSource(convFeeds(16, 3)));
    expect(q.report.notes.join('\n')).toMatch(/opset raised from 11 to 13/);
    expect(Number(q.model.opsetImport.find((o) => o.domain === '')!.version)).toBe(13);
    const run = await optimizedOps(q.file);
    expect(count(run, 'QLinearConv')).toBe(5);
    expect((await fidelity(q.fp32, q.file, convFeeds(20, 9))).cosine).toBeGreaterThanOrEqual(0.98);
  });

  it('converts ops whose meaning changed at 13 (Softmax over flattened axes, Squeeze axes) when raising', async () => {
    const model = opset11SoftmaxModel();
    const q = await quantize(model, feedsSource(normalFeeds(16, [1, 3, 8, 8], 11)));
    expect(q.report.notes.join('\n')).toMatch(/converted to their opset-13 form: Softmax, Squeeze/);
    const ops = q.model.graph!.node.map((n) => n.opType);
    expect(ops).toEqual(expect.arrayContaining(['Flatten', 'Softmax', 'Reshape', 'Squeeze']));
    expect(count(await optimizedOps(q.file), 'QLinearConv')).toBe(1);
    // Softmax over C*H*W (the opset-11 meaning) is kept: outputs agree with the float model.
    expect((await fidelity(q.fp32, q.file, normalFeeds(10, [1, 3, 8, 8], 31))).cosine).toBeGreaterThanOrEqual(
      0.98,
    );
  });

  it('raises opset 9 with Upsample to 13 by converting the Upsample to an equivalent Resize', async () => {
    const q = await quantize(upsampleModel(9), feedsSource(normalFeeds(16, [1, 3, 8, 8], 21)));
    expect(q.report.notes.join('\n')).toMatch(/opset raised from 9 to 13.*Upsample/);
    // The Resize (nearest x2 between two quantized convs) is then written channels-last as an Expand.
    expect(q.report.notes.join('\n')).toMatch(/1 nearest Resize as Expand/);
    expect(q.model.graph!.node.map((n) => n.opType)).not.toContain('Resize');
    const run = await optimizedOps(q.file);
    expect(count(run, 'QLinearConv')).toBe(2);
    // The Expand runs on uint8 between the two QLinearConvs; the only DequantizeLinear makes the graph output float.
    expect(count(run, 'DequantizeLinear')).toBe(1);
    expect(count(run, 'QuantizeLinear')).toBe(1);
    expect(run).toContain('Expand');
    // The rewrite's channels-last Transposes cancelled against the layout transformer's: only the two at the
    // edges of the 8-bit region remain.
    expect(count(run, 'Transpose')).toBe(2);
    expect((await fidelity(q.fp32, q.file, normalFeeds(10, [1, 3, 8, 8], 41))).cosine).toBeGreaterThanOrEqual(
      0.98,
    );
  });

  it('keeps an opset that cannot be raised and emits per-channel Q/DQ in the com.microsoft domain, which onnxruntime fuses', async () => {
    // Resize-10 is not converted to opset 13: the model stays at 10.
    const q = await quantize(upsampleModel(10), feedsSource(normalFeeds(16, [1, 3, 8, 8], 21)));
    expect(q.report.notes.join('\n')).toMatch(/Opset 10 kept \(Resize cannot be moved to opset 13\)/);
    expect(Number(q.model.opsetImport.find((o) => o.domain === '')!.version)).toBe(10);
    expect(q.model.opsetImport.some((o) => o.domain === 'com.microsoft')).toBe(true);
    const perAxis = q.model.graph!.node.filter(
      (n) => n.opType === 'DequantizeLinear' && n.attribute.some((a) => a.name === 'axis'),
    );
    expect(perAxis.length).toBeGreaterThan(0);
    expect(perAxis.every((n) => n.domain === 'com.microsoft')).toBe(true);
    const perTensor = q.model.graph!.node.filter((n) => n.opType === 'QuantizeLinear');
    expect(perTensor.every((n) => n.domain === '')).toBe(true);
    const run = await optimizedOps(q.file);
    expect(count(run, 'QLinearConv')).toBe(2);
    expect(run).not.toContain('Conv');
    expect((await fidelity(q.fp32, q.file, normalFeeds(10, [1, 3, 8, 8], 41))).cosine).toBeGreaterThanOrEqual(
      0.98,
    );
  });

  it('at opset 9 that cannot be raised, leaves Conv in float (QLinearConv needs opset 10) and says so', async () => {
    const q = await quantize(upsampleModel(9, 'identity'), feedsSource(normalFeeds(8, [1, 3, 8, 8], 21)), {
      options: { optimize: false },
    });
    expect(q.report.notes.join('\n')).toMatch(/Opset 9 kept/);
    expect(q.report.skippedNodes.map((s) => s.name).sort()).toEqual(['conv1', 'conv2']);
    expect(q.report.skippedNodes[0]!.reason).toMatch(/need opset 10/);
    const run = await optimizedOps(q.file);
    expect(run).not.toContain('QLinearConv');
    expect((await fidelity(q.fp32, q.file, normalFeeds(5, [1, 3, 8, 8], 41))).cosine).toBeGreaterThan(0.999);
  });
});

const DIGITS = fileURLToPath(new URL('../../testing/fixtures/digits/', import.meta.url));

describe.runIf(fs.existsSync(path.join(DIGITS, 'digits.onnx')))(
  'int8-static on the trained digits classifier',
  () => {
    it('loses no more than 1 point of accuracy on the held-out split', async () => {
      const { openDataset } = await import('../../datasets/open-dataset.js');
      const { loadModel } = await import('../../onnx/load-model.js');
      const loaded = await loadModel(path.join(DIGITS, 'digits.onnx'));
      const { inputs } = resolveInputSpecs(loaded.proto);
      const spec = {
        kind: 'npy' as const,
        path: path.join(DIGITS, 'test-inputs.npy'),
        labels: path.join(DIGITS, 'test-labels.npy'),
      };
      // Calibrate on the first 100 held-out images (the fixture ships no training split).
      const calibration = await openDataset(spec, inputs, { limit: 100 });
      const q = await quantize(loaded.proto, calibration);
      expect(q.report.quantizedNodes).toBeGreaterThan(0);
      expect(await optimizedOps(q.file)).toEqual(expect.arrayContaining(['QLinearConv']));

      const accuracy = async (file: string): Promise<number> => {
        const session = await createSession(file, { intraOpThreads: 1 });
        let correct = 0;
        let total = 0;
        try {
          for await (const sample of (await openDataset(spec, inputs)).samples()) {
            const logits = (await session.run(sample.inputs))[session.outputNames[0]!]!.data as Float32Array;
            const predicted = logits.indexOf(Math.max(...logits));
            if (predicted === sample.label) correct++;
            total++;
          }
        } finally {
          await session.release();
        }
        expect(total).toBe(360);
        return correct / total;
      };
      const fp32 = await accuracy(q.fp32);
      const int8 = await accuracy(q.file);
      expect(fp32).toBeGreaterThan(0.95);
      expect(int8).toBeGreaterThanOrEqual(fp32 - 0.01);
    });
  },
);
