/**
 * Labels of several values per sample are regression targets: the engine measures MAE, MSE and RMSE against them,
 * and Compare shows those figures (a user test saw only "The data has no labels" beside MAE 1.40 in its workspace).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { EvalReportInfo } from '../../../shared/job-reports.js';
import type { EvalRecord } from '../../../shared/workspace.js';
import { formatError, regressionRows } from '../state/regression-figures.js';
import { RegressionFigures } from './regression-figures.js';

const base: EvalReportInfo = {
  model: '/m/net.onnx',
  data: '/d/x.npy (labels /d/targets.npy)',
  samples: 360,
  task: 'regression',
  taskReason: "regression: labels are vectors; output 'logits' (float32 [1, 10]) vs 10-value targets",
  output: 'logits',
  seconds: 1,
  samplesPerSecond: 360,
  timing: { dataMs: 1, inferenceMs: 1, referenceMs: 0 },
  notes: [],
  mae: 1.4033,
  mse: 3.25,
  rmse: 1.8028,
};

function record(id: string, target: string, report: Partial<EvalReportInfo>): EvalRecord {
  return {
    id,
    createdAt: '2026-12-07T12:00:00Z',
    target,
    dataset: { name: 'x.npy + targets.npy', samples: 360, sha256: 'a'.repeat(64) },
    report: { ...base, ...report },
  };
}

const variants = [
  { id: 'original', label: 'original' },
  { id: 'v1', label: 'fp16' },
  { id: 'v2', label: 'int8-static' },
];

describe('regression figures', () => {
  it('gives each variant its latest labelled evaluation when that read the labels as values', () => {
    const rows = regressionRows(
      [
        record('e1', 'original', {}),
        record('e2', 'v1', { mae: 1.41, mse: 3.3, rmse: 1.81 }),
        // int8-static: regression first, then accuracy on class labels: its accuracy is its figure now.
        record('e3', 'v2', { mae: 2 }),
        record('e4', 'v2', { task: 'classification', accuracy: 0.99, mae: undefined }),
        // An evaluation without labels (fidelity only) does not hide the regression before it.
        record('e5', 'v1', { task: 'none', mae: undefined }),
      ],
      variants,
    );
    expect(rows.map((r) => [r.label, r.mae, r.output, r.data])).toEqual([
      ['original', 1.4033, 'logits', 'x.npy + targets.npy (360 samples)'],
      ['fp16', 1.41, 'logits', 'x.npy + targets.npy (360 samples)'],
    ]);
    expect(formatError(1.4033)).toBe('1.403');
    expect(formatError(0.0000123)).toBe('1.230e-5');
  });

  it('shows MAE, RMSE and MSE with the output compared, and nothing without regression', () => {
    const html = renderToStaticMarkup(
      <RegressionFigures evaluations={[record('e1', 'original', {})]} variants={variants} />,
    );
    expect(html).toContain('Error against the labels');
    expect(html).toContain('output “logits” is compared with them');
    expect(html).toMatch(
      /<th scope="row">original<\/th><td class="num">1\.403<\/td><td class="num">1\.803<\/td><td class="num">3\.250<\/td>/,
    );
    expect(
      renderToStaticMarkup(
        <RegressionFigures
          evaluations={[record('e1', 'original', { task: 'classification', accuracy: 0.9 })]}
          variants={variants}
        />,
      ),
    ).toBe('');
  });
});
