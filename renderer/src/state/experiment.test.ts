import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { Workspace } from '../../../shared/workspace.js';
import { accuracyDropPoints, type CompareRow } from './compare-data.js';
import { experimentDataset, inputSpecState, mixedDatasets } from './experiment.js';

const summary = (inputs: ModelSummary['inputs']): ModelSummary =>
  ({ path: '/m/text.onnx', inputs, outputs: [] }) as unknown as ModelSummary;
const ws = (experiment: Workspace['experiment']): Workspace => ({ experiment }) as unknown as Workspace;

describe('the experiment in the page', () => {
  it('asks for a spec when a dim is open or an input is an integer, until one is confirmed', () => {
    const ocr = summary([{ name: 'x', dtype: 'float32', shape: [null, 3, 48, null] }]);
    const asked = inputSpecState(ocr, null);
    expect(asked).toMatchObject({ needed: true, ready: false, spec: { shapes: { x: [1, 3, 48, 320] } } });
    const saved = inputSpecState(ocr, ws({ inputs: { shapes: { x: [1, 3, 48, 640] } } }));
    expect(saved.ready).toBe(false);
    const confirmed = inputSpecState(ocr, ws({ inputs: { shapes: { x: [1, 3, 48, 640] } }, inputsConfirmedAt: '2026-12-05T00:00:00Z' }));
    expect(confirmed).toMatchObject({ ready: true, spec: { shapes: { x: [1, 3, 48, 640] } } });
    const fixed = summary([{ name: 'input', dtype: 'float32', shape: [1, 3, 8, 8] }]);
    expect(inputSpecState(fixed, null)).toMatchObject({ needed: false, ready: true });
    // One named dim at two sizes, saved before the form refused it: asked again (user test 3a, finding 2).
    const tokens = summary([
      { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    ]);
    const at = (mask: number[]) => ws({ inputs: { shapes: { input_ids: [1, 16], attention_mask: mask } }, inputsConfirmedAt: '2026-12-05T00:00:00Z' });
    expect(inputSpecState(tokens, at([1, 128])).ready).toBe(false);
    expect(inputSpecState(tokens, at([1, 16])).ready).toBe(true);
    const vad = summary([{ name: 'sr', dtype: 'int64', shape: [1] }]);
    expect(inputSpecState(vad, null)).toMatchObject({ needed: true, spec: { values: { sr: { kind: 'constant', value: 16000 } } } });
  });

  it('keeps datasets by role and flags figures from different datasets', () => {
    const w = ws({ datasets: { evaluation: { name: 'test.npy', data: { spec: { kind: 'npy', path: '/d/test.npy' } } } } });
    expect(experimentDataset(w, 'evaluation')?.name).toBe('test.npy');
    expect(experimentDataset(w, 'calibration')).toBeUndefined();
    const a = { name: 'a.npy', samples: 10, sha256: 'aa' };
    const b = { name: 'b.npy', samples: 10, sha256: 'bb' };
    expect(mixedDatasets([a, a, undefined])).toEqual([]);
    expect(mixedDatasets([a, b, a]).map((d) => d.name)).toEqual(['a.npy', 'b.npy']);
  });

  it('measures an accuracy drop in points against the original', () => {
    const original = { id: 'original', isOriginal: true, quality: 0.991 } as CompareRow;
    const pruned = { id: 'v', isOriginal: false, quality: 0.44 } as CompareRow;
    expect(accuracyDropPoints(pruned, original, 'accuracy')).toBeCloseTo(55.1, 5);
    expect(accuracyDropPoints(pruned, original, 'cosine')).toBeUndefined();
    expect(accuracyDropPoints(original, original, 'accuracy')).toBeUndefined();
  });
});
