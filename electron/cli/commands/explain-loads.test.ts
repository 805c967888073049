import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Explanation } from '../../../shared/explain.js';
import { buildCnn, buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess } from '../testing/run-cli.js';

/*
 * explain loads each model once: the benchmark's engine process loads both and reads there what explain needs
 * of them (diff's unrelated-models check, the nodes the variant's options kept float, its op counts). A second
 * load in the CLI's process doubled the memory and added its time on a multi-GB model.
 */

const loads = vi.hoisted(() => ({ files: [] as string[] }));
vi.mock('../../engine/onnx/load-model.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../engine/onnx/load-model.js')>();
  return {
    ...original,
    loadModel: (file: string) => {
      loads.files.push(file);
      return original.loadModel(file);
    },
  };
});

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-explain-loads-');
});
afterAll(() => tmp.cleanup());

describe('onnx-studio explain', () => {
  it('loads neither model in its own process, and still checks whether they are related', async () => {
    const mlp = path.join(tmp.dir, 'mlp.onnx');
    const variant = path.join(tmp.dir, 'mlp.dyn.onnx');
    const cnn = path.join(tmp.dir, 'cnn.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp({ batch: 1 })));
    fs.writeFileSync(cnn, modelBytes(buildCnn()));
    const quantize = ['quantize', mlp, '-o', variant, '--method', 'int8-dynamic'];
    expect((await runCliInProcess(quantize)).code).toBe(0);

    loads.files = [];
    const args = ['--iterations', '3', '--threads', '1', '--json'];
    const related = await runCliInProcess(['explain', mlp, variant, ...args]);
    expect(related.code, related.stderr).toBe(0);
    const unrelated = await runCliInProcess(['explain', mlp, cnn, ...args]);
    expect(unrelated.code, unrelated.stderr).toBe(0);
    expect(loads.files).toEqual([]);

    // What the engine read of the models: the variant's ops, and diff's check.
    const e = JSON.parse(related.stdout) as Explanation & { notes: string[] };
    expect(e.variantPrecision).toBe('int8');
    expect(related.stderr).not.toMatch(/unrelated/);
    expect(unrelated.stderr).toMatch(/^warning: The two models look unrelated: /m);
    expect((JSON.parse(unrelated.stdout) as { advice: string[] }).advice).toEqual([
      expect.stringMatching(/^The two models look unrelated: .*no advice/),
    ]);
  }, 60_000);
});
