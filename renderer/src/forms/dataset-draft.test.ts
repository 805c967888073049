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
