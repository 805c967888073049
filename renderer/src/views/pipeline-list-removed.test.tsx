import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../../shared/workspace.js';
import { PipelineList } from './pipeline-list.js';

const done = {
  id: 'p1',
  title: 'Quantize: int8-dynamic',
  status: 'done',
  variant: 'v-1',
  steps: [{ kind: 'make', title: 'Quantize: int8-dynamic', status: 'done' }],
} as unknown as PipelineRecord;

describe('a pipeline whose variant was removed', () => {
  it('says so under its "done", and says nothing while the variant is there', () => {
    const render = (ids: string[]) =>
      renderToStaticMarkup(<PipelineList pipelines={[done]} variantIds={new Set(ids)} onRerun={() => {}} />);
    expect(render([])).toContain('Its variant was removed since: its results went with it.');
    expect(render(['v-1'])).not.toContain('was removed');
  });
});
