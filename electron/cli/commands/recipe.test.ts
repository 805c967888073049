import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { buildMlp } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess } from '../testing/run-cli.js';

let tmp: ReturnType<typeof makeTempDir>;
let variant: string;

beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-recipe-');
  const mlp = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(mlp, toBinary(ModelProtoSchema, buildMlp()));
  variant = path.join(tmp.dir, 'mlp.fp16.onnx');
  const made = await runCliInProcess(['quantize', mlp, '-o', variant, '--method', 'fp16']);
  expect(made.code, made.stderr).toBe(0);
});

afterAll(() => tmp.cleanup());

describe('onnx-studio recipe --json', () => {
  it('prints the recipe as its one object, or with -o {output}: stdout held nothing with -o', async () => {
    const printed = await runCliInProcess(['recipe', variant, '--json']);
    expect(printed.code).toBe(0);
    const recipe = JSON.parse(printed.stdout) as { tool: string };
    expect(recipe.tool).toBe('onnx-studio');
    const file = path.join(tmp.dir, 'mlp.recipe.json');
    const written = await runCliInProcess(['recipe', variant, '-o', file, '--json']);
    expect(written.code, written.stderr).toBe(0);
    expect(JSON.parse(written.stdout)).toEqual({ output: file });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(recipe);
    expect(written.stderr).toBe(`Wrote ${file}\n`);
    // Without --json, stdout stays empty: the recipe went to the file.
    expect((await runCliInProcess(['recipe', variant, '-o', file, '--force'])).stdout).toBe('');
  });
});
