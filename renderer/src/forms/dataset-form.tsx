/**
 * Pick or describe a dataset: synthetic inputs, a .npy/.npz/.jsonl file, or an image folder with its
 * preprocessing. Fields appear for the chosen kind only; errors come from `buildDatasetSpec`.
 */
import { useId } from 'react';
import type { DatasetKind } from '../../../shared/dataset-spec.js';
import { DATASET_KIND_LABELS, type DatasetDraft, type ImageDraft } from './dataset-draft.js';

/** The kinds in the order the menu lists them (the labels' keys: shared/dataset-spec.ts loads zod at runtime). */
const KINDS = Object.keys(DATASET_KIND_LABELS) as DatasetKind[];
import { PathField } from './path-field.js';

export function DatasetForm({
  draft,
  errors,
  onChange,
  legend,
}: {
  draft: DatasetDraft;
  errors: Partial<Record<string, string>>;
  onChange: (draft: DatasetDraft) => void;
  legend: string;
}) {
  const id = useId();
  const set = <K extends keyof DatasetDraft>(key: K, value: DatasetDraft[K]) =>
    onChange({ ...draft, [key]: value });
  const setImage = <K extends keyof ImageDraft>(key: K, value: ImageDraft[K]) =>
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
            real, labelled data.
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
          {(draft.kind === 'npy' || draft.kind === 'npz') && (
            <PathField
              label="Labels (optional .npy)"
              value={draft.labels}
              onChange={(v) => set('labels', v)}
              picker={{ mode: 'file', extensions: ['npy'] }}
              placeholder="/data/labels.npy"
              hint="Class indices or target values, one per sample. Without labels, variants are compared by fidelity to the original."
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
                <TextField
                  label="Size (H or HxW)"
                  value={draft.image.size}
                  onChange={(v) => setImage('size', v)}
                  error={errors['image.size']}
                  placeholder="224"
                />
                <SelectField
                  label="Resize"
                  value={draft.image.resize}
                  options={['', 'stretch', 'shorter-side-crop']}
                  onChange={(v) => setImage('resize', v as ImageDraft['resize'])}
                />
                <TextField
                  label="Crop fraction"
                  value={draft.image.cropFraction}
                  onChange={(v) => setImage('cropFraction', v)}
                  error={errors['image.cropFraction']}
                  placeholder="0.875"
                />
                <SelectField
                  label="Interpolation"
                  value={draft.image.interpolation}
                  options={['', 'bilinear', 'nearest', 'bicubic', 'lanczos3']}
                  onChange={(v) => setImage('interpolation', v as ImageDraft['interpolation'])}
                />
                <SelectField
                  label="Channels"
                  value={draft.image.channels}
                  options={['', 'rgb', 'bgr', 'gray']}
                  onChange={(v) => setImage('channels', v as ImageDraft['channels'])}
                />
                <SelectField
                  label="Layout"
                  value={draft.image.layout}
                  options={['', 'nchw', 'nhwc']}
                  onChange={(v) => setImage('layout', v as ImageDraft['layout'])}
                />
                <TextField
                  label="Scale"
                  value={draft.image.scale}
                  onChange={(v) => setImage('scale', v)}
                  error={errors['image.scale']}
                  placeholder="1/255"
                />
                <TextField
                  label="Mean"
                  value={draft.image.mean}
                  onChange={(v) => setImage('mean', v)}
                  error={errors['image.mean']}
                  placeholder="0.485, 0.456, 0.406"
                />
                <TextField
                  label="Std"
                  value={draft.image.std}
                  onChange={(v) => setImage('std', v)}
                  error={errors['image.std']}
                  placeholder="0.229, 0.224, 0.225"
                />
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
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  placeholder?: string;
}) {
  const id = useId();
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
        aria-describedby={error ? `${id}-err` : undefined}
      />
      {error && (
        <p id={`${id}-err`} className="field-error">
          {error}
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
}: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o === '' ? '(from the model)' : o}
          </option>
        ))}
      </select>
    </div>
  );
}
