import { describe, expect, it } from 'vitest';
import { datasetSpecSchema } from '../../../shared/dataset-spec.js';
import { buildDatasetSpec, draftFromSpec, emptyDatasetDraft, withoutLabels } from './dataset-draft.js';

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
    const built = buildDatasetSpec(draft);
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

  it('names every wrong field', () => {
    const draft = emptyDatasetDraft('images');
    draft.image = { ...draft.image, size: 'big', std: '0', mean: '1,2,3,4', cropFraction: '2' };
    expect(buildDatasetSpec(draft)).toEqual({
      ok: false,
      errors: {
        path: 'Enter the image folder.',
        'image.size': 'Write the size as 224 or 224x320 (height x width).',
        'image.cropFraction': 'Crop fraction must be more than 0 and at most 1, e.g. 0.875.',
        'image.mean': 'Mean takes 1 or 3 numbers, e.g. 0.485, 0.456, 0.406.',
        'image.std': 'Std values must not be 0.',
      },
    });
    expect(buildDatasetSpec({ ...emptyDatasetDraft('npy'), path: '/x.npy', limit: '0' })).toEqual({
      ok: false,
      errors: { limit: 'Limit must be a whole number of at least 1.' },
    });
  });

  it('round-trips a spec through the form and strips labels for calibration', () => {
    const spec = { kind: 'npy' as const, path: '/s/test-inputs.npy', labels: '/s/test-labels.npy' };
    expect(buildDatasetSpec(draftFromSpec(spec))).toEqual({ ok: true, spec });
    expect(withoutLabels(spec)).toEqual({ kind: 'npy', path: '/s/test-inputs.npy' });
  });
});
