/** A form generated from an option schema: one input per field, with the field's help and error. */
import { useId } from 'react';
import { describeConstraints, type FormValues, type OptionField } from './schema-fields.js';

export function SchemaForm({
  fields,
  values,
  errors,
  onChange,
  idPrefix,
}: {
  fields: readonly OptionField[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (values: FormValues) => void;
  /** Keeps input names unique when several forms are on the page. */
  idPrefix: string;
}) {
  if (fields.length === 0) return <p className="muted">No options: this method works as it is.</p>;
  return (
    <div className="schema-form">
      {fields.map((field) => (
        <SchemaField
          key={field.name}
          field={field}
          value={values[field.name]}
          error={errors[field.name]}
          name={`${idPrefix}.${field.name}`}
          onChange={(value) => onChange({ ...values, [field.name]: value })}
        />
      ))}
    </div>
  );
}

function SchemaField({
  field,
  value,
  error,
  name,
  onChange,
}: {
  field: OptionField;
  value: string | boolean | undefined;
  error: string | undefined;
  name: string;
  onChange: (value: string | boolean) => void;
}) {
  const id = useId();
  const help = error ?? field.description ?? describeConstraints(field);
  const describedBy = help ? `${id}-help` : undefined;
  if (field.type === 'boolean') {
    return (
      <div className="field field-check">
        <input
          id={id}
          name={name}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
          aria-describedby={describedBy}
        />
        <label htmlFor={id}>{field.label}</label>
        {help && (
          <p id={`${id}-help`} className={error ? 'field-error' : 'field-hint'}>
            {help}
          </p>
        )}
      </div>
    );
  }
  const text = typeof value === 'string' ? value : '';
  return (
    <div className="field">
      <label htmlFor={id}>
        {field.label}
        {field.required && <span aria-hidden="true"> *</span>}
      </label>
      {field.type === 'enum' ? (
        <select
          id={id}
          name={name}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={describedBy}
        >
          {!field.required && field.default === undefined && <option value="">(default)</option>}
          {field.choices?.map((c) => (
            <option key={c} value={c}>
              {c}
              {c === String(field.default) ? ' (default)' : ''}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={name}
          type="text"
          inputMode={field.type === 'number' || field.type === 'integer' ? 'decimal' : undefined}
          value={text}
          placeholder={
            field.example !== undefined
              ? field.example
              : field.type === 'string-list'
                ? 'comma-separated names'
                : field.default !== undefined
                ? JSON.stringify(field.default).replace(/^"|"$/g, '')
                : ''
          }
          onChange={(e) => onChange(e.target.value)}
          required={field.required}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
        />
      )}
      {help && (
        <p id={`${id}-help`} className={error ? 'field-error' : 'field-hint'}>
          {help}
        </p>
      )}
    </div>
  );
}
