import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType } from 'onnx-buf';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { makeGraph, makeModel, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { checkDataset } from './check-dataset.js';

// Counts the synthetic samples made, through the real generator.
const made = vi.hoisted(() => ({ samples: 0 }));
vi.mock('../runtime/synthetic-feeds.js', async (original) => {
  const actual = await original<typeof import('../runtime/synthetic-feeds.js')>();
  return {
    ...actual,
    syntheticFeed: (...args: Parameters<typeof actual.syntheticFeed>) => {
      made.samples++;
      return actual.syntheticFeed(...args);
    },
  };
});

const tmp = makeTempDir('onnx-studio-check-dataset-');
afterAll(() => tmp.cleanup());

describe('checkDataset on synthetic data', () => {
  it('makes one sample, not all of them: they are all alike and carry no labels', async () => {
    const model = path.join(tmp.dir, 'wide.onnx');
    const graph = makeGraph('wide', {
      nodes: [makeNode('Relu', ['x'], ['y'], { name: 'relu' })],
      inputs: [makeValueInfo('x', TensorProto_DataType.FLOAT, [1, 'n'])],
      outputs: [makeValueInfo('y', TensorProto_DataType.FLOAT, [1, 'n'])],
    });
    fs.writeFileSync(model, modelBytes(makeModel(graph)));
    const report = await checkDataset({
      model,
      spec: { kind: 'synthetic', samples: 400, seed: 0 },
      baseDir: tmp.dir,
      role: 'calibration',
      shapes: { dims: { n: 100_000 } },
    });
    expect(made.samples).toBe(1);
    expect(report.identity.samples).toBe(400);
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 100_000] }]);
    expect(report.warnings.join('\n')).not.toMatch(/checked on the first/);
  });
});
