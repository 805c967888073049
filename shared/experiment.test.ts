import { describe, expect, it } from 'vitest';
import { applyExperimentChange, defaultDatasetName } from './experiment.js';

const NOW = '2026-12-05T00:00:00.000Z';
const test = { spec: { kind: 'npy' as const, path: '/s/test-inputs.npy', labels: '/s/test-labels.npy' } };
const other = { spec: { kind: 'npy' as const, path: '/s/other.npy' } };

describe('applyExperimentChange', () => {
  it('keeps the name of a dataset saved again unchanged without one (the form does not send names)', () => {
    const named = applyExperimentChange(undefined, { modelPath: '/m.onnx', datasets: { evaluation: { name: 'digits test set (sample)', data: test } } }, NOW);
    // Key order does not make it other data.
    const resaved = applyExperimentChange(named, { modelPath: '/m.onnx', datasets: { evaluation: { data: { spec: { labels: '/s/test-labels.npy', path: '/s/test-inputs.npy', kind: 'npy' as const } } } } }, NOW);
    expect(resaved.datasets?.evaluation?.name).toBe('digits test set (sample)');
    // Other data gets its file's name, and a name given wins.
    const replaced = applyExperimentChange(named, { modelPath: '/m.onnx', datasets: { evaluation: { data: other } } }, NOW);
    expect(replaced.datasets?.evaluation?.name).toBe('other.npy');
    const renamed = applyExperimentChange(named, { modelPath: '/m.onnx', datasets: { evaluation: { name: 'mine', data: test } } }, NOW);
    expect(renamed.datasets?.evaluation?.name).toBe('mine');
  });

  it('forgets on null and keeps what a request leaves out', () => {
    const both = applyExperimentChange(undefined, { modelPath: '/m.onnx', datasets: { evaluation: { data: test }, calibration: { data: other } } }, NOW);
    const forgot = applyExperimentChange(both, { modelPath: '/m.onnx', datasets: { calibration: null } }, NOW);
    expect(forgot.datasets?.calibration).toBeUndefined();
    expect(forgot.datasets?.evaluation?.name).toBe('test-inputs.npy + test-labels.npy');
  });
});

describe('defaultDatasetName', () => {
  it('names the labels file too, when the labels come from a separate file (user test d1.1)', () => {
    // The same inputs with class labels and with one-hot labels were both "test-inputs.npy (360 samples)".
    expect(defaultDatasetName(test.spec)).toBe('test-inputs.npy + test-labels.npy');
    expect(defaultDatasetName({ kind: 'npy', path: '/s/test-inputs.npy', labels: '/s/labels_onehot.npy' })).toBe('test-inputs.npy + labels_onehot.npy');
    expect(defaultDatasetName({ kind: 'npz', path: 'C:\\d\\x.npz', labels: 'C:\\d\\y.npy' })).toBe('x.npz + y.npy');
    expect(defaultDatasetName(other.spec)).toBe('other.npy');
    expect(defaultDatasetName({ kind: 'images', path: '/s/digits_imgs' })).toBe('digits_imgs');
    expect(defaultDatasetName({ kind: 'synthetic', samples: 8 })).toBe('synthetic');
  });
});
