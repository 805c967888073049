/**
 * The quantize command's text and the user errors found by a user test: a count of one node in the singular, an
 * unnamed skipped node named alike by every method, and exit 2 (not an internal error) for inputs that cannot be
 * fed, models already quantized and models whose nodes share a name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNode, makeValueInfo } from '../../engine/onnx/graph-build.js';
import { buildMlp, makeModel } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { buildUnnamedConvNet } from '../../engine/testing/unnamed-conv-net.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

const tmp = makeTempDir('onnx-studio-quantize-text-');
const mlp = path.join(tmp.dir, 'mlp.onnx');
const unnamed = path.join(tmp.dir, 'unnamed.onnx');
const sequence = path.join(tmp.dir, 'seq.onnx');
const duplicated = path.join(tmp.dir, 'dup.onnx');

beforeAll(() => {
  fs.writeFileSync(mlp, toBinary(ModelProtoSchema, buildMlp()));
  fs.writeFileSync(unnamed, toBinary(ModelProtoSchema, buildUnnamedConvNet()));
  const seq = makeModel(
    create(GraphProtoSchema, {
      name: 'seq',
      input: [makeValueInfo('x', TensorProto_DataType.FLOAT, ['batch', 'seq', 64])],
      output: [makeValueInfo('y', TensorProto_DataType.FLOAT, ['batch', 'seq', 64])],
      node: [makeNode('Relu', ['x'], ['y'], { name: 'relu' })],
    }),
  );
  fs.writeFileSync(sequence, toBinary(ModelProtoSchema, seq));
  const dup = buildMlp();
  dup.graph!.node[1]!.name = 'fc1';
  fs.writeFileSync(duplicated, toBinary(ModelProtoSchema, dup));
});
afterAll(() => tmp.cleanup());

describe('onnx-studio quantize: text', () => {
  it('says "1 node", not "1 nodes"', async () => {
    const out = path.join(tmp.dir, 'one.onnx');
    const r = await cli(['quantize', mlp, '-o', out, '--method', 'int8-dynamic', '--op-types', 'MatMul']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Quantized {3}1 node in /m);
  });

  it('int8-dynamic names an unnamed skipped node by its op type and output, as the other methods do', async () => {
    const out = path.join(tmp.dir, 'unnamed.int8-dynamic.onnx');
    const r = await cli(['quantize', unnamed, '-o', out, '--method', 'int8-dynamic', '--json']);
    expect(r.code).toBe(0);
    const names = (JSON.parse(r.stdout) as { skippedNodes: { name: string; opType: string }[] }).skippedNodes
      .filter((s) => s.opType === 'Conv')
      .map((s) => s.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^Conv\(.+\)$/);
  });
});

describe('user errors are exit 2 with one clear line', () => {
  it('bench: an input too large to make (a huge --dim) says how large, before allocating it', async () => {
    const r = await cli([
      'bench',
      sequence,
      '--dim',
      'seq=100000000',
      '--dim',
      'batch=1',
      '--iterations',
      '2',
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /Input 'x' float32 \[1, 100000000, 64\] would need 25,600,000,000 bytes \(25\.6 GB\)/,
    );
  });

  it('quantize: an already-quantized model is refused for every method, nothing written', async () => {
    const first = path.join(tmp.dir, 'mlp.int8-dynamic.onnx');
    expect((await cli(['quantize', mlp, '-o', first, '--method', 'int8-dynamic'])).code).toBe(0);
    const again = path.join(tmp.dir, 'again.onnx');
    const r = await cli(['quantize', first, '-o', again, '--method', 'fp16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is already quantized \(it has .*DynamicQuantizeMatMul/);
    expect(fs.existsSync(again)).toBe(false);
  });

  for (const args of [
    ['quantize', '--method', 'int8-dynamic'],
    ['quantize', '--method', 'fp16'],
    ['convert'],
  ]) {
    it(`${args.join(' ')}: a model whose nodes share a name is refused (MODEL_INVALID), nothing written`, async () => {
      const out = path.join(tmp.dir, `dup.${args.join('-')}.onnx`);
      const [command, ...rest] = args;
      const r = await cli([command!, duplicated, '-o', out, ...rest]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/share a name: 'fc1' \(2 nodes: Gemm, Relu\)/);
      expect(fs.existsSync(out)).toBe(false);
    });
  }
});
