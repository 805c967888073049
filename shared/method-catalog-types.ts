/**
 * The method catalog: every quantize and prune method and dataset kind with its options, as JSON Schema and as
 * ready-made form fields. The backend builds it from the engine's registries (shared/options/method-catalog.ts),
 * the app contract serves it (`studio:methods.list`), the Optimize view's forms and the CLI's flags are derived
 * from it. Plain types, importing nothing.
 */

/** The type of one form field; `json` is for anything richer (edit it as JSON text). */
export type OptionFieldType = 'boolean' | 'integer' | 'number' | 'string' | 'enum' | 'string-list' | 'json';

/** One option of a method, ready to render as a form control. Generated from the engine's zod schemas. */
export interface OptionField {
  /** Key in the options object; nested objects are flattened with dots (`preprocessing.resize`). */
  name: string;
  /** Human label, e.g. `Per tensor`. */
  label: string;
  type: OptionFieldType;
  /** Required fields have no default and must be filled in. */
  required: boolean;
  default?: unknown;
  description?: string;
  /** The allowed values, for `enum`. */
  choices?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  /** A regular expression a `string` must match. */
  pattern?: string;
  /** The `onnx-studio` flag that sets it, without dashes (shared/options/option-spec.ts). */
  flag?: string;
  /** Why it has no flag, when it has none. */
  appOnly?: string;
  /** What a value looks like (the input's placeholder; `--help`'s value name where there is no `metavar`). */
  example?: string;
  /**
   * `--help`'s name for the value where an example would read as a literal or a default (`--partition NAME`,
   * not `--partition cpu`); the example then follows the help text.
   */
  metavar?: string;
  /** Common options: the methods it applies to (absent: all of the family). */
  methods?: readonly string[];
  /** The value a flag without an argument sets (booleans: the opposite of the default). */
  switchTo?: string | number | boolean;
  /** How the CLI writes the value (shared/options/option-spec.ts `format`). */
  format?: 'size' | 'channels' | 'ratio';
}

export interface MethodDescription {
  /** The job kind whose `method` this is. */
  kind: 'quantize' | 'prune';
  name: string;
  summary: string;
  /** Whether the method needs `calibration` data (quantize jobs). */
  needsCalibration: boolean;
  /** Whether its output holds quantization ops, which every quantization method refuses (option-spec.ts). */
  quantizedOutput: boolean;
  /** The method's own options (`options` of the job spec) as JSON Schema (draft 2020-12, input side). */
  optionsSchema: Record<string, unknown>;
  /** The same options flattened into ready-made form fields, for renderers that prefer them. */
  fields: OptionField[];
}

export interface MethodFamily {
  /** Options every method of the family understands (`common` of the job spec), as JSON Schema. */
  commonSchema: Record<string, unknown>;
  /** The same as form fields. */
  commonFields: OptionField[];
  methods: MethodDescription[];
}

export interface DatasetKindDescription {
  kind: string;
  summary: string;
  /** The spec of this kind (shared/dataset-spec.ts) as JSON Schema. */
  schema: Record<string, unknown>;
  /** Fields of the spec besides `kind` (nested preprocessing flattened with dots). */
  fields: OptionField[];
}

/** Everything the Optimize view's forms are generated from (the engine's registries, never a copy). */
export interface MethodCatalog {
  quantize: MethodFamily;
  prune: MethodFamily;
  datasets: DatasetKindDescription[];
  /** Auto-optimize's options (shared/options/tune-options.ts), for its form. */
  tune: OptionField[];
}
