import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { HostContext } from '../host/host-context.js';
import type { StudioHost } from '../host/studio-host.js';
import { DatasetForm } from './dataset-form.js';
import { emptyDatasetDraft } from './dataset-draft.js';

function form(role?: 'calibration' | 'evaluation'): string {
  return renderToStaticMarkup(
    <HostContext.Provider value={{ host: {} as StudioHost, appInfo: null }}>
      <DatasetForm
        draft={{ ...emptyDatasetDraft(), kind: 'npy' }}
        errors={{}}
        onChange={() => {}}
        legend="Data"
        imageFields={[]}
        {...(role ? { role } : {})}
      />
    </HostContext.Provider>,
  );
}

describe('the dataset form', () => {
  it('asks for labels for evaluation data, where they give accuracy', () => {
    expect(form('evaluation')).toContain('Labels (optional .npy)');
    expect(form()).toContain('Labels (optional .npy)');
  });

  it('asks for no labels for calibration data, which reads inputs only', () => {
    const html = form('calibration');
    expect(html).not.toContain('Labels (optional .npy)');
    expect(html).not.toContain('compared by fidelity');
  });
});
