/**
 * Auto-optimize's budget on evaluation data without labels (server-side render, no DOM): a language model's real
 * ids grade it (next-token accuracy), so its accuracy-drop budget is offered and said to be of that accuracy;
 * other data without labels keeps the cosine budget alone.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { MethodCatalog, OptionField } from '../../../shared/method-catalog-types.js';
import { LM_SUMMARY } from '../state/test-fixtures.js';
import type { Studio } from '../state/use-studio.js';
import type { EvaluationLabels } from '../state/evaluation-labels.js';
import { HostContext } from '../host/host-context.js';
import type { StudioHost } from '../host/studio-host.js';
import { AutoOptimizePanel, OWN_IDS_BUDGET } from './auto-optimize-panel.js';

const field = (name: string, label: string): OptionField => ({
  name,
  label,
  type: 'number',
  required: false,
});
const catalog = {
  tune: [field('maxAccuracyDrop', 'Max accuracy drop'), field('minCosine', 'Min cosine')],
} as unknown as MethodCatalog;
const studio = {
  state: { model: LM_SUMMARY, workspace: { variants: [], tunes: [] }, jobs: [] },
  variants: [],
} as unknown as Studio;

function panel(labels: EvaluationLabels): string {
  return renderToStaticMarkup(
    <HostContext.Provider value={{ host: {} as StudioHost, appInfo: null }}>
      <AutoOptimizePanel
        studio={studio}
        catalog={catalog}
        ready
        hasEvaluationData
        evaluationLabels={labels}
        prepareData={() => Promise.resolve(true)}
      />
    </HostContext.Provider>,
  );
}

describe("Auto-optimize's budget on a language model's own token ids", () => {
  it('offers the accuracy-drop budget, preset, and says it is next-token accuracy on the ids', () => {
    const html = panel('own-ids');
    // Before: the ids were "no labels", the accuracy field was hidden and the cosine budget preset.
    expect(html).toContain('Max accuracy drop');
    expect(html).toContain('value="0.5"');
    expect(html).toContain('data-testid="tune-own-ids"');
    expect(html).toContain('no labels: a language model is graded on its own token ids (next-token accuracy');
    expect(OWN_IDS_BUDGET).toContain('points of that next-token accuracy');
    expect(html).not.toContain('tune-budget-why');
  });

  it('keeps the cosine budget alone for data without labels that grades nothing (synthetic ids)', () => {
    const html = panel('none');
    expect(html).not.toContain('Max accuracy drop');
    expect(html).toContain('data-testid="tune-budget-why"');
    expect(html).not.toContain('tune-own-ids');
  });
});
