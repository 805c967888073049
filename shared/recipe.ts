/**
 * The recipe document: a whole experiment as data (`onnx-studio run RECIPE.json`, `onnx-studio recipe
 * VARIANT.onnx`, and the `onnx_studio.recipe` metadata every variant carries). It names its files by name and
 * sha256 only, never by a path of the machine that wrote it, so a recipe can be mailed, committed and run
 * elsewhere: `run` looks the files up beside the recipe (or in `--model` / `--data-dir`) and refuses one whose
 * hash differs. Documented in docs/cli.md ("Recipes").
 */
import { inputValuesSchema } from './input-spec-schema.js';
import { z } from 'zod';
import { nearestName } from './nearest-name.js';
import { objectKeys, strictObject, unknownKeysMessage } from './unknown-keys.js';
import { type DatasetSpecInput, datasetSpecSchema } from './dataset-spec.js';
import { EXECUTION_PROVIDERS } from './bench.js';
import type { MethodSpec } from './options/option-spec.js';
import { commonPruneOptionsSchema, PRUNE_METHOD_SPECS } from './options/prune-options.js';
import { commonQuantizeOptionsSchema, QUANTIZE_METHOD_SPECS } from './options/quantize-options.js';

export const RECIPE_VERSION = 1;

/** Metadata key under which a variant records the recipe that made it. */
export const RECIPE_METADATA_KEY = 'onnx_studio.recipe';

const fileName = z
  .string()
  .min(1)
  .refine((n) => !/[\\/\0]/.test(n) && n !== '.' && n !== '..', 'a file name, not a path');
const sha256 = z
  .string({
    error: (issue) =>
      issue.input === undefined ? 'missing: the sha256 of the file, as 64 lower-case hex digits' : undefined,
  })
  .regex(/^[0-9a-f]{64}$/, 'a sha256 as 64 lower-case hex digits');

/**
 * A file (or an image folder) by name and content hash. A folder's hash is the sha256 of its sorted
 * `relative/path\tsha256\n` lines (every file below it).
 */
export const fileRefSchema = strictObject({ name: fileName, sha256 });
export type FileRef = z.infer<typeof fileRefSchema>;

/**
 * A dataset by role: its spec with `path` / `labels` reduced to file names, and the hash of each file it names.
 * Synthetic data names no files.
 */
export const datasetRefSchema = strictObject({
  spec: datasetSpecSchema,
  files: z.array(fileRefSchema).default([]),
}).superRefine((ref, ctx) => {
  for (const name of datasetFileNames(ref.spec)) {
    if (!fileName.safeParse(name).success) {
      ctx.addIssue({ code: 'custom', path: ['spec'], message: `'${name}' must be a file name, not a path` });
    } else if (!ref.files.some((f) => f.name === name)) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: `no sha256 for '${name}'` });
    }
  }
});
export type DatasetRef = z.infer<typeof datasetRefSchema>;

/** The files a dataset spec names (data, then labels). */
export function datasetFileNames(spec: DatasetSpecInput): string[] {
  if (spec.kind === 'synthetic') return [];
  return 'labels' in spec && spec.labels !== undefined ? [spec.path, spec.labels] : [spec.path];
}

/**
 * Concrete sizes for symbolic dims (whole input shapes, or one value per dim name), and the values synthetic
 * data fills inputs with (`--value`), so synthetic calibration is made again exactly.
 */
export const inputSpecSchema = strictObject({
  // A 0 is judged against the model: only a KV cache's past length may be empty (cache-dims.ts).
  shapes: z.record(z.string(), z.array(z.number().int().min(0))).optional(),
  dims: z.record(z.string(), z.number().int().min(0)).optional(),
  values: z.record(z.string(), inputValuesSchema).optional(),
});
export type RecipeInputs = z.infer<typeof inputSpecSchema>;

const options = z.record(z.string(), z.unknown()).default({});

export const quantizeStepSchema = strictObject({
  kind: z.literal('quantize'),
  method: z.string(),
  common: options,
  options,
  /** Calibration data (methods that need it, e.g. int8-static). */
  calibration: datasetRefSchema.optional(),
});

export const pruneStepSchema = strictObject({
  kind: z.literal('prune'),
  method: z.string(),
  common: options,
  options,
});

/** Benchmark the current model, interleaved with the source (the baseline) unless `baseline` is false. */
export const benchStepSchema = strictObject({
  kind: z.literal('bench'),
  iterations: z.number().int().min(1).default(100),
  warmup: z.number().int().min(0).default(10),
  ep: z.enum(EXECUTION_PROVIDERS).default('cpu'),
  baseline: z.boolean().default(true),
});

/** Evaluate the current model on the evaluation data; with `reference`, also its fidelity to the source. */
export const evalStepSchema = strictObject({
  kind: z.literal('eval'),
  evaluation: datasetRefSchema,
  reference: z.boolean().default(true),
});

/** Write the current model (with its external data, if any) under this file name in the output folder. */
export const exportStepSchema = strictObject({
  kind: z.literal('export'),
  name: fileName.refine((n) => n.toLowerCase().endsWith('.onnx'), 'must end in .onnx'),
});

export const recipeStepSchema = z.discriminatedUnion(
  'kind',
  [pruneStepSchema, quantizeStepSchema, benchStepSchema, evalStepSchema, exportStepSchema],
  {
    // zod's own words ("Invalid discriminator value") name its machinery, not the recipe's field.
    error: (issue) =>
      issue.code === 'invalid_union' && 'options' in issue
        ? `a step's kind is one of ${(issue.options as unknown[]).join(', ')}${describeKind(issue.input)}`
        : undefined,
  },
);

/** `, not 'prune-all'` for the kind a step gave, or `, and this step has none`. */
function describeKind(step: unknown): string {
  const kind = typeof step === 'object' && step !== null ? (step as { kind?: unknown }).kind : undefined;
  return kind === undefined ? ', and this step has none' : `, not ${JSON.stringify(kind)}`;
}

export type RecipeStep = z.infer<typeof recipeStepSchema>;
export type TransformStep = z.infer<typeof quantizeStepSchema> | z.infer<typeof pruneStepSchema>;

const METHOD_SPECS: Record<TransformStep['kind'], Record<string, MethodSpec>> = {
  quantize: QUANTIZE_METHOD_SPECS,
  prune: PRUNE_METHOD_SPECS,
};
const COMMON_SCHEMAS = { quantize: commonQuantizeOptionsSchema, prune: commonPruneOptionsSchema };

export const recipeSchema = strictObject({
  version: z.literal(RECIPE_VERSION, {
    error: (issue) =>
      issue.input === undefined
        ? `missing: a recipe starts with "version": ${RECIPE_VERSION}`
        : `this onnx-studio runs recipes of version ${RECIPE_VERSION}, not ${JSON.stringify(issue.input)}`,
  }),
  tool: z.literal('onnx-studio').default('onnx-studio'),
  /** The model the first step reads: its file name and the sha256 of that .onnx file. */
  source: fileRefSchema,
  inputs: inputSpecSchema.default({}),
  steps: z.array(recipeStepSchema).min(1),
}).superRefine((recipe, ctx) => {
  recipe.steps.forEach((step, i) => {
    if (step.kind !== 'quantize' && step.kind !== 'prune') return;
    const specs = METHOD_SPECS[step.kind];
    const spec = Object.hasOwn(specs, step.method) ? specs[step.method] : undefined;
    if (!spec) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'method'],
        message: `unknown ${step.kind} method '${step.method}'${didYouMean(step.method, Object.keys(specs))}; it is one of ${Object.keys(specs).join(', ')}`,
      });
      return;
    }
    for (const [key, schema, value] of [
      ['common', COMMON_SCHEMAS[step.kind], step.common],
      ['options', spec.optionSchema, step.options],
    ] as const) {
      const parsed = (schema as z.ZodType).safeParse(value, { reportInput: true });
      if (!parsed.success) {
        const unknownKeys = (keys: readonly string[]) =>
          unknownKeysMessage(keys, objectKeys(schema as z.ZodType)) + elsewhere(step, key, keys);
        for (const issue of inRecipeWords(parsed.error.issues, unknownKeys))
          ctx.addIssue({ code: 'custom', path: ['steps', i, key, ...issue.path], message: issue.message });
      }
    }
    if (step.kind !== 'quantize') return;
    if (spec.needsCalibration && !step.calibration) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'calibration'],
        message: `${step.method} needs calibration data`,
      });
    } else if (!spec.needsCalibration && step.calibration) {
      // As the CLI refuses --calib-data for these methods: recorded, the data would be asked for by every run.
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'calibration'],
        message: noCalibrationDataMessage(step.method, ["'calibration'"]),
      });
    }
  });
});

/**
 * Where the unknown keys of a step's `common` or `options` belong instead, as the CLI says of a flag of another
 * method: `; 'blockSize' applies to int4 only, not int8-dynamic`, or `; 'sparsity' goes in common`. Nothing for a
 * key no method takes.
 */
function elsewhere(step: TransformStep, place: 'common' | 'options', keys: readonly string[]): string {
  const common = objectKeys(COMMON_SCHEMAS[step.kind] as z.ZodType);
  const specs = Object.values(METHOD_SPECS[step.kind]);
  return keys
    .map((k) => {
      if (place === 'options' && common.includes(k)) return `; '${k}' goes in common, not options`;
      const owners = specs.filter((m) => objectKeys(m.optionSchema).includes(k)).map((m) => m.name);
      if (owners.length === 0) return '';
      if (owners.includes(step.method)) return `; '${k}' goes in options, not common`;
      return `; '${k}' applies to ${owners.join(', ')} only, not ${step.method}`;
    })
    .join('');
}

export type Recipe = z.infer<typeof recipeSchema>;

/** ` (did you mean 'int8-dynamic'?)`, or nothing. */
function didYouMean(typed: string, names: readonly string[]): string {
  const near = nearestName(typed, names);
  return near === undefined ? '' : ` (did you mean '${near}'?)`;
}
export type RecipeInput = z.input<typeof recipeSchema>;

/**
 * Where a recipe issue is: its path (`source.sha256`), and inside a step the step's number too, counted from 1
 * as progress lines, file names and `steps[].step` count it, before the path that counts from 0:
 * `step 2 (steps.1.options.blockSize)`.
 */
function issueWhere(path: readonly PropertyKey[]): string {
  const dotted = path.map(String).join('.') || 'recipe';
  return path[0] === 'steps' && typeof path[1] === 'number' ? `step ${path[1] + 1} (${dotted})` : dotted;
}

/**
 * Validates a recipe; the message names every bad field by where it is (`step 2 (steps.1.options.blockSize):
 * ...`, `source.sha256: ...`). The CLI's `run` and the app's recorded recipes both read recipes through here.
 */
export function parseRecipe(
  value: unknown,
): { ok: true; recipe: Recipe } | { ok: false; message: string; issues: RecipeIssue[] } {
  // With the input each issue is about: a key given the wrong type is told apart from a key not given.
  const parsed = recipeSchema.safeParse(value, { reportInput: true });
  if (parsed.success) return { ok: true, recipe: parsed.data };
  const issues = inRecipeWords(parsed.error.issues);
  const message = issues.map((issue) => `${issueWhere(issue.path)}: ${issue.message}`).join('; ');
  return { ok: false, message, issues };
}

/**
 * The validator's issues in the recipe's words (parsed with `reportInput`, so `input` is the value found, and
 * undefined for a key not given): a key not given is `missing (number)`, one of the wrong type `expected number,
 * got string '100'` (zod's own "Invalid input: expected number, received string" names no value), and a misspelt
 * key, which is also a key missing, is said once, by the unknown key's "did you mean". `unknownKeys` words the
 * unknown keys of the place itself (path []), where its caller knows more than the key list.
 */
function inRecipeWords(
  issues: readonly z.core.$ZodIssue[],
  unknownKeys?: (keys: readonly string[]) => string,
): RecipeIssue[] {
  const misspelt = (issue: z.core.$ZodIssue) =>
    (issue.code === 'invalid_type' || issue.code === 'invalid_value') &&
    issue.input === undefined &&
    issues.some(
      (other) =>
        other.code === 'unrecognized_keys' &&
        samePath(other.path, issue.path.slice(0, -1)) &&
        other.keys.some((k) => nearestName(k, [String(issue.path.at(-1))]) !== undefined),
    );
  return issues
    .filter((issue) => !misspelt(issue))
    .map((issue) => ({
      path: issue.path,
      message:
        issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')
          ? typeMessage(issue.expected, issue.input)
          : issue.code === 'unrecognized_keys' && issue.path.length === 0 && unknownKeys
            ? unknownKeys(issue.keys)
            : issue.message,
    }));
}

/** `missing (number)` for a key not given, `expected number, got string '100'` for one of another type. */
function typeMessage(expected: string, input: unknown): string {
  const wanted = expected === 'int' ? 'a whole number' : expected;
  return input === undefined ? `missing (${wanted})` : `expected ${wanted}, got ${describeValue(input)}`;
}

/** A value as a message quotes it: `string '100'`, `16.5`, `null`, `an array`, `an object`. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `string ${JSON.stringify(value).replace(/^"|"$/g, "'")}`;
  if (Array.isArray(value)) return 'an array';
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

const samePath = (a: readonly PropertyKey[], b: readonly PropertyKey[]) =>
  a.length === b.length && a.every((k, i) => k === b[i]);

/** One thing wrong with a recipe: where (`['source', 'sha256']`), and what. */
export interface RecipeIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** The quantization methods that read calibration data (int8-static), for the messages that refuse data. */
export function calibratingMethods(): string[] {
  return Object.values(QUANTIZE_METHOD_SPECS as Record<string, MethodSpec>)
    .filter((m) => m.needsCalibration)
    .map((m) => m.name);
}

/**
 * The one sentence refusing calibration data for a method that reads none (readsCalibrationData false), as a
 * recipe's quantize step and `onnx-studio quantize` both say it: `given` names what was given in the words of the
 * place (the step's `'calibration'`, the command's `--calib-data`, `--seed`...). No final period: a recipe's issues
 * are joined with `; `.
 */
export function noCalibrationDataMessage(method: string, given: readonly string[]): string {
  const calibrating = calibratingMethods();
  const one = given.length === 1;
  return (
    `${given.join(', ')} ${one ? 'applies' : 'apply'} to ${calibrating.join(', ')} only ` +
    `(the data ${calibrating.length === 1 ? 'it calibrates' : 'they calibrate'} on), not ${method}, which reads no ` +
    `data: leave ${one ? 'it' : 'them'} out`
  );
}

/**
 * Whether a quantization method reads calibration data (`needsCalibration` of its spec: int8-static); undefined
 * for a method there is none of. A quantize step of a method that reads none takes no `calibration`.
 */
export function readsCalibrationData(method: string): boolean | undefined {
  const spec = Object.hasOwn(QUANTIZE_METHOD_SPECS, method)
    ? (QUANTIZE_METHOD_SPECS as Record<string, MethodSpec>)[method]
    : undefined;
  return spec ? spec.needsCalibration === true : undefined;
}

/** The steps that change the model (what a variant's recorded recipe holds). */
export function isTransformStep(step: RecipeStep): step is TransformStep {
  return step.kind === 'quantize' || step.kind === 'prune';
}
