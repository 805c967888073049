import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { TensorProto_DataType as DT, type NodeProto } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { feedsSource } from '../testing/feeds-source.js';
import { makeGraph, makeModel, modelBytes, randomFloats } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { analyzeSensitivity } from './sensitivity.js';

const tmp = makeTempDir('onnx-studio-sensitivity-');
afterAll(() => tmp.cleanup());

/** Four 3x3 Conv + Relu layers of 8 channels on [1, 8, 512, 512]: 8 MiB per activation. */
function convChain(file: string): void {
  const nodes: NodeProto[] = [];
  const initializers = [];
  let x = 'image';
  for (let i = 0; i < 4; i++) {
    initializers.push(makeFloatTensor(`w${i}`, [8, 8, 3, 3], randomFloats(8 * 8 * 9, 40 + i, 0.3)));
    initializers.push(makeFloatTensor(`b${i}`, [8], randomFloats(8, 50 + i, 0.05)));
    nodes.push(
      makeNode('Conv', [x, `w${i}`, `b${i}`], [`conv${i}`], {
        name: `conv${i}`,
        attributes: { pads: { ints: [1, 1, 1, 1] } },
      }),
    );
    nodes.push(makeNode('Relu', [`conv${i}`], [`act${i}`], { name: `relu${i}` }));
    x = `act${i}`;
  }
  const graph = makeGraph('chain', {
    inputs: [makeValueInfo('image', DT.FLOAT, [1, 8, 512, 512])],
    outputs: [makeValueInfo(x, DT.FLOAT, [1, 8, 512, 512])],
    initializers,
    nodes,
  });
  fs.writeFileSync(file, modelBytes(makeModel(graph)));
}

describe('analyzeSensitivity under a memory budget', () => {
  it('measures in several passes when the exposed activations do not fit, with the same figures as one pass', async () => {
    const model = path.join(tmp.dir, 'chain.onnx');
    convChain(model);
    const samples = [1, 2].map((seed) => ({
      image: new ort.Tensor('float32', randomFloats(8 * 512 * 512, seed), [1, 8, 512, 512]),
    }));
    const run = (maxMemory: string) =>
      analyzeSensitivity({
        modelPath: model,
        calibration: feedsSource(samples),
        options: { calibMethod: 'minmax', maxMemory, quantizeInputConv: true },
      });
    const whole = await run('64G');
    // 64 MiB leaves 32 MiB for exposed activations; the input and the four Relu outputs (8 MiB each) count
    // twice, once per model: 80 MiB, more than one pass.
    const tight = await run('64M');
    expect(whole.notes.join('\n')).not.toMatch(/passes over the data/);
    expect(tight.notes.join('\n')).toMatch(/measured in \d+ passes over the data/);
    expect(tight.rows).toEqual(whole.rows);
    expect(tight.outputs).toEqual(whole.outputs);
    expect(tight.samples).toBe(2);
    expect(whole.rows.some((r) => r.sqnrDb !== null)).toBe(true);
  }, 60_000);
});
