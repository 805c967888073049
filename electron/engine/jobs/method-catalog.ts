/**
 * The method catalog the Optimize view's forms are generated from: every registered quantization and
 * pruning method with its zod option schema turned into JSON Schema (`z.toJSONSchema`) and into flat form
 * fields, plus the dataset kinds. Nothing here is a copy of the engine's options: adding a method or an
 * option to a registry changes the forms.
 */
import { z } from 'zod';
import { DATASET_SPEC_SCHEMAS, DATASET_KINDS } from '../../../shared/dataset-spec.js';
import type {
  DatasetKindDescription,
  MethodCatalog,
  MethodFamily,
  OptionField,
  OptionFieldType,
} from '../../../shared/ipc-contract.js';
import { pruneMethods } from '../prune/all-methods.js';
import { commonPruneOptionsSchema } from '../prune/prune-method.js';
import { quantizeMethods } from '../quantize/all-methods.js';
import { commonQuantizeOptionsSchema } from '../quantize/quantize-method.js';

type JsonSchema = Record<string, unknown>;

/**
 * Help for options whose schema carries no `.describe()` text (the CLI's help lines, so the two agree).
 * A description in the schema itself wins.
 */
const DESCRIPTIONS: Record<string, string> = {
  perTensor: 'One scale per tensor instead of one per output channel.',
  asymmetric: 'Asymmetric weights with zero points (default: symmetric).',
  reduceRange: '7-bit weights, for CPUs without VNNI where 8-bit products can saturate.',
  opTypes: 'Only touch these op types, e.g. Conv, MatMul, Gemm (default: every type the method supports).',
  excludeNodes: 'Leave these nodes (by name) unchanged.',
  sparsity: 'Fraction to remove, 0 to 1: of the weights (magnitude) or of the output channels (structured).',
  scope: 'layer: every layer loses the same fraction. global: one ranking across layers.',
  calibMethod: 'How activation ranges come from the calibration samples: minmax, percentile or entropy.',
  percentile: 'With percentile calibration: the share of values (in %) the range must cover.',
  calibSamples: 'Use at most this many calibration samples.',
  activationType: 'Element type of quantized activations.',
  histogramBins: 'Histogram resolution for percentile and entropy calibration.',
  optimize: "Run onnxruntime's basic graph optimizations before quantizing (fuses BatchNorm into Conv).",
  form: 'fused: com.microsoft DynamicQuantizeMatMul (fastest in onnxruntime). onnx: standard ops, for other runtimes.',
  blockSize: 'Weights per quantization block: 32, 64 or 128 (smaller is more accurate, larger is smaller).',
  accuracyLevel:
    "MatMulNBits accuracy level (onnxruntime's compute precision for the activations; 4 = int8).",
  keepIoTypes: "Keep the model's inputs and outputs float32 (casts are inserted at the edges).",
  blockOpTypes: 'Also keep these op types in float32.',
  pattern: 'Keep N of every M consecutive weights, e.g. 2:4 (fixes the sparsity to 1 - N/M).',
  storage: 'sparse stores strongly pruned weights as ONNX sparse initializers when that is smaller.',
  criterion: 'How channels are ranked: by the L1 or L2 norm of their weights.',
  batchNormAware: "Scale channel scores by the following BatchNorm's gamma.",
  roundTo: 'Keep a multiple of this many channels per layer (hardware-friendly sizes).',
  maxLayerSparsity: 'No layer loses more than this fraction of its channels.',
  path: 'File or folder, absolute or relative to the data folder.',
  labels: 'A .npy of labels, one per sample (class indices or target values).',
  limit: 'Use only the first N samples.',
  samples: 'Number of random samples.',
  seed: 'Seed of the random generator (the same seed gives the same samples).',
};

const DATASET_SUMMARIES: Record<string, string> = {
  synthetic: 'Seeded random inputs shaped from the model (no labels: fidelity only).',
  npy: 'One .npy array for a single-input model (first axis = samples), optional labels .npy.',
  npz: 'A .npz with one array per model input, named like the inputs.',
  jsonl: 'One sample per line: {"inputs": {NAME: {"dims": [...], "data": [...]}}, "label": ...}.',
  images: 'A folder of images in class sub-folders (label = index of the sorted folder names).',
};

/** zod writes ±MAX_SAFE_INTEGER for `.int()` bounds; they say nothing to a user. */
const HUGE = 2 ** 52;

export function labelFromKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function toJsonSchema(schema: z.ZodType): JsonSchema {
  // Input side: fields with defaults are optional, which is what a form sends.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function fieldType(prop: JsonSchema): OptionFieldType {
  if (Array.isArray(prop.enum) && prop.enum.every((v) => typeof v === 'string')) return 'enum';
  switch (prop.type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'array': {
      const items = prop.items as JsonSchema | undefined;
      return items?.type === 'string' ? 'string-list' : 'json';
    }
    default:
      return 'json';
  }
}

function bound(value: unknown): number | undefined {
  return typeof value === 'number' && Math.abs(value) < HUGE ? value : undefined;
}

/** Flat form fields of an object schema; nested objects become dotted names (`preprocessing.resize`). */
export function fieldsOf(schema: JsonSchema, prefix = '', parentOptional = false): OptionField[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const fields: OptionField[] = [];
  for (const [key, prop] of Object.entries(properties)) {
    if (key === 'kind') continue;
    const name = prefix ? `${prefix}.${key}` : key;
    if (prop.type === 'object' && prop.properties) {
      fields.push(...fieldsOf(prop, name, parentOptional || !required.has(key)));
      continue;
    }
    const field: OptionField = {
      name,
      label: labelFromKey(key),
      type: fieldType(prop),
      required: !parentOptional && required.has(key) && prop.default === undefined,
    };
    const description = typeof prop.description === 'string' ? prop.description : DESCRIPTIONS[key];
    if (description) field.description = description;
    if (prop.default !== undefined) field.default = prop.default;
    if (field.type === 'enum') field.choices = prop.enum as string[];
    const min = bound(prop.minimum);
    const max = bound(prop.maximum);
    if (min !== undefined) field.minimum = min;
    if (max !== undefined) field.maximum = max;
    if (typeof prop.exclusiveMinimum === 'number') field.exclusiveMinimum = prop.exclusiveMinimum;
    if (typeof prop.exclusiveMaximum === 'number') field.exclusiveMaximum = prop.exclusiveMaximum;
    if (typeof prop.multipleOf === 'number') field.multipleOf = prop.multipleOf;
    if (typeof prop.pattern === 'string') field.pattern = prop.pattern;
    fields.push(field);
  }
  return fields;
}

function family(
  kind: 'quantize' | 'prune',
  common: z.ZodType,
  methods: { name: string; summary: string; optionSchema: z.ZodType; needsCalibration?: boolean }[],
): MethodFamily {
  const commonSchema = toJsonSchema(common);
  return {
    commonSchema,
    commonFields: fieldsOf(commonSchema),
    methods: methods.map((m) => {
      const optionsSchema = toJsonSchema(m.optionSchema);
      return {
        kind,
        name: m.name,
        summary: m.summary,
        needsCalibration: m.needsCalibration ?? false,
        optionsSchema,
        fields: fieldsOf(optionsSchema),
      };
    }),
  };
}

let cached: MethodCatalog | undefined;

/** The catalog (computed once: the registries are fixed after the method modules load). */
export function methodCatalog(): MethodCatalog {
  if (cached) return cached;
  const datasets: DatasetKindDescription[] = DATASET_KINDS.map((kind) => {
    const schema = toJsonSchema(DATASET_SPEC_SCHEMAS[kind]);
    return { kind, summary: DATASET_SUMMARIES[kind] ?? kind, schema, fields: fieldsOf(schema) };
  });
  cached = {
    quantize: family('quantize', commonQuantizeOptionsSchema, quantizeMethods()),
    prune: family('prune', commonPruneOptionsSchema, pruneMethods()),
    datasets,
  };
  return cached;
}
