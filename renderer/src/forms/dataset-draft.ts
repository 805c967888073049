/**
 * The dataset form's state and its conversion to a dataset spec (`shared/dataset-spec.ts`). The form keeps
 * text as typed; `buildDatasetSpec` checks it and names each wrong field, so the user hears about a typo
 * before a job is queued. The engine validates the spec again with the shared zod schema.
 */
import type { DatasetKind, DatasetSpecInput, ImagePreprocessing } from '../../../shared/dataset-spec.js';

export interface ImageDraft {
  size: string;
  resize: '' | 'stretch' | 'shorter-side-crop';
  cropFraction: string;
  interpolation: '' | 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';
  channels: '' | 'rgb' | 'bgr' | 'gray';
  layout: '' | 'nchw' | 'nhwc';
  scale: string;
  mean: string;
  std: string;
}

export interface DatasetDraft {
  kind: DatasetKind;
  /** File or folder (npy, npz, jsonl, images). */
  path: string;
  /** Optional `.npy` of labels (npy, npz). */
  labels: string;
  samples: string;
  seed: string;
  /** Use at most this many samples (files and folders). */
  limit: string;
  image: ImageDraft;
}

export const DATASET_KIND_LABELS: Record<DatasetKind, string> = {
  synthetic: 'Synthetic (random inputs shaped like the model’s)',
  npy: 'NumPy .npy array',
  npz: 'NumPy .npz archive (one array per input)',
  jsonl: 'JSON Lines (.jsonl)',
  images: 'Image folder (one sub-folder per class)',
};

export function emptyDatasetDraft(kind: DatasetKind = 'synthetic'): DatasetDraft {
  return {
    kind,
    path: '',
    labels: '',
    samples: '32',
    seed: '0',
    limit: '',
    image: {
      size: '',
      resize: '',
      cropFraction: '',
      interpolation: '',
      channels: '',
      layout: '',
      scale: '',
      mean: '',
      std: '',
    },
  };
}

export type DatasetBuild =
  { ok: true; spec: DatasetSpecInput } | { ok: false; errors: Partial<Record<string, string>> };

export function buildDatasetSpec(draft: DatasetDraft): DatasetBuild {
  const errors: Partial<Record<string, string>> = {};
  const int = (key: string, text: string, label: string, min: number): number | undefined => {
    if (text.trim() === '') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      errors[key] = `${label} must be a whole number of at least ${min}.`;
      return undefined;
    }
    return n;
  };

  if (draft.kind === 'synthetic') {
    const samples = int('samples', draft.samples, 'Samples', 1);
    if (draft.samples.trim() === '') errors.samples = 'Samples is required.';
    const seed = int('seed', draft.seed, 'Seed', 0);
    if (Object.keys(errors).length > 0 || samples === undefined) return { ok: false, errors };
    return { ok: true, spec: { kind: 'synthetic', samples, ...(seed !== undefined ? { seed } : {}) } };
  }

  const path = draft.path.trim();
  if (path === '') errors.path = draft.kind === 'images' ? 'Enter the image folder.' : 'Enter the data file.';
  else if (path.includes('\0')) errors.path = 'The path contains a NUL character.';
  const limit = int('limit', draft.limit, 'Limit', 1);
  const labels = draft.labels.trim();

  switch (draft.kind) {
    case 'npy':
    case 'npz': {
      if (Object.keys(errors).length > 0) return { ok: false, errors };
      return {
        ok: true,
        spec: {
          kind: draft.kind,
          path,
          ...(labels ? { labels } : {}),
          ...(limit !== undefined ? { limit } : {}),
        },
      };
    }
    case 'jsonl':
      if (Object.keys(errors).length > 0) return { ok: false, errors };
      return { ok: true, spec: { kind: 'jsonl', path, ...(limit !== undefined ? { limit } : {}) } };
    case 'images': {
      const preprocessing = buildPreprocessing(draft.image, errors);
      if (Object.keys(errors).length > 0) return { ok: false, errors };
      return {
        ok: true,
        spec: {
          kind: 'images',
          path,
          ...(preprocessing && Object.keys(preprocessing).length > 0 ? { preprocessing } : {}),
          ...(limit !== undefined ? { limit } : {}),
        },
      };
    }
  }
}

function buildPreprocessing(
  draft: ImageDraft,
  errors: Partial<Record<string, string>>,
): ImagePreprocessing | undefined {
  const out: ImagePreprocessing = {};
  const size = draft.size.trim();
  if (size !== '') {
    const match = /^(\d+)(?:\s*[x×,]\s*(\d+))?$/i.exec(size);
    const h = match ? Number(match[1]) : NaN;
    const w = match?.[2] !== undefined ? Number(match[2]) : h;
    if (!match || !(h >= 1) || !(w >= 1))
      errors['image.size'] = 'Write the size as 224 or 224x320 (height x width).';
    else out.size = h === w ? h : [h, w];
  }
  if (draft.resize) out.resize = draft.resize;
  if (draft.interpolation) out.interpolation = draft.interpolation;
  if (draft.channels) out.channels = draft.channels;
  if (draft.layout) out.layout = draft.layout;
  const crop = draft.cropFraction.trim();
  if (crop !== '') {
    const n = Number(crop);
    if (!(n > 0 && n <= 1))
      errors['image.cropFraction'] = 'Crop fraction must be more than 0 and at most 1, e.g. 0.875.';
    else out.cropFraction = n;
  }
  const scale = draft.scale.trim();
  if (scale !== '') {
    const n = parseScale(scale);
    if (n === undefined) errors['image.scale'] = 'Scale must be a number, e.g. 0.00392 or 1/255.';
    else out.scale = n;
  }
  for (const key of ['mean', 'std'] as const) {
    const text = draft[key].trim();
    if (text === '') continue;
    const values = text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    if (values.length < 1 || values.length > 3 || values.some((v) => !Number.isFinite(v))) {
      errors[`image.${key}`] =
        `${key === 'mean' ? 'Mean' : 'Std'} takes 1 or 3 numbers, e.g. 0.485, 0.456, 0.406.`;
    } else if (key === 'std' && values.includes(0)) {
      errors['image.std'] = 'Std values must not be 0.';
    } else {
      out[key] = values;
    }
  }
  return out;
}

/** "1/255" is how people write the usual scale; accept it as well as a decimal. */
function parseScale(text: string): number | undefined {
  const fraction = /^(-?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(text);
  const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** One line describing a spec, for job titles and reports. */
export function describeDataset(spec: DatasetSpecInput): string {
  switch (spec.kind) {
    case 'synthetic':
      return `synthetic (${spec.samples} samples, seed ${spec.seed ?? 0})`;
    case 'images':
      return `images in ${spec.path}`;
    default:
      return `${spec.kind} ${spec.path}`;
  }
}

/** A form draft showing an existing spec (e.g. the sample model's labelled test set). */
export function draftFromSpec(spec: DatasetSpecInput): DatasetDraft {
  const draft = emptyDatasetDraft(spec.kind);
  switch (spec.kind) {
    case 'synthetic':
      return { ...draft, samples: String(spec.samples), seed: String(spec.seed ?? 0) };
    case 'npy':
    case 'npz':
      return {
        ...draft,
        path: spec.path,
        labels: spec.labels ?? '',
        limit: spec.limit !== undefined ? String(spec.limit) : '',
      };
    case 'jsonl':
      return { ...draft, path: spec.path, limit: spec.limit !== undefined ? String(spec.limit) : '' };
    case 'images': {
      const p = spec.preprocessing ?? {};
      return {
        ...draft,
        path: spec.path,
        limit: spec.limit !== undefined ? String(spec.limit) : '',
        image: {
          size: p.size === undefined ? '' : Array.isArray(p.size) ? p.size.join('x') : String(p.size),
          resize: p.resize ?? '',
          cropFraction: p.cropFraction !== undefined ? String(p.cropFraction) : '',
          interpolation: p.interpolation ?? '',
          channels: p.channels ?? '',
          layout: p.layout ?? '',
          scale: p.scale !== undefined ? String(p.scale) : '',
          mean: p.mean?.join(', ') ?? '',
          std: p.std?.join(', ') ?? '',
        },
      };
    }
  }
}

/** Calibration reads inputs only: the same spec without labels. */
export function withoutLabels(spec: DatasetSpecInput): DatasetSpecInput {
  if (spec.kind !== 'npy' && spec.kind !== 'npz') return spec;
  const { labels: _labels, ...rest } = spec;
  return rest;
}
