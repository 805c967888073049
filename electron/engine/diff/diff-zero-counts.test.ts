import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliInProcess } from '../../cli/testing/run-cli.js';
import { loadModel } from '../onnx/load-model.js';
import { buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModelProtos } from './diff-models.js';

/*
 * The share of zeros of a weight decodes it (a copy of every float weight of a multi-GB model): diff counts them
 * only for a weight whose values changed, and not at all for `explain`, which needs only the match.
 */

const decoded = vi.hoisted(() => ({ count: 0 }));
vi.mock('../onnx/constants.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../onnx/constants.js')>();
  return {
    ...original,
    floatValues: (...args: Parameters<typeof original.floatValues>) => {
      decoded.count++;
      return original.floatValues(...args);
    },
  };
});

let tmp: ReturnType<typeof makeTempDir>;
let model: string;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-diff-zeros-');
  model = path.join(tmp.dir, 'mlp.onnx');
  fs.writeFileSync(model, modelBytes(buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 })));
});
afterAll(() => tmp.cleanup());

async function variant(name: string, args: string[]) {
  const out = path.join(tmp.dir, name);
  const r = await runCliInProcess([args[0]!, model, '-o', out, ...args.slice(1)]);
  expect(r.code, r.stderr).toBe(0);
  return [(await loadModel(model)).proto, (await loadModel(out)).proto] as const;
}

const names = { original: 'a', variant: 'b' };

describe('diff counts zeros', () => {
  it('of no weight of a quantized variant (none kept its values in float)', async () => {
    const [a, b] = await variant('mlp.int8.onnx', ['quantize', '--method', 'int8-dynamic']);
    decoded.count = 0;
    const d = diffModelProtos(a, b, names);
    expect(d.weights.byChange.quantized).toBeGreaterThan(0);
    expect(d.weights.list.some((w) => w.zeros)).toBe(false);
    expect(decoded.count).toBe(0);
  });

  it('of the weights pruning changed, and of none with zeroCounts: false (the same match)', async () => {
    const [a, b] = await variant('mlp.pruned.onnx', ['prune', '--method', 'magnitude', '--sparsity', '0.5']);
    decoded.count = 0;
    const full = diffModelProtos(a, b, names);
    const changed = full.weights.list.filter((w) => w.change === 'values');
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((w) => w.zeros !== undefined)).toBe(true);
    expect(decoded.count).toBe(2 * changed.length);
    decoded.count = 0;
    const matchOnly = diffModelProtos(a, b, names, { zeroCounts: false });
    expect(decoded.count).toBe(0);
    expect(matchOnly.weights.list.some((w) => w.zeros)).toBe(false);
    expect(matchOnly.match).toEqual(full.match);
  });
});
