import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awkwardModelFiles } from '../../engine/testing/awkward-models.js';
import { buildCnn, buildMlp } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { repoRoot, runCliProcess as cli } from '../testing/run-cli.js';

const digits = path.join(repoRoot, 'electron/engine/testing/fixtures/digits');

describe('onnx-studio quantize and prune', () => {
  const tmp = makeTempDir();
  const mlp = path.join(tmp.dir, 'mlp.onnx');
  const cnn = path.join(tmp.dir, 'cnn.onnx');
  beforeAll(() => {
    // Large enough that weights, not graph overhead, dominate the file size.
    fs.writeFileSync(
      mlp,
      toBinary(ModelProtoSchema, buildMlp({ inputSize: 64, hiddenSize: 256, outputSize: 10 })),
    );
    fs.writeFileSync(cnn, toBinary(ModelProtoSchema, buildCnn()));
  });
  afterAll(() => tmp.cleanup());

  for (const [method, extra, maxRatio] of [
    ['int8-dynamic', [], 0.32],
    ['int8-weight', [], 0.32],
    ['fp16', [], 0.55],
    ['int4', ['--block-size', '16'], 0.25],
    ['int8-static', ['--calib-data', 'synthetic', '--calib-samples', '8'], 0.33],
  ] as const) {
    it(`${method}: writes a smaller model that onnxruntime runs, JSON per the contract`, async () => {
      const out = path.join(tmp.dir, `mlp-${method}.onnx`);
      const r = cli('quantize', mlp, '-o', out, '--method', method, ...extra, '--json');
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      for (const key of [
        'output',
        'method',
        'inputBytes',
        'outputBytes',
        'quantizedNodes',
        'skippedNodes',
        'seconds',
      ]) {
        expect(json).toHaveProperty(key);
      }
      expect(json.method).toBe(method);
      expect(json.quantizedNodes).toBeGreaterThan(0);
      expect((json.outputBytes as number) / (json.inputBytes as number)).toBeLessThan(maxRatio);
      const session = await ort.InferenceSession.create(out);
      const result = await session.run({
        input: new ort.Tensor('float32', new Float32Array(128).fill(0.5), [2, 64]),
      });
      expect(result.logits!.dims).toEqual([2, 10]);
      await session.release();
    });
  }

  it('int8-static calibrates from an .npy dataset', () => {
    const out = path.join(tmp.dir, 'digits-static.onnx');
    const r = cli(
      'quantize',
      path.join(digits, 'digits.onnx'),
      '-o',
      out,
      '--method',
      'int8-static',
      '--calib-data',
      path.join(digits, 'test-inputs.npy'),
      '--calib-samples',
      '32',
      '--json',
    );
    expect(r.code).toBe(0);
    const evalRun = cli(
      'eval',
      out,
      '--data',
      path.join(digits, 'test-inputs.npy'),
      '--labels',
      path.join(digits, 'test-labels.npy'),
      '--json',
    );
    expect(evalRun.code).toBe(0);
    expect((JSON.parse(evalRun.stdout) as { accuracy: number }).accuracy).toBeGreaterThan(0.95);
  });

  it('int8-static: calibration data that does not fit the model is exit 2 naming the inputs, not an internal error', () => {
    // speech-gate frames its audio by 64 samples: 100 samples cannot be reshaped.
    const speech = path.join(tmp.dir, 'speech-gate.onnx');
    fs.writeFileSync(speech, awkwardModelFiles()['speech-gate.onnx']!);
    const out = path.join(tmp.dir, 'speech-int8.onnx');
    const quantize = (...extra: string[]) =>
      cli(
        'quantize',
        speech,
        '-o',
        out,
        '--method',
        'int8-static',
        '--calib-data',
        'synthetic',
        '--calib-samples',
        '2',
        ...extra,
      );
    const r = quantize('--dim', 'samples=100');
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toMatch(
      /Calibration sample 0 could not run on the inputs it was given \(audio float32 \[1, 100\], sr int64 \[1\]\)/,
    );
    expect(fs.existsSync(out)).toBe(false);
    // The message leaves what to do to each surface: the CLI adds its flags, also when the failure happened in
    // the engine process that runs benchmarks (the hint crosses the process boundary).
    const hint = /fit the model\. Set them with --shape, --dim and --value, or use data of the right shape\./;
    expect(r.stderr).toMatch(hint);
    const bench = cli('bench', speech, '--dim', 'samples=100', '--iterations', '2');
    expect(bench.code).toBe(2);
    expect(bench.stderr).toMatch(hint);
    const good = quantize('--dim', 'samples=1024', '--value', 'sr=16000');
    expect(good.code, good.stderr).toBe(0);
  });

  it('refuses wrong input with exit 2 and one line', () => {
    const cases = [
      ['quantize', mlp, '-o', path.join(tmp.dir, 'x.onnx'), '--method', 'int3'],
      ['quantize', mlp, '-o', path.join(tmp.dir, 'x.onnx'), '--method', 'fp16', '--block-size', '32'],
      ['quantize', mlp, '-o', path.join(tmp.dir, 'x.onnx'), '--method', 'int8-static'],
      ['quantize', mlp, '-o', mlp, '--method', 'fp16', '--force'],
      ['prune', cnn, '-o', path.join(tmp.dir, 'x.onnx'), '--method', 'structured', '--sparsity', '1.5'],
    ];
    for (const args of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(path.join(tmp.dir, 'x.onnx'))).toBe(false);
  });

  it('refuses data flags for a method that reads no data, rather than record them in its recipe', () => {
    // A user test: int8-dynamic with --calib-data wrote a recipe whose `run` then asked for that file.
    const out = path.join(tmp.dir, 'no-data.onnx');
    const dynamic = cli('quantize', mlp, '-o', out, '--method', 'int8-dynamic', '--calib-data', 'synthetic');
    expect(dynamic.code).toBe(2);
    expect(dynamic.stderr.trim()).toBe(
      'onnx-studio: --calib-data applies to int8-static only (the data it calibrates on), not int8-dynamic, which reads no data: leave it out.',
    );
    const half = cli('quantize', mlp, '-o', out, '--method', 'fp16', '--shape', 'input=1x64', '--seed', '3');
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--seed, --shape apply to int8-static only');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses an --exclude-nodes name that is no node of the model (exit 2, the closest name), quantize and prune alike', () => {
    const out = path.join(tmp.dir, 'typo.onnx');
    for (const [command, flags] of [
      ['quantize', '--method int8-dynamic'],
      ['quantize', '--method int8-static --calib-data synthetic'],
      ['prune', '--method magnitude --sparsity 0.5'],
    ] as const) {
      const args = [command, mlp, '-o', out, ...flags.split(' '), '--exclude-nodes', 'fc2_matmull'];
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--exclude-nodes names 'fc2_matmull', which is no node of this model/);
      expect(r.stderr).toMatch(
        new RegExp(`Did you mean 'fc2_matmul'\\?.* would ${command}(, those with weights first)?: 'fc1'`),
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses an --op-types type the method cannot handle (exit 2, what it handles), quantize and prune alike', () => {
    const out = path.join(tmp.dir, 'optypes.onnx');
    const int4 = cli('quantize', mlp, '-o', out, ...'--method int4 --op-types Conv'.split(' '));
    expect(int4.code).toBe(2);
    expect(int4.stderr).toMatch(/'Conv', which int4 does not quantize\. It can quantize MatMul, Gemm/);
    const prune = cli(
      'prune',
      mlp,
      '-o',
      out,
      ...'--method magnitude --sparsity 0.5 --op-types Foo'.split(' '),
    );
    expect(prune.code).toBe(2);
    expect(prune.stderr).toMatch(/'Foo', which magnitude pruning does not prune\. It can prune Conv/);
    expect(fs.existsSync(out)).toBe(false);
    // A type the method handles that this model lacks: a note, and the rest is quantized.
    const dynamic = cli(
      'quantize',
      mlp,
      '-o',
      out,
      ...'--method int8-dynamic --op-types Conv,MatMul'.split(' '),
    );
    expect(dynamic.code).toBe(0);
    expect(dynamic.stderr).toMatch(/note: --op-types names Conv, of which this model has no node/);
  });

  it('prune structured shrinks a CNN and reports the contract fields; the result quantizes', () => {
    const pruned = path.join(tmp.dir, 'cnn-pruned.onnx');
    const r = cli('prune', cnn, '-o', pruned, '--method', 'structured', '--sparsity', '0.5', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, number>;
    for (const key of [
      'output',
      'method',
      'targetSparsity',
      'achievedSparsity',
      'prunedNodes',
      'removedChannels',
      'inputBytes',
      'outputBytes',
    ]) {
      expect(json).toHaveProperty(key);
    }
    expect(json.removedChannels).toBeGreaterThan(0);
    expect(json.outputBytes).toBeLessThan(json.inputBytes as number);
    const q = cli(
      'quantize',
      pruned,
      '-o',
      path.join(tmp.dir, 'cnn-pruned-int8.onnx'),
      '--method',
      'int8-weight',
      '--json',
    );
    expect(q.code).toBe(0);
  });
});
