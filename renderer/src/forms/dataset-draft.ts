/**
 * The dataset form's state and its conversion to a dataset spec (`shared/dataset-spec.ts`). The form keeps
 * text as typed; `buildDatasetSpec` checks it and names each wrong field, so the user hears about a typo
 * before a job is queued. The engine validates the spec again with the shared zod schema.
 */
import type { DatasetKind, DatasetSpecInput, ImagePreprocessing } from '../../../shared/dataset-spec.js';
import type { MethodCatalog, OptionField } from '../../../shared/method-catalog-types.js';
import { formatFieldText } from '../../../shared/options/cli-flags.js';
import { toOptions, validate } from './schema-fields.js';

/** Image preprocessing as typed, by option key (`size`, `mean`, ...): the keys of the catalog's image fields. */
export type ImageDraft = Record<string, string>;

/**
 * The image preprocessing fields of the catalog (shared/dataset-spec.ts declares them, with their flags), keyed
 * without their `preprocessing.` prefix. The form is generated from these.
 */
export function imageFieldsOf(catalog: MethodCatalog | undefined): OptionField[] {
  const fields = catalog?.datasets.find((d) => d.kind === 'images')?.fields ?? [];
  return fields
    .filter((f) => f.name.startsWith(PREFIX))
    .map((f) => ({ ...f, name: f.name.slice(PREFIX.length) }));
}

const PREFIX = 'preprocessing.';

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

/**
 * Short enough for the select of the narrowest card (Compare's Evaluate, a third of 1440 px): "Synthetic (random
 * inputs shaped like the model's)" was cut there. The hint under the field says the rest.
 */
export const DATASET_KIND_LABELS: Record<DatasetKind, string> = {
  synthetic: 'Synthetic (random inputs)',
  npy: 'NumPy .npy array',
  npz: 'NumPy .npz (an array per input)',
  jsonl: 'JSON Lines (.jsonl)',
  images: 'Image folder (a folder per class)',
};

/**
 * How a data file of each kind is laid out, said where the user picks the file (not only in the message of a
 * job that failed on it). The engine's readers (electron/engine/datasets/*-source.ts) define these layouts.
 */
export const DATASET_KIND_FORMATS: Partial<Record<DatasetKind, string>> = {
  npy:
    "One array whose first axis is the samples, for a model with one input, or for a language model's token ids " +
    "when the Model view's input spec sets its other inputs (mask, positions, cache).",
  npz: 'One array per model input, named like the input, first axis = samples.',
  jsonl:
    'One sample per line: {"inputs": {"x": [[0.1, 0.2], [0.3, 0.4]]}, "label": 3}. Each model input by name, as nested arrays ' +
    '(or {"dims": [2, 2], "data": [0.1, 0.2, 0.3, 0.4]}); "label" (a class index or target values) is optional, on every line or none.',
};

/**
 * A preprocessing field's placeholder: what an empty field means (its default, from the field's description,
 * e.g. `default: 0`), never an example value that reads as if it were set (ImageNet's mean where the default
 * is 0). The example goes into the hint instead (`imageFieldHint`).
 */
export function imageFieldPlaceholder(field: OptionField): string {
  const def = /\(default:? ([^;)]+)/.exec(field.description ?? '')?.[1];
  return def ? `default: ${def.trim()}` : '';
}

/** A preprocessing field's hint: its description, and its example marked as one. */
export function imageFieldHint(field: OptionField): string | undefined {
  if (!field.example || field.description?.includes(field.example)) return field.description;
  return `${field.description ?? ''} E.g. ${field.example}${field.name === 'mean' || field.name === 'std' ? ' (ImageNet models)' : ''}.`.trim();
}

export function emptyDatasetDraft(kind: DatasetKind = 'synthetic'): DatasetDraft {
  return {
    kind,
    path: '',
    labels: '',
    samples: '32',
    seed: '0',
    limit: '',
    image: {},
  };
}

export type DatasetBuild =
  { ok: true; spec: DatasetSpecInput } | { ok: false; errors: Partial<Record<string, string>> };

export function buildDatasetSpec(draft: DatasetDraft, imageFields: readonly OptionField[] = []): DatasetBuild {
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
      const preprocessing = buildPreprocessing(draft.image, imageFields, errors);
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

/** Checked and typed with the field rules the CLI's flags use (shared/options/cli-flags.ts). */
function buildPreprocessing(
  draft: ImageDraft,
  fields: readonly OptionField[],
  errors: Partial<Record<string, string>>,
): ImagePreprocessing {
  for (const [key, message] of Object.entries(validate(fields, draft))) errors[`image.${key}`] = message;
  // Only values the user typed: an empty field follows the model's input.
  const typed = fields.filter((f) => (draft[f.name] ?? '').trim() !== '');
  const out: Record<string, unknown> = {};
  for (const field of typed) {
    const value = toOptions([{ ...field, default: undefined }], draft)[field.name];
    if (value !== undefined) out[field.name] = value;
  }
  if (out.cropFraction !== undefined && out.resize !== 'shorter-side-crop') {
    errors['image.cropFraction'] ??= 'Crop fraction applies with Resize shorter-side-crop.';
  }
  return out as ImagePreprocessing;
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
export function draftFromSpec(spec: DatasetSpecInput, imageFields: readonly OptionField[] = []): DatasetDraft {
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
      const p = (spec.preprocessing ?? {}) as Record<string, unknown>;
      const image: ImageDraft = {};
      for (const [key, value] of Object.entries(p)) {
        const field = imageFields.find((f) => f.name === key);
        if (value !== undefined) image[key] = field ? formatFieldText(field, value) : String(value);
      }
      return { ...draft, path: spec.path, limit: spec.limit !== undefined ? String(spec.limit) : '', image };
    }
  }
}

/** Calibration reads inputs only: the same spec without labels. */
export function withoutLabels(spec: DatasetSpecInput): DatasetSpecInput {
  if (spec.kind !== 'npy' && spec.kind !== 'npz') return spec;
  const { labels: _labels, ...rest } = spec;
  return rest;
}
