import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../../shared/explain.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../../engine/onnx/graph-build.js';
import { buildConvNet, buildOcrLineNet } from '../../engine/testing/conv-fixtures.js';
import {
  buildCnn,
  buildMlp,
  makeGraph,
  makeModel,
  modelBytes,
  randomTensor,
} from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { buildUnnamedConvNet } from '../../engine/testing/unnamed-conv-net.js';
import { runCliInProcess } from '../testing/run-cli.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-explain-');
});
afterAll(() => tmp.cleanup());

describe('onnx-studio explain', () => {
  it('profiles a conv net and its int8-dynamic variant: the convolutions stayed float, use int8-static', async () => {
    const model = path.join(tmp.dir, 'conv.onnx');
    const variant = path.join(tmp.dir, 'conv.dyn.onnx');
    fs.writeFileSync(model, modelBytes(buildConvNet()));
    expect((await runCliInProcess(['quantize', model, '-o', variant, '--method', 'int8-dynamic'])).code).toBe(
      0,
    );
    // The engine process profiles into its temp folder: explain must leave no trace there.
    const engineTmp = path.join(tmp.dir, 'engine-tmp');
    fs.mkdirSync(engineTmp);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = engineTmp;
    const r = await runCliInProcess([
      'explain',
      model,
      variant,
      '--iterations',
      '20',
      '--threads',
      '1',
      '--json',
    ]).finally(() => {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(engineTmp).filter((f) => f.startsWith('onnx-studio-profile-'))).toEqual([]);
    const e = JSON.parse(r.stdout) as Explanation;
    expect(e.variant.byKind.reduce((s, k) => s + k.pct, 0)).toBeCloseTo(100, 3);
    expect(e.original.byKind.find((k) => k.kind === 'quantized')!.ms).toBe(0);
    expect(e.floatOps.some((o) => o.opType.includes('Conv'))).toBe(true);
    expect(e.advice.join('\n')).toMatch(/int8-dynamic leaves Conv in float/);
    // The ratio carries the benchmark's own verdict on it, as bench and the app's panel say it.
    expect(e.speed?.verdict).toMatch(/^(faster|same|slower)$/);
    const notFaster = e.advice.find((a) => a.startsWith('The variant runs at'));
    if (notFaster)
      expect(notFaster).toMatch(
        /x of the original's p50, (within the run's noise|slower beyond|from a run too noisy)/,
      );
  }, 60_000);

  it("names int8-static's input-conv rule and its flag for the stem Conv it kept float, not excluded nodes", async () => {
    // A 3-channel stem Conv over a 96 x 96 image, most of the work, then a strided Conv int8-static quantizes.
    const graph = makeGraph('stem', {
      inputs: [makeValueInfo('input', TensorProto_DataType.FLOAT, [1, 3, 96, 96])],
      outputs: [makeValueInfo('output', TensorProto_DataType.FLOAT, [1, 16, 1, 1])],
      initializers: [
        randomTensor('stem.w', [16, 3, 3, 3], 1, 0.2),
        randomTensor('body.w', [16, 16, 3, 3], 2, 0.2),
      ],
      nodes: [
        makeNode('Conv', ['input', 'stem.w'], ['stem.out'], {
          name: 'stem',
          attributes: { pads: { ints: [1, 1, 1, 1] } },
        }),
        makeNode('Relu', ['stem.out'], ['stem.relu'], { name: 'stem_relu' }),
        makeNode('Conv', ['stem.relu', 'body.w'], ['body.out'], {
          name: 'body',
          attributes: { strides: { ints: [4, 4] } },
        }),
        makeNode('GlobalAveragePool', ['body.out'], ['output'], { name: 'pool' }),
      ],
    });
    const model = path.join(tmp.dir, 'stem.onnx');
    const variant = path.join(tmp.dir, 'stem.int8-static.onnx');
    fs.writeFileSync(model, modelBytes(makeModel(graph)));
    const quantize = ['quantize', model, '-o', variant, '--method', 'int8-static'];
    expect(
      (await runCliInProcess([...quantize, '--calib-data', 'synthetic', '--calib-samples', '4'])).code,
    ).toBe(0);
    const r = await runCliInProcess([
      'explain',
      model,
      variant,
      '--iterations',
      '20',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as Explanation;
    // The float stem takes most of the kernel time whatever the machine (a third to nine tenths here).
    expect(e.floatOps.map((o) => o.opType)).toEqual(['Conv']);
    const advice = e.advice.join('\n');
    expect(advice).toMatch(/Conv stays in float: \d+% of run time/);
    expect(advice).toMatch(
      /Conv 'stem' stays float: it reads the model's float input with 3 channels; .*\(--quantize-input-conv quantizes it anyway\)/,
    );
    expect(advice).not.toMatch(/exclude/i);
  }, 60_000);

  it('names the int8 kernel slower than the float one it replaced, from the kernel table, and what to do', async () => {
    // The OCR line net: Conv, Relu, MaxPool, Conv, Relu, ReduceMean on [1, 3, 48, 200]. int8-static keeps the
    // input Conv float and runs the MaxPool on 8-bit data: onnxruntime's int8 MaxPool there takes several
    // times its float one (12x on an AVX-512 machine, 13x on an AVX2 one) and most of the variant's time.
    // 8 channels into the MaxPool: on an AVX2 CPU (8-float blocks) the original's float MaxPool runs in the
    // blocked layout as 'pool1.out_nchwc', which explain traces to pool1 through the original's writers.
    const model = path.join(tmp.dir, 'ocr.onnx');
    const variant = path.join(tmp.dir, 'ocr.int8-static.onnx');
    fs.writeFileSync(model, modelBytes(buildOcrLineNet()));
    const quantize = ['quantize', model, '-o', variant, '--method', 'int8-static'];
    expect(
      (await runCliInProcess([...quantize, '--calib-data', 'synthetic', '--calib-samples', '4'])).code,
    ).toBe(0);
    const r = await runCliInProcess([
      'explain',
      model,
      variant,
      '--iterations',
      '40',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as Explanation;
    const pool = e.variant.byOpType.find((o) => o.opType === 'MaxPool')!;
    const before = e.slowestOps.find((o) => o.opType === 'MaxPool')!.originalMs!;
    expect(pool.kind).toBe('quantized');
    // What the kernel table says decides the advice, and the table depends on the CPU's int8 kernels: the
    // thresholds themselves are tested on fixed tables in shared/explain.test.ts. Here: a MaxPool clearly
    // slower and large is named, one faster than its float self is not.
    if (pool.ms < before) {
      expect(e.slowerKernels.map((k) => k.opType)).not.toContain('MaxPool');
      return;
    }
    if (!(pool.ms > 2 * before && pool.pct >= 20)) return;
    expect(e.slowerKernels.find((k) => k.opType === 'MaxPool')).toMatchObject({
      matchedBy: 'node',
      nodes: ['pool1'],
    });
    const advice = e.advice.find((a) => a.startsWith('MaxPool runs in int8'));
    expect(advice).toMatch(
      /^MaxPool runs in int8 \('pool1'\) and takes \d+\.\d{3} ms, \d+% of the variant's kernel time, against \d+\.\d{3} ms for that node in float in the original \(\d+\.\dx\)/,
    );
    expect(advice).toMatch(/--exclude-nodes pool1/);
    expect(advice).toMatch(/--op-types listing the op types to quantize without MaxPool/);
  }, 60_000);

  describe('of an MLP with a symbolic batch dim and an unrelated CNN', () => {
    // One profiled benchmark for both tests: the machine may be loaded.
    let result: Promise<{ code: number; stdout: string; stderr: string }> | undefined;
    const explainMlpAndCnn = () => {
      if (result) return result;
      const mlp = path.join(tmp.dir, 'mlp.onnx');
      const cnn = path.join(tmp.dir, 'cnn.onnx');
      fs.writeFileSync(mlp, modelBytes(buildMlp()));
      fs.writeFileSync(cnn, modelBytes(buildCnn()));
      result = runCliInProcess(['explain', mlp, cnn, '--iterations', '3', '--threads', '1', '--json']);
      return result;
    };

    it("puts the guessed dims in notes[] as well as on stderr, as bench's JSON does", async () => {
      const r = await explainMlpAndCnn();
      expect(r.code, r.stderr).toBe(0);
      const guess = /^warning: (mlp\.onnx: dim 'batch' of input 'input' was guessed as 1 .*)$/m.exec(
        r.stderr,
      )?.[1];
      expect(guess).toBeDefined();
      expect((JSON.parse(r.stdout) as { notes: string[] }).notes).toContain(guess);
    }, 60_000);

    it("warns that the two look unrelated, with diff's check, and gives no advice on a compression", async () => {
      const r = await explainMlpAndCnn();
      expect(r.code, r.stderr).toBe(0);
      const warning = /^warning: (The two models look unrelated: .*)$/m.exec(r.stderr)?.[1];
      expect(warning).toMatch(
        /^The two models look unrelated: 1 of the original's 4 nodes and 0 of its 4 weights are in the variant, and their inputs and outputs differ\. .* no advice on a compression\.$/,
      );
      const e = JSON.parse(r.stdout) as Explanation & { notes: string[] };
      expect(e.notes).toContain(warning);
      expect(e.advice).toEqual([expect.stringMatching(/^The two models look unrelated: .*no advice/)]);
      expect(e.variant.byOpType.length).toBeGreaterThan(0);
    }, 60_000);
  });

  it("tells the original's Casts from added ones on a model of over 5,000 nodes, past the profile's 5,000 slowest", async () => {
    // 5,100 Adds on a large tensor and 8 Casts of a small int64 input (graph outputs): the Casts are among the
    // fastest kernels, past the original's 5,000 slowest nodes. The variant keeps the Casts under their names and
    // 10 of the Adds: all of its Cast time is the original's own, none is a conversion it added.
    const FLOAT = TensorProto_DataType.FLOAT;
    const INT64 = TensorProto_DataType.INT64;
    const build = (adds: number) =>
      makeModel(
        makeGraph('adds', {
          inputs: [makeValueInfo('x', FLOAT, [1, 65536]), makeValueInfo('n', INT64, [1, 2048])],
          outputs: [
            makeValueInfo('y', FLOAT, [1, 65536]),
            ...Array.from({ length: 8 }, (_, i) => makeValueInfo(`c${i}`, FLOAT, [1, 2048])),
          ],
          initializers: [makeFloatTensor('one', [1], Float32Array.of(1))],
          nodes: [
            ...Array.from({ length: adds }, (_, i) =>
              makeNode('Add', [i === 0 ? 'x' : `h${i - 1}`, 'one'], [i === adds - 1 ? 'y' : `h${i}`], {
                name: `add_${i}`,
              }),
            ),
            ...Array.from({ length: 8 }, (_, i) =>
              makeNode('Cast', ['n'], [`c${i}`], { name: `cast_${i}`, attributes: { to: { int: FLOAT } } }),
            ),
          ],
        }),
      );
    const model = path.join(tmp.dir, 'adds.onnx');
    const variant = path.join(tmp.dir, 'adds.short.onnx');
    fs.writeFileSync(model, modelBytes(build(5100)));
    fs.writeFileSync(variant, modelBytes(build(10)));
    const r = await runCliInProcess([
      'explain',
      model,
      variant,
      '--iterations',
      '3',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as Explanation;
    const casts = e.variant.byOpType.filter((o) => o.opType === 'Cast');
    // The Casts ran and took time: it is all the original's.
    expect(casts.map((o) => o.kind)).toEqual(['float']);
    expect(casts[0]!.ms).toBeGreaterThan(0);
    expect(e.variant.byKind.find((k) => k.kind === 'conversion')!.ms).toBe(0);
  }, 120_000);

  it('tells a structured-pruned conv net of its odd channel counts and --round-to, not to prune channels', async () => {
    // Structured 20% leaves Convs of 13 and 26 channels: onnxruntime reorders around them. Before, explain did not
    // know the method and said "weights set to zero still cost time ... prune whole channels (structured)".
    const model = path.join(tmp.dir, 'net.onnx');
    const variant = path.join(tmp.dir, 'net.structured.onnx');
    fs.writeFileSync(model, modelBytes(buildUnnamedConvNet()));
    const prune = ['prune', model, '-o', variant, '--method', 'structured', '--sparsity', '0.2'];
    expect((await runCliInProcess(prune)).code).toBe(0);
    const dims = ['--dim', 'N=1', '--dim', 'W=64'];
    const r = await runCliInProcess([
      'explain',
      model,
      variant,
      '--iterations',
      '5',
      '--threads',
      '1',
      ...dims,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const advice = (JSON.parse(r.stdout) as Explanation).advice.join('\n');
    expect(advice).toMatch(
      /Structured pruning left 2 convolutions with channel counts that are not a multiple of 8 \(13 and 26\)/,
    );
    expect(advice).toMatch(/Prune again with --round-to 8/);
    expect(advice).not.toMatch(/set to zero|prune whole channels/);
  }, 60_000);

  it('refuses one model with exit 2', async () => {
    expect((await runCliInProcess(['explain', 'a.onnx'])).code).toBe(2);
  });
});
