import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { buildMlp } from '../engine/testing/model-fixtures.js';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { runCliInProcess } from './testing/run-cli.js';

const WHY = "onnx-studio takes files by path, and '-' does not stand for standard input or output";

let tmp: ReturnType<typeof makeTempDir>;
let mlp: string;
let variant: string;

beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-dash-');
  mlp = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(mlp, toBinary(ModelProtoSchema, buildMlp()));
  variant = path.join(tmp.dir, 'mlp.fp16.onnx');
  const made = await runCliInProcess(['quantize', mlp, '-o', variant, '--method', 'fp16']);
  expect(made.code, made.stderr).toBe(0);
});

afterAll(() => tmp.cleanup());

describe("'-' as a path", () => {
  it('is refused as a model, exit 2, saying what to give instead (inspect - said there was no such file)', async () => {
    const r = await runCliInProcess(['inspect', '-', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `onnx-studio: '-' is not supported: ${WHY}. Give a file path (./- for a file named '-').`,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect((await runCliInProcess(['bench', mlp, '-', '--iterations', '2'])).code).toBe(2);
  });

  it('is refused as an output, and nothing named - is written (recipe -o - wrote a file named -)', async () => {
    const cwd = process.cwd();
    const r = await runCliInProcess(['recipe', variant, '-o', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `onnx-studio: -o - is not supported: ${WHY}. Give a file path (-o ./- for a file named '-').`,
    );
    expect(fs.existsSync(path.join(cwd, '-'))).toBe(false);
    const long = await runCliInProcess(['quantize', mlp, '--output=-', '--method', 'fp16']);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('--output - is not supported');
    // As a data flag's value too.
    expect((await runCliInProcess(['eval', mlp, '--data', '-'])).stderr).toContain(
      '--data - is not supported',
    );
  });

  it('leaves ./- and names that only start with a dash alone', async () => {
    const r = await runCliInProcess(['recipe', variant, '-o', path.join(tmp.dir, '-')]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(tmp.dir, '-'))).toBe(true);
    // Without -o the recipe is printed: the way to get it on standard output.
    const printed = await runCliInProcess(['recipe', variant]);
    expect(JSON.parse(printed.stdout)).toMatchObject({ tool: 'onnx-studio' });
  });
});
