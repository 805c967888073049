import { describe, expect, it } from 'vitest';
import { applyExperimentChange } from './experiment.js';

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
    expect(forgot.datasets?.evaluation?.name).toBe('test-inputs.npy');
  });
});
