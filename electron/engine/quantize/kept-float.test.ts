/**
 * What `onnx-studio explain` knows of why a variant's nodes stayed float: read back from the variant's recipe
 * with the quantizer's own rules, it agrees with the quantize report, and the advice names the real cause.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainProfiles } from '../../../shared/explain.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { buildConvNet, convNetInputShape, convNetSamples } from '../testing/conv-fixtures.js';
import { feedsSource } from '../testing/feeds-source.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { recordedSteps } from '../recipe/recorded-steps.js';
import { keptFloatByOptions } from './kept-float.js';
import { quantizeModel } from './quantize-model.js';
import './all-methods.js';

let tmp: ReturnType<typeof makeTempDir>;
let original: string;
beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-kept-float-');
  original = path.join(tmp.dir, 'conv.onnx');
  await saveModel(buildConvNet(), original);
});
afterAll(() => tmp.cleanup());

/** An int8-static variant of the conv net (its stem Conv reads the 3-channel input), and its report. */
async function int8Static(
  label: string,
  options: Record<string, unknown>,
  common: Record<string, unknown> = {},
) {
  const output = path.join(tmp.dir, `conv.${label}.onnx`);
  const shape = [1, ...convNetInputShape()];
  const feeds = convNetSamples(8, { seed: 3 }).map((x) => ({ input: new ort.Tensor('float32', x, shape) }));
  const report = await quantizeModel({
    input: original,
    output,
    method: 'int8-static',
    calibration: feedsSource(feeds),
    options,
    common,
  });
  return { report, kept: keptFloatByOptions((await loadModel(output)).proto) };
}

/** A profile of the variant where the float Conv takes most of the time, as an image model's stem can. */
const profiled = (skippedNodes?: Parameters<typeof explainProfiles>[0]['skippedNodes']) =>
  explainProfiles({
    original: { p50Ms: 2, byOpType: [{ opType: 'Conv', ms: 2, pct: 100 }] },
    variant: {
      p50Ms: 1.9,
      byOpType: [
        { opType: 'FusedConv', ms: 0.8, pct: 0 },
        { opType: 'QLinearConv', ms: 0.9, pct: 0 },
        { opType: 'QuantizeLinear', ms: 0.1, pct: 0 },
      ],
    },
    int8: { instructions: ['AVX-512 VNNI'], fast: true, source: 'test' },
    ...(skippedNodes ? { skippedNodes } : {}),
  }).advice.join('\n');

describe('keptFloatByOptions', () => {
  it("finds the stem Conv int8-static's input-conv rule kept float, as the quantize report says", async () => {
    const { report, kept } = await int8Static('default', {});
    const stem = {
      name: 'stem.conv',
      opType: 'Conv',
      reason: expect.stringMatching(/reads the model's float input with 3 channels.*--quantize-input-conv/),
      option: '--quantize-input-conv',
    };
    expect(report.skippedNodes).toEqual([stem]);
    expect(kept).toEqual(report.skippedNodes);
    // The advice names that cause and its flag, not the exclude-nodes option nobody used.
    const advice = profiled(kept);
    expect(advice).toMatch(/FusedConv stays in float: 44% of run time/);
    expect(advice).toMatch(/Conv 'stem\.conv' stays float: it reads the model's float input with 3 channels/);
    expect(advice).toMatch(/--quantize-input-conv quantizes it anyway/);
    expect(advice).not.toMatch(/exclude/i);
  }, 60_000);

  it('finds an excluded Conv, and none kept by the rule once --quantize-input-conv is given', async () => {
    const { report, kept } = await int8Static(
      'excluded',
      { quantizeInputConv: true },
      { excludeNodes: ['block1.conv1'] },
    );
    const excluded = {
      name: 'block1.conv1',
      opType: 'Conv',
      reason: 'excluded by --exclude-nodes',
      option: '--exclude-nodes',
    };
    expect(report.skippedNodes).toEqual([excluded]);
    expect(kept).toEqual([excluded]);
    expect(recordedSteps((await loadModel(report.output)).proto).at(-1)).toMatchObject({
      kind: 'quantize',
      method: 'int8-static',
    });
    expect(profiled(kept)).toMatch(/Conv 'block1\.conv1' stays float: excluded by --exclude-nodes\./);
  }, 60_000);

  it('knows nothing of a model without a recorded quantization, and the advice says so generically', async () => {
    expect(keptFloatByOptions((await loadModel(original)).proto)).toBeUndefined();
    expect(recordedSteps((await loadModel(original)).proto)).toEqual([]);
    expect(profiled()).toMatch(/"exclude nodes" option, or a quantizer that covers these ops/);
    // Known, and no option involved: only the quantizer's coverage is left to change.
    expect(profiled([])).toMatch(
      /keeping fewer ops in float \(a quantizer that covers these ops\) removes both/,
    );
    expect(profiled([])).not.toMatch(/exclude/i);
  });
});
