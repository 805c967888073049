/**
 * The diff of an fp16 model (float16 weights, a graph that computes in float16) against its int8-static variant:
 * onnxruntime's optimizations, which int8-static runs and saves before quantizing, put the float16 nodes the CPU
 * has no float16 kernel for between Casts to float32 (`InsertedPrecisionFreeCast_...`). Those nodes read as
 * float32 nodes left alone (`kept`, `float32`, never listed as changed). Each precision the diff gives is checked
 * against what onnxruntime runs: the input types of its kernels, from its profile.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colorDistance, MIN_SERIES_DISTANCE } from '../../../shared/chart-colors.js';
import {
  ADDED_COLOR,
  CHANGE_COLORS,
  changeOverlay,
  PRECISION_COLORS,
  PRUNED_COLOR,
  precisionOverlay,
  UPCAST_COLOR,
  variantChangeOverlay,
  variantPrecisionOverlay,
} from '../../../renderer/src/graph/overlays.js';
import type { ModelDiff } from '../../../shared/model-diff.js';
import { nodeChanged } from '../../../shared/node-precision.js';
import { readTraceEvents } from '../bench/profile-trace.js';
import { modelGraph } from '../inspect/model-graph.js';
import { float32ArrayToFloat16 } from '../onnx/float16.js';
import { saveModel } from '../onnx/save-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { createSession } from '../runtime/create-session.js';
import { feedsSource } from '../testing/feeds-source.js';
import { buildCnn, randomFloats } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModels } from './diff-models.js';

const DIMS = [1, 3, 16, 16];

/** A seeded sample for the fp16 CNN, whose input is float16 (keepIoTypes off) or float32. */
const sample = (seed: number, half: boolean): Record<string, ort.Tensor> => {
  const values = randomFloats(3 * 16 * 16, seed);
  return {
    input: half
      ? new ort.Tensor('float16', float32ArrayToFloat16(values), DIMS)
      : new ort.Tensor('float32', values, DIMS),
  };
};

interface Kernel {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}

/** The kernels onnxruntime ran for one sample, at an optimization level, with their element types. */
async function kernels(model: string, level: 'basic' | 'all', half: boolean): Promise<Kernel[]> {
  const prefix = path.join(tmp.dir, `trace-${path.basename(model)}-${level}`);
  const session = await createSession(model, {
    enableProfiling: true,
    profileFilePrefix: prefix,
    graphOptimizationLevel: level,
    intraOpThreads: 1,
  });
  await session.run(sample(7, half));
  session.endProfiling();
  await session.release();
  const dir = path.dirname(prefix);
  const file = fs.readdirSync(dir).find((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.json'))!;
  const types = (shapes: unknown) =>
    Array.isArray(shapes) ? shapes.flatMap((s: Record<string, unknown>) => Object.keys(s)) : [];
  const out: Kernel[] = [];
  for await (const e of readTraceEvents(path.join(dir, file))) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
    out.push({
      name: e.name.slice(0, -'_kernel_time'.length),
      opType: String(e.args?.op_name),
      inputs: types(e.args?.input_type_shape),
      outputs: types(e.args?.output_type_shape),
    });
  }
  return out;
}

let tmp: ReturnType<typeof makeTempDir>;
/** By fp16 flavour: the fp16 model, its int8-static variant, and their diff. */
const made: Record<'half' | 'keepIo', { half: string; int8: string; diff: ModelDiff }> = {} as never;

beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-diff-upcast-');
  const source = path.join(tmp.dir, 'cnn.onnx');
  await saveModel(buildCnn(), source);
  for (const [flavour, keepIoTypes] of [
    ['half', false],
    ['keepIo', true],
  ] as const) {
    const half = path.join(tmp.dir, `cnn.${flavour}.fp16.onnx`);
    const int8 = path.join(tmp.dir, `cnn.${flavour}.fp16.int8-static.onnx`);
    await quantizeModel({ input: source, output: half, method: 'fp16', options: { keepIoTypes } });
    const feeds = [1, 2, 3].map((seed) => sample(seed, !keepIoTypes));
    await quantizeModel({
      input: half,
      output: int8,
      method: 'int8-static',
      calibration: feedsSource(feeds),
    });
    made[flavour] = { half, int8, diff: await diffModels(half, int8) };
  }
});
afterAll(() => tmp.cleanup());

const row = (d: ModelDiff, name: string) => d.nodes.list.find((r) => r.name === name)!;

describe('diff of an fp16 model and its int8-static variant', () => {
  it('reports the nodes onnxruntime moved from float16 to float32 as upcast, and lists them as changed', () => {
    const d = made.half.diff;
    for (const name of ['conv1', 'relu1'])
      expect(row(d, name)).toMatchObject({
        change: 'kept',
        originalPrecision: 'float16',
        precision: 'float32',
        upcast: true,
      });
    expect(d.nodes.upcast).toBe(2);
    // Quantized nodes went from float16 to int8: changed too, not upcast.
    expect(row(d, 'conv2')).toMatchObject({ originalPrecision: 'float16', precision: 'int8' });
    expect(row(d, 'conv2').upcast).toBeUndefined();
    expect(d.nodes.list.filter(nodeChanged).map((r) => r.name)).toEqual([
      'conv1',
      'relu1',
      'pool1',
      'conv2',
      'relu2',
      'gap',
      'flatten',
      'fc',
    ]);
    expect(d.notes).toContainEqual(
      expect.stringMatching(
        /^2 nodes that computed in float16 compute in float32 in the variant \(conv1, relu1\): onnxruntime's CPU provider has no float16 kernel for them, .*InsertedPrecisionFreeCast_.*on a GPU the original computes them in float16, the variant in float32\.$/,
      ),
    );
  });

  it('matches what onnxruntime runs: the upcast nodes on float32, the MaxPool before a QuantizeLinear on uint8', async () => {
    const d = made.half.diff;
    // As saved (basic level keeps the names): the upcast nodes' kernels read float32, nothing runs on float16
    // but the Cast of the float16 input; onnxruntime does the same to the original on this CPU.
    for (const model of [made.half.int8, made.half.half]) {
      const ran = await kernels(model, 'basic', true);
      for (const name of ['conv1', 'relu1'])
        expect(ran.find((k) => k.name === name)?.inputs[0], `${name} of ${path.basename(model)}`).toBe(
          'float',
        );
      const onHalf = ran.filter((k) => k.inputs.includes('float16'));
      expect(onHalf.length).toBeGreaterThan(0);
      expect(onHalf.every((k) => k.opType === 'Cast')).toBe(true);
    }
    // Fully optimized: the nodes the diff calls int8 run as int8 kernels (the MaxPool on uint8 once onnxruntime
    // moved the QuantizeLinear after it above it); the one float Conv is conv1's.
    const ran = await kernels(made.half.int8, 'all', true);
    expect(row(d, 'pool1').precision).toBe('int8');
    expect(ran.find((k) => k.opType === 'MaxPool')?.inputs[0]).toBe('uint8');
    expect(ran.map((k) => k.opType)).toEqual(
      expect.arrayContaining(['QLinearConv', 'QLinearGlobalAveragePool', 'QGemm']),
    );
    expect(ran.filter((k) => k.opType === 'Conv').map((k) => k.inputs)).toEqual([
      ['float', 'float', 'float'],
    ]);
    expect(ran.every((k) => k.opType === 'Cast' || !k.inputs.includes('float16'))).toBe(true);
  });

  it("gives a Cast the precision it produces: the output Cast to float32 that fp16 keeps is float32, not 'other'", async () => {
    const d = made.keepIo.diff;
    expect(row(d, 'logits_Cast')).toMatchObject({
      change: 'kept',
      originalPrecision: 'float32',
      precision: 'float32',
    });
    expect(nodeChanged(row(d, 'logits_Cast'))).toBe(false);
    // The Cast of the float32 input to float16 is gone, conv1 reads the input as it is: removed, not fused into
    // conv1 (which took none of its work, and then showed on the variant's graph as such, not as upcast).
    expect(row(d, 'input_fp16_Cast')).toMatchObject({ change: 'removed', originalPrecision: 'float16' });
    expect(d.nodes.byPrecision.other).toBe(0);
    // onnxruntime's kernel of that Cast writes float32.
    const ran = await kernels(made.keepIo.int8, 'basic', false);
    expect(ran.find((k) => k.name === 'logits_Cast')?.outputs).toEqual(['float']);
    // The same upcast nodes as without the float16 interface.
    expect(d.nodes.list.filter((r) => r.upcast).map((r) => r.name)).toEqual(['conv1', 'relu1']);
  });
});

describe("the Graph view's diff of an fp16 model and its int8-static variant", () => {
  // The diff table's rows are in renderer/src/graph/diff-table.test.tsx.
  it('colours the upcast nodes apart from those left alone, on both graphs', async () => {
    const diff = { ...made.half.diff, skippedNodes: [] };
    const original = (await modelGraph(made.half.half)).graph;
    const variant = (await modelGraph(made.half.int8)).graph;
    const idOf = (graph: typeof original, name: string) => graph.nodes.find((n) => n.name === name)!.id;
    const change = changeOverlay(diff, original);
    for (const name of ['conv1', 'relu1'])
      expect(change.marks.get(idOf(original, name))).toEqual({
        color: UPCAST_COLOR,
        text: 'kept, upcast: float16 → float32',
      });
    expect(change.legend.map((l) => l.text)).toEqual([
      'kept (5)',
      'kept, upcast to float32 (2)',
      'replaced (0)',
      'fused (1)',
      'removed (0)',
    ]);
    expect(precisionOverlay(diff).marks.get(idOf(original, 'conv1'))).toEqual({
      color: PRECISION_COLORS.float32,
      text: 'float32, was float16 (upcast)',
    });
    // On the variant's own graph: the same nodes, and onnxruntime's Casts as what they produce.
    const onVariant = variantChangeOverlay(variant, diff);
    expect(onVariant.marks.get(idOf(variant, 'relu1'))?.color).toBe(UPCAST_COLOR);
    expect(onVariant.legend[1]).toEqual({ color: UPCAST_COLOR, text: 'kept, upcast to float32 (2)' });
    const precision = variantPrecisionOverlay(variant, diff);
    expect(precision.marks.get(idOf(variant, 'InsertedPrecisionFreeCast_input'))).toEqual({
      color: PRECISION_COLORS.float32,
      text: 'cast to float32, added by the variant',
    });
  });

  it('gives upcast nodes a colour apart from every other change, pruned and added nodes', () => {
    for (const color of [...Object.values(CHANGE_COLORS), PRUNED_COLOR, ADDED_COLOR])
      expect(colorDistance(UPCAST_COLOR, color), color).toBeGreaterThanOrEqual(MIN_SERIES_DISTANCE);
  });
});
