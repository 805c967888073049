import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../../shared/explain.js';
import { buildConvNet } from '../../engine/testing/conv-fixtures.js';
import { modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
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
  }, 60_000);

  it('refuses one model with exit 2', async () => {
    expect((await runCliInProcess(['explain', 'a.onnx'])).code).toBe(2);
  });
});
