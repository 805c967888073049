import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType as DT, type NodeProto } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { buildOcrLineNet } from '../testing/conv-fixtures.js';
import { feedsSource, randomOrtTensor } from '../testing/feeds-source.js';
import { makeGraph, makeModel, modelBytes, randomTensor } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { StudioError } from '../errors.js';
import { quantizeModel } from './quantize-model.js';
import { analyzeSensitivity } from './sensitivity.js';
import './all-methods.js';

const tmp = makeTempDir('onnx-studio-sensitivity-');
afterAll(() => tmp.cleanup());

/** Four 3x3 Conv + Relu layers of 8 channels on [1, 8, 512, 512]: 8 MiB per activation. */
function convChain(file: string): void {
  const nodes: NodeProto[] = [];
  const initializers = [];
  let x = 'image';
  for (let i = 0; i < 4; i++) {
    initializers.push(randomTensor(`w${i}`, [8, 8, 3, 3], 40 + i, 0.3));
    initializers.push(randomTensor(`b${i}`, [8], 50 + i, 0.05));
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
    const samples = [1, 2].map((seed) => ({ image: randomOrtTensor([1, 8, 512, 512], seed) }));
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

/** One sample of [1, 3, 16, 16] per seed. */
const imageSamples = (seeds: number[]) => seeds.map((seed) => ({ x: randomOrtTensor([1, 3, 16, 16], seed) }));

describe('analyzeSensitivity of renamed and unreachable tensors', () => {
  it('measures a Conv whose Relu is folded into its quantization, under the name the float model gives it', async () => {
    // The one-stage OCR line net, Conv -> Relu -> ReduceMean: the quantizer folds the Relu into the Conv's
    // output quantization, renames the Conv's output `relu1.out_prequant` and puts the DequantizeLinear under
    // the Relu's name `relu1.out`.
    const model = path.join(tmp.dir, 'folded.onnx');
    const net = buildOcrLineNet({
      height: 16,
      width: 16,
      channels: [8],
      seed: 7,
      weightScale: 0.4,
      biasScale: 0.1,
    });
    fs.writeFileSync(model, modelBytes(net));
    const report = await analyzeSensitivity({
      modelPath: model,
      calibration: feedsSource(imageSamples([1, 2, 3])),
      options: { calibMethod: 'minmax', quantizeInputConv: true },
    });
    const conv = report.rows.find((r) => r.node === 'conv1')!;
    const rmean = report.rows.find((r) => r.node === 'rmean')!;
    expect(rmean.inputs).toEqual(['relu1.out']);
    // An error cannot vanish through a Conv: every figure is a finite number, none reads as exact.
    for (const row of [conv, rmean]) {
      expect(row.unmeasured).toBeUndefined();
      for (const v of [row.localSqnrDb, row.sqnrDb, row.outputSqnrDb, row.dropDb]) {
        expect(v).not.toBeNull();
        expect(Number.isFinite(v)).toBe(true);
      }
    }
    // What the Conv hands on is what its reader receives.
    expect(conv.outputSqnrDb).toBeCloseTo(rmean.sqnrDb!, 9);
    // A misspelled node to keep float is refused, as quantize refuses it, not ranked as if quantized.
    await expect(
      analyzeSensitivity({
        modelPath: model,
        calibration: feedsSource(imageSamples([1])),
        common: { excludeNodes: ['rmaen'] },
      }),
    ).rejects.toThrow(/--exclude-nodes names 'rmaen', which is no node of this model .* Did you mean 'rmean'\?/);
  }, 60_000);

  it('says why a figure is unmeasured instead of a null that reads as exact', async () => {
    // The MatMul's output reaches a measured tensor (the model output) only after four float Tanh nodes.
    const model = path.join(tmp.dir, 'far.onnx');
    const tanhs = [0, 1, 2, 3].map((i) =>
      makeNode('Tanh', [i === 0 ? 'm' : `t${i - 1}`], [i === 3 ? 'y' : `t${i}`], { name: `tanh${i}` }),
    );
    const graph = makeGraph('far', {
      inputs: [makeValueInfo('x', DT.FLOAT, [4, 16])],
      outputs: [makeValueInfo('y', DT.FLOAT, [4, 8])],
      initializers: [randomTensor('w', [16, 8], 9, 0.5)],
      nodes: [makeNode('MatMul', ['x', 'w'], ['m'], { name: 'mm' }), ...tanhs],
    });
    fs.writeFileSync(model, modelBytes(makeModel(graph)));
    const samples = [1, 2].map((seed) => ({ x: randomOrtTensor([4, 16], seed) }));
    const report = await analyzeSensitivity({
      modelPath: model,
      calibration: feedsSource(samples),
      options: { calibMethod: 'minmax' },
    });
    const mm = report.rows.find((r) => r.node === 'mm')!;
    expect(mm.sqnrDb).not.toBeNull();
    expect(mm.outputSqnrDb).toBeNull();
    expect(mm.unmeasured?.outputSqnrDb).toMatch(/no quantized tensor or model output within 3 nodes/);
    expect(mm.dropDb).toBeNull();
    expect(mm.unmeasured?.dropDb).toMatch(/^SQNR out: /);
    expect(report.outputs[0]!.sqnrDb).not.toBeNull();
  }, 60_000);
});

describe('analyzeSensitivity of fewer samples than asked', () => {
  it('uses them all and says so where --samples asks for more than the data holds, not where the default does', async () => {
    const model = path.join(tmp.dir, 'small.onnx');
    const graph = makeGraph('small', {
      inputs: [makeValueInfo('x', DT.FLOAT, [4, 16])],
      outputs: [makeValueInfo('y', DT.FLOAT, [4, 8])],
      initializers: [randomTensor('w', [16, 8], 9, 0.5)],
      nodes: [makeNode('MatMul', ['x', 'w'], ['y'], { name: 'mm' })],
    });
    fs.writeFileSync(model, modelBytes(makeModel(graph)));
    const samples = [1, 2, 3].map((seed) => ({ x: randomOrtTensor([4, 16], seed) }));
    const run = (asked?: number) =>
      analyzeSensitivity({
        modelPath: model,
        calibration: feedsSource(samples),
        options: { calibMethod: 'minmax' },
        ...(asked !== undefined ? { samples: asked } : {}),
      });
    const asked = await run(500);
    expect(asked.samples).toBe(3);
    expect(asked.notes).toContain('500 samples asked, the data has 3: all 3 used.');
    // The default (32) is no one's request: not said.
    const byDefault = await run();
    expect(byDefault.samples).toBe(3);
    expect(byDefault.notes.join('\n')).not.toMatch(/samples asked/);
    // Asked for what the data has, or fewer: nothing to say.
    expect((await run(3)).notes.join('\n')).not.toMatch(/samples asked/);
  }, 60_000);
});

describe('analyzeSensitivity of a model with nothing to rank', () => {
  /** The StudioError `run` is refused with (the test fails where it resolves). */
  async function refusal(run: Promise<unknown>): Promise<StudioError> {
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    return error as StudioError;
  }
  /** A model of one node (`node` reading `x`, writing `y`), saved under `name`. */
  function oneNodeModel(
    name: string,
    node: NodeProto,
    x: number[],
    y: number[],
    initializers: ReturnType<typeof randomTensor>[],
  ): string {
    const file = path.join(tmp.dir, name);
    const graph = makeGraph(name, {
      inputs: [makeValueInfo('x', DT.FLOAT, x)],
      outputs: [makeValueInfo('y', DT.FLOAT, y)],
      initializers,
      nodes: [node],
    });
    fs.writeFileSync(file, modelBytes(makeModel(graph)));
    return file;
  }
  const matmul = () =>
    oneNodeModel(
      'mm.onnx',
      makeNode('MatMul', ['x', 'w'], ['y'], { name: 'mm' }),
      [4, 16],
      [4, 8],
      [randomTensor('w', [16, 8], 9, 0.5)],
    );
  const matmulSamples = () => feedsSource([1, 2].map((seed) => ({ x: randomOrtTensor([4, 16], seed) })));

  it("refuses an already-quantized model with quantize's refusal, not as a model with nothing to quantize", async () => {
    // The user test: `sensitivity` of an int8-static output said "int8-static quantizes no node of X: there is
    // nothing to rank."
    const float = matmul();
    const quantized = path.join(tmp.dir, 'mm.int8-static.onnx');
    await quantizeModel({
      input: float,
      output: quantized,
      method: 'int8-static',
      calibration: matmulSamples(),
      options: { calibMethod: 'minmax' },
    });
    const byQuantize = await refusal(
      quantizeModel({
        input: quantized,
        output: path.join(tmp.dir, 'mm.twice.onnx'),
        method: 'int8-static',
        calibration: matmulSamples(),
      }),
    );
    const error = await refusal(analyzeSensitivity({ modelPath: quantized, calibration: matmulSamples() }));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toMatch(/is already quantized \(it has .*QuantizeLinear/);
    expect(error.message).toBe(byQuantize.message);
  }, 60_000);

  it("gives the quantizer's reason for the input Conv it left float, and the flag that quantizes it", async () => {
    // The user test: a model whose one quantizable node is a Conv of the 3-channel float input.
    const model = oneNodeModel(
      'input-conv.onnx',
      makeNode('Conv', ['x', 'w', 'b'], ['y'], {
        name: 'stem',
        attributes: { pads: { ints: [1, 1, 1, 1] } },
      }),
      [1, 3, 16, 16],
      [1, 8, 16, 16],
      [randomTensor('w', [8, 3, 3, 3], 3, 0.3), randomTensor('b', [8], 4, 0.05)],
    );
    const run = (quantizeInputConv: boolean) =>
      analyzeSensitivity({
        modelPath: model,
        calibration: feedsSource(imageSamples([1, 2])),
        options: { calibMethod: 'minmax', quantizeInputConv },
      });
    const error = await refusal(run(false));
    expect(error.message).toBe(
      `int8-static quantizes no node of ${model}, so there is nothing to rank. Conv 'stem' stays float: it reads ` +
        "the model's float input with 3 channels; onnxruntime's int8 convolution is slower than float there, and " +
        'the input would need a full-size QuantizeLinear (--quantize-input-conv quantizes it anyway). ' +
        'To rank it, pass --quantize-input-conv.',
    );
    // What the message says works.
    expect((await run(true)).rows.map((r) => r.node)).toEqual(['stem']);
  }, 60_000);

  it('names the nodes --exclude-nodes kept float, and says when the model has no node int8-static quantizes', async () => {
    const excluded = await refusal(
      analyzeSensitivity({
        modelPath: matmul(),
        calibration: matmulSamples(),
        common: { excludeNodes: ['mm'] },
      }),
    );
    expect(excluded.message).toMatch(
      /so there is nothing to rank\. MatMul 'mm' stays float: excluded by --exclude-nodes\. To rank it, leave it out of --exclude-nodes\.$/,
    );
    const tanh = oneNodeModel(
      'tanh.onnx',
      makeNode('Tanh', ['x'], ['y'], { name: 't' }),
      [4, 16],
      [4, 16],
      [],
    );
    const none = await refusal(analyzeSensitivity({ modelPath: tanh, calibration: matmulSamples() }));
    expect(none.message).toMatch(
      /so there is nothing to rank: it quantizes Conv, MatMul, Gemm, Add, Mul, Concat nodes and this model has none it can take\.$/,
    );
  }, 60_000);
});
