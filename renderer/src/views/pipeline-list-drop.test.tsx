import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { DatasetIdentity, EvalRecord, PipelineRecord } from '../../../shared/workspace.js';
import { PipelineList } from './pipeline-list.js';

const evalSet: DatasetIdentity = { name: 'cnn_eval.npz', samples: 60, sha256: 'c'.repeat(64) };
const imgs: DatasetIdentity = { name: 'imgs', samples: 30, sha256: 'd'.repeat(64) };

const evaluation = (id: string, target: string, accuracy: number, dataset: DatasetIdentity) =>
  ({ id, createdAt: '', target, dataset, report: { accuracy } }) as unknown as EvalRecord;

const pipeline = {
  id: 'p1',
  title: 'Quantize: int8-static on imgs',
  status: 'done',
  variant: 'v-int8',
  steps: [
    { kind: 'make', title: 'Quantize: int8-static', status: 'done' },
    { kind: 'evaluate', title: 'Evaluate int8-static', status: 'done', recordId: 'e-own' },
  ],
} as unknown as PipelineRecord;

describe("a pipeline's accuracy badge", () => {
  it("shows its own evaluation's drop, not a later one on other data, and names the data", () => {
    const evaluations = [
      evaluation('e-o1', 'original', 1, evalSet),
      evaluation('e-own', 'v-int8', 2 / 3, evalSet),
      // Compare, later, on other data.
      evaluation('e-o2', 'original', 1, imgs),
      evaluation('e-later', 'v-int8', 0.7, imgs),
    ];
    const html = renderToStaticMarkup(
      <PipelineList pipelines={[pipeline]} evaluations={evaluations} onRerun={() => {}} />,
    );
    expect(html).toContain('−33.3 pts accuracy');
    expect(html).not.toContain('−30.0 pts');
    expect(html).toContain(
      'title="Accuracy lost in this pipeline&#x27;s evaluation: 66.67% on cnn_eval.npz (60 samples), against the original&#x27;s 100.00% on the same data."',
    );
  });
});
