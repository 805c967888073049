/**
 * Pick or describe a dataset: synthetic inputs, a .npy/.npz/.jsonl file, or an image folder with its
 * preprocessing. Fields appear for the chosen kind only; errors come from `buildDatasetSpec`.
 */
import { useId } from 'react';
import type { DatasetKind } from '../../../shared/dataset-spec.js';
import type { DatasetRole } from '../../../shared/workspace.js';
import type { OptionField } from '../../../shared/method-catalog-types.js';
import {
  DATASET_KIND_FORMATS,
  DATASET_KIND_LABELS,
  imageFieldHint,
  imageFieldPlaceholder,
  type DatasetDraft,
} from './dataset-draft.js';

/** The kinds in the order the menu lists them (the labels' keys: shared/dataset-spec.ts loads zod at runtime). */
const KINDS = Object.keys(DATASET_KIND_LABELS) as DatasetKind[];
import { PathField } from './path-field.js';

export function DatasetForm({
  draft,
  errors,
  onChange,
  legend,
  imageFields,
  role = 'evaluation',
}: {
  draft: DatasetDraft;
  errors: Partial<Record<string, string>>;
  onChange: (draft: DatasetDraft) => void;
  legend: string;
  /** The image preprocessing options, from the catalog (`imageFieldsOf`). */
  imageFields: readonly OptionField[];
  /** What the data is for: calibration reads inputs only, so its form asks for no labels. */
  role?: DatasetRole;
}) {
  const id = useId();
  const set = <K extends keyof DatasetDraft>(key: K, value: DatasetDraft[K]) =>
    onChange({ ...draft, [key]: value });
  const setImage = (key: string, value: string) =>
    onChange({ ...draft, image: { ...draft.image, [key]: value } });

  return (
    <fieldset className="dataset-form">
      <legend>{legend}</legend>
      <div className="field">
        <label htmlFor={`${id}-kind`}>Kind</label>
        <select
          id={`${id}-kind`}
          value={draft.kind}
          onChange={(e) => set('kind', e.target.value as DatasetKind)}
        >
          {KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {DATASET_KIND_LABELS[kind]}
            </option>
          ))}
        </select>
      </div>

      {draft.kind === 'synthetic' ? (
        <div className="field-row">
          <TextField
            label="Samples"
            value={draft.samples}
            onChange={(v) => set('samples', v)}
            error={errors.samples}
          />
          <TextField label="Seed" value={draft.seed} onChange={(v) => set('seed', v)} error={errors.seed} />
          <p className="field-hint wide">
            Random inputs shaped like the model’s. Good for a quick benchmark or calibration; accuracy needs
            real data: labelled, or a language model’s own token ids.
          </p>
        </div>
      ) : (
        <>
          <PathField
            label={draft.kind === 'images' ? 'Image folder' : 'Data file'}
            value={draft.path}
            onChange={(v) => set('path', v)}
            picker={draft.kind === 'images' ? { mode: 'folder' } : { mode: 'file', extensions: [draft.kind] }}
            placeholder={
              draft.kind === 'images'
                ? '/data/images (one sub-folder per class)'
                : `/data/samples.${draft.kind}`
            }
            hint="An absolute path on the machine running ONNX Studio."
            error={errors.path}
            testId="dataset-path"
          />
          {DATASET_KIND_FORMATS[draft.kind] && (
            <p className="field-hint wide dataset-format" data-testid="dataset-format">
              <strong>Format:</strong> {DATASET_KIND_FORMATS[draft.kind]}
            </p>
          )}
          {role === 'evaluation' && (draft.kind === 'npy' || draft.kind === 'npz') && (
            <PathField
              label="Labels (optional .npy)"
              value={draft.labels}
              onChange={(v) => set('labels', v)}
              picker={{ mode: 'file', extensions: ['npy'] }}
              placeholder="/data/labels.npy"
              hint="Class indices or target values, one per sample. Without labels, variants are compared by fidelity to the original, and a language model is graded on its own token ids (next-token accuracy)."
              error={errors.labels}
            />
          )}
          <TextField
            label="Use at most (samples)"
            value={draft.limit}
            onChange={(v) => set('limit', v)}
            error={errors.limit}
            placeholder="all"
          />
          {draft.kind === 'images' && (
            <details className="preprocessing" open>
              <summary>Preprocessing (empty fields follow the model’s input)</summary>
              <div className="field-row">
                {imageFields.map((field) =>
                  field.type === 'enum' ? (
                    <SelectField
                      key={field.name}
                      label={field.label}
                      value={draft.image[field.name] ?? ''}
                      options={['', ...(field.choices ?? [])]}
                      onChange={(v) => setImage(field.name, v)}
                      hint={field.description}
                    />
                  ) : (
                    <TextField
                      key={field.name}
                      label={field.label}
                      value={draft.image[field.name] ?? ''}
                      onChange={(v) => setImage(field.name, v)}
                      error={errors[`image.${field.name}`]}
                      placeholder={imageFieldPlaceholder(field)}
                      hint={imageFieldHint(field)}
                    />
                  ),
                )}
              </div>
            </details>
          )}
        </>
      )}
    </fieldset>
  );
}

function TextField({
  label,
  value,
  onChange,
  error,
  placeholder,
  hint,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  placeholder?: string;
  /** Shown under the field, replaced by the error while there is one. */
  hint?: string | undefined;
}) {
  const id = useId();
  const help = error ?? hint;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={help ? `${id}-help` : undefined}
      />
      {help && (
        <p id={`${id}-help`} className={error ? 'field-error' : 'field-hint'}>
          {help}
        </p>
      )}
    </div>
  );
}

function SelectField({
  label,
  value,
  options,
  onChange,
  hint,
}: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  hint?: string | undefined;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={hint ? `${id}-help` : undefined}
      >
        {options.map((o) => (
          <option key={o} value={o}>
            {o === '' ? '(from the model)' : o}
          </option>
        ))}
      </select>
      {hint && (
        <p id={`${id}-help`} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
