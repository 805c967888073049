import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType as DT } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cloneProto } from '../../onnx/clone-proto.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { buildTextDetector, detectorSamples } from '../../testing/detector-fixture.js';
import { feedsSource } from '../../testing/feeds-source.js';
import { makeGraph, makeModel } from '../../testing/model-fixtures.js';
import { findChannelGroups } from './channel-groups.js';
import { calibrateModel } from '../calibrate/calibrate.js';
import { ChannelSpreadMeter, equalizeActivationChannels } from './equalize-channels.js';

const SIZE = 64;

function images(count: number, seed: number): Float32Array[] {
  return detectorSamples(count, SIZE, SIZE, seed);
}

function source(data: Float32Array[]) {
  return feedsSource(data.map((d) => ({ image: new ort.Tensor('float32', d, [1, 3, SIZE, SIZE]) })));
}

async function outputs(
  model: ReturnType<typeof buildTextDetector>,
  data: Float32Array[],
): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, model));
  try {
    const out: Float32Array[] = [];
    for (const d of data) {
      const r = await session.run({ image: new ort.Tensor('float32', d, [1, 3, SIZE, SIZE]) });
      out.push(r.prob!.data as Float32Array);
    }
    return out;
  } finally {
    await session.release();
  }
}

describe('findChannelGroups', () => {
  it("finds the detector's FPN: four laterals writing it, four smoothing convs reading it, through Adds and Resizes", () => {
    const groups = findChannelGroups(buildTextDetector().graph!);
    const fpn = groups.find((g) => g.tensors.includes('fpn.add2.out'));
    expect(fpn).toBeDefined();
    expect(fpn!.channels).toBe(64);
    expect(fpn!.producers.map((n) => n.name).sort()).toEqual(['fpn.in2', 'fpn.in3', 'fpn.in4', 'fpn.in5']);
    expect(fpn!.consumers.map((n) => n.name).sort()).toEqual(['fpn.p2', 'fpn.p3', 'fpn.p4', 'fpn.p5']);
    // The smoothing convs' outputs go through Resizes into a Concat: not a group.
    expect(groups.some((g) => g.tensors.includes('fpn.p2.out'))).toBe(false);
  });

  it('leaves activations that something other than a convolution reads', () => {
    const conv = (name: string, input: string, out: string) =>
      makeNode('Conv', [input, `${name}.w`], [out], { name, attributes: { kernel_shape: { ints: [1, 1] } } });
    const weights = ['a', 'b'].map((n) =>
      makeFloatTensor(`${n}.w`, [4, 4, 1, 1], new Float32Array(16).fill(0.5)),
    );
    const graph = (extra: 'output' | 'sigmoid' | 'none') =>
      makeGraph('g', {
        nodes: [
          conv('a', 'x', 'h'),
          makeNode('Relu', ['h'], ['r']),
          conv('b', 'r', 'y'),
          ...(extra === 'sigmoid' ? [makeNode('Sigmoid', ['r'], ['s'])] : []),
        ],
        inputs: [makeValueInfo('x', DT.FLOAT, [1, 4, 3, 3])],
        outputs: [
          makeValueInfo('y', DT.FLOAT),
          ...(extra === 'output' ? [makeValueInfo('r', DT.FLOAT)] : []),
          ...(extra === 'sigmoid' ? [makeValueInfo('s', DT.FLOAT)] : []),
        ],
        initializers: weights,
      });
    expect(findChannelGroups(graph('none')).map((g) => g.tensors)).toEqual([['h', 'r']]);
    expect(findChannelGroups(graph('output'))).toEqual([]);
    expect(findChannelGroups(graph('sigmoid'))).toEqual([]);
  });
});

describe('equalizeActivationChannels', () => {
  it('balances FPN outlier channels and leaves the float model computing the same', async () => {
    const model = makeModel(buildTextDetector({ fpnOutlierScale: 20 }).graph!, 17);
    const before = cloneProto(ModelProtoSchema, model);
    const result = await equalizeActivationChannels(model, source(images(4, 22)));
    expect(result.groups).toBeGreaterThan(0);
    expect(result.spreadBefore).toBeGreaterThan(15);
    expect(result.spreadAfter).toBeLessThan(result.spreadBefore / 3);
    const data = images(2, 5);
    const [a, b] = [await outputs(before, data), await outputs(model, data)];
    for (let i = 0; i < a.length; i++) {
      let worst = 0;
      for (let j = 0; j < a[i]!.length; j++) worst = Math.max(worst, Math.abs(a[i]![j]! - b[i]![j]!));
      expect(worst).toBeLessThan(1e-4);
    }
  });
});

describe('ChannelSpreadMeter', () => {
  it.each([17, 18])(
    'measures one spread from whole activations (histogram calibration) and from per-channel extremes (minmax), opset %i',
    async (opset) => {
      const model = makeModel(buildTextDetector({ fpnOutlierScale: 20 }).graph!, opset);
      const data = images(2, 22);
      const groups = findChannelGroups(model.graph!);
      const members = [...new Set(groups.flatMap((g) => g.tensors))];
      const fromValues = new ChannelSpreadMeter(groups);
      const fromExtremes = new ChannelSpreadMeter(groups);
      expect(fromValues.spread()).toBe(1);
      await calibrateModel(model, members, source(data), { method: 'percentile', channels: fromValues });
      const perChannel = await calibrateModel(model, members, source(data), {
        method: 'minmax',
        channels: fromExtremes,
      });
      const whole = await calibrateModel(model, members, source(data), { method: 'minmax' });
      expect(fromValues.spread()).toBeGreaterThan(15);
      expect(fromExtremes.spread()).toBeCloseTo(fromValues.spread(), 3);
      // Reduced per channel, then over the channels: the same tensor ranges as reduced whole.
      expect(perChannel.ranges).toEqual(whole.ranges);
    },
  );
});
