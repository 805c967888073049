import { describe, expect, it } from 'vitest';
import { datasetSpecSchema } from '../../../shared/dataset-spec.js';
import { buildMethodCatalog } from '../../../shared/options/method-catalog.js';
import { buildDatasetSpec, draftFromSpec, emptyDatasetDraft, imageFieldsOf, withoutLabels } from './dataset-draft.js';

/** The image fields as the page gets them: from the catalog the backend derives from the declarations. */
const imageFields = imageFieldsOf(buildMethodCatalog());

describe('dataset form', () => {
  it('builds a synthetic spec', () => {
    expect(buildDatasetSpec({ ...emptyDatasetDraft(), samples: '8', seed: '3' })).toEqual({
      ok: true,
      spec: { kind: 'synthetic', samples: 8, seed: 3 },
    });
  });

  it('builds an image folder spec with preprocessing the shared schema accepts', () => {
    const draft = emptyDatasetDraft('images');
    draft.path = '/data/imagenet-val';
    draft.limit = '500';
    draft.image = {
      ...draft.image,
      size: '224x192',
      resize: 'shorter-side-crop',
      cropFraction: '0.875',
      scale: '1/255',
      mean: '0.485, 0.456, 0.406',
      std: '0.229 0.224 0.225',
    };
    const built = buildDatasetSpec(draft, imageFields);
    expect(built).toEqual({
      ok: true,
      spec: {
        kind: 'images',
        path: '/data/imagenet-val',
        limit: 500,
        preprocessing: {
          size: [224, 192],
          resize: 'shorter-side-crop',
          cropFraction: 0.875,
          scale: 1 / 255,
          mean: [0.485, 0.456, 0.406],
          std: [0.229, 0.224, 0.225],
        },
      },
    });
    expect(built.ok && datasetSpecSchema.safeParse(built.spec).success).toBe(true);
  });

  it('names every wrong field, with the messages the CLI gives for the same text', () => {
    const draft = emptyDatasetDraft('images');
    draft.image = { ...draft.image, size: 'big', mean: '1,2,3,4', cropFraction: '2', scale: 'x', layout: 'nchw' };
    expect(buildDatasetSpec(draft, imageFields)).toEqual({
      ok: false,
      errors: {
        path: 'Enter the image folder.',
        'image.size': "Size expects H or HxW in pixels (like 224 or 224x192), got 'big'.",
        'image.cropFraction': 'Crop fraction must be at most 1.',
        'image.mean': 'Mean: give 1 or 3 values (one for every channel, or one per channel), got 4.',
        'image.scale': "Scale expects a number (like 0.5 or 1/255), got 'x'.",
      },
    });
    const crop = { ...emptyDatasetDraft('images'), path: '/imgs', image: { cropFraction: '0.875' } };
    expect(buildDatasetSpec(crop, imageFields)).toMatchObject({
      ok: false,
      errors: { 'image.cropFraction': 'Crop fraction applies with Resize shorter-side-crop.' },
    });
    // Every preprocessing option of the schema has a field, generated from its declaration.
    expect(imageFields.map((f) => f.name)).toEqual(['size', 'resize', 'cropFraction', 'interpolation', 'channels', 'layout', 'scale', 'mean', 'std', 'dtype']);
    expect(buildDatasetSpec({ ...emptyDatasetDraft('npy'), path: '/x.npy', limit: '0' })).toEqual({
      ok: false,
      errors: { limit: 'Limit must be a whole number of at least 1.' },
    });
  });

  it('round-trips a spec through the form and strips labels for calibration', () => {
    const spec = { kind: 'npy' as const, path: '/s/test-inputs.npy', labels: '/s/test-labels.npy' };
    expect(buildDatasetSpec(draftFromSpec(spec))).toEqual({ ok: true, spec });
    const images = { kind: 'images' as const, path: '/imgs', preprocessing: { size: [224, 192] as [number, number], mean: [0.5, 0.25, 0.125], scale: 1 / 255 } };
    expect(buildDatasetSpec(draftFromSpec(images, imageFields), imageFields)).toEqual({ ok: true, spec: images });
    expect(withoutLabels(spec)).toEqual({ kind: 'npy', path: '/s/test-inputs.npy' });
  });
});

import { renderToStaticMarkup } from 'react-dom/server';
import { createElement } from 'react';
import { DatasetForm } from './dataset-form.js';
import { HostContext } from '../host/host-context.js';
import type { ReactElement } from 'react';

/** The form as the page renders it, with a host that has no native dialogs. */
const render = (el: ReactElement) =>
  renderToStaticMarkup(createElement(HostContext.Provider, { value: { host: {} as never, appInfo: null } }, el));
import { imageFieldHint, imageFieldPlaceholder } from './dataset-draft.js';

describe('dataset form: what a field means before anything fails', () => {
  const field = (name: string) => imageFields.find((f) => f.name === name)!;

  it('shows what an empty Mean or Std means, not ImageNet values that read as set; the example is in the hint', () => {
    expect(imageFieldPlaceholder(field('mean'))).toBe('default: 0');
    expect(imageFieldPlaceholder(field('std'))).toBe('default: 1');
    expect(imageFieldPlaceholder(field('size'))).toBe('default: the model input');
    expect(imageFieldHint(field('mean'))).toMatch(/\(default 0\)\. E\.g\. 0\.485,0\.456,0\.406 \(ImageNet models\)\.$/);
    const html = render(
      createElement(DatasetForm, { draft: emptyDatasetDraft('images'), errors: {}, onChange: () => {}, legend: 'Data', imageFields }),
    );
    expect(html).not.toMatch(/placeholder="0\.485/);
    expect(html).toContain('placeholder="default: 0"');
  });

  it('says the .jsonl layout where the file is picked', () => {
    const html = render(
      createElement(DatasetForm, { draft: emptyDatasetDraft('jsonl'), errors: {}, onChange: () => {}, legend: 'Data', imageFields }),
    );
    expect(html).toContain('data-testid="dataset-format"');
    expect(html).toContain('One sample per line: {&quot;inputs&quot;: {&quot;x&quot;');
    expect(html).toContain('&quot;label&quot;');
    // Synthetic data has no file to describe.
    const synthetic = render(
      createElement(DatasetForm, { draft: emptyDatasetDraft(), errors: {}, onChange: () => {}, legend: 'Data', imageFields }),
    );
    expect(synthetic).not.toContain('dataset-format');
  });
});
