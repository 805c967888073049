/**
 * A dataset spec: where evaluation, calibration and benchmark samples come from, and how raw data becomes
 * model inputs. One schema for the CLI (`--data SPEC.json`, or built from flags), the GUI's forms and
 * recipes. Objects are strict, so a misspelled field is an error instead of a silently ignored setting.
 *
 * Relative paths are resolved against the folder of the spec file (or the working directory when the spec
 * was built from command-line flags).
 */
import { z } from 'zod';
import { strictObject } from './unknown-keys.js';
import { option } from './options/option-spec.js';

/** The dataset kinds, one reader each (`electron/engine/datasets/`). */
export const DATASET_KINDS = ['synthetic', 'npy', 'npz', 'jsonl', 'images'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/** Element types a dataset can produce (onnxruntime's names). */
export const DATASET_DTYPES = [
  'float32',
  'float64',
  'float16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
] as const;
export type DatasetDtype = (typeof DATASET_DTYPES)[number];

/** Image file extensions an image folder reads (decoded with sharp/libvips), lower case. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif'] as const;

const positiveInt = z.number().int().positive();
const count = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const filePath = z
  .string()
  .min(1, 'The path is empty.')
  .refine((p) => !p.includes('\0'), 'The path contains a NUL character.');
const finite = z.number().finite();
/** Per-channel values: one for every channel, or one per channel of an RGB/BGR image. */
const oneOrThree = (values: number[]) => values.length !== 2;
const ONE_OR_THREE = 'give 1 or 3 values (one for every channel, or one per channel)';

/**
 * How an image becomes an input tensor, in this order: decode (8-bit sRGB, alpha dropped, no EXIF rotation)
 * -> resize -> channel order -> `(pixel * scale - mean[c]) / std[c]` in float64 -> the target dtype (floats
 * rounded to nearest, integers rounded and clamped to their range) -> layout.
 * Every field is optional: what is missing comes from the model's input (size, layout, channels, dtype).
 */
export const imagePreprocessingSchema = strictObject({
  /** Output height and width in pixels: one number for a square, or `[height, width]`. Default: the model's. */
  size: option(z.union([positiveInt, z.tuple([positiveInt, positiveInt])]).optional(), {
    description: 'Output size in pixels, H or HxW (default: the model input).',
    flag: 'size',
    format: 'size',
    example: '224 or 224x192',
  }),
  /**
   * `stretch` resizes to exactly the size (aspect ratio not kept; the default). `shorter-side-crop` scales the
   * image so it covers the size (shorter side / cropFraction), then takes the centre crop.
   */
  resize: option(z.enum(['stretch', 'shorter-side-crop']).optional(), {
    description: 'stretch (default) | shorter-side-crop (scale to cover, centre crop).',
    flag: 'resize',
  }),
  /**
   * With `shorter-side-crop`: the crop's share of the resized image, e.g. 0.875 for the classic ImageNet
   * "resize to 256, centre-crop 224". Default 1 (the crop touches the shorter side).
   */
  cropFraction: option(z.number().gt(0).max(1).optional(), {
    description: 'With shorter-side-crop: the crop share, e.g. 0.875 = resize 256, crop 224.',
    flag: 'crop-fraction',
    format: 'ratio',
    example: '0.875',
  }),
  /** Resampling filter (default `bilinear`). */
  interpolation: option(z.enum(['nearest', 'bilinear', 'bicubic', 'lanczos3']).optional(), {
    description: 'Resampling filter (default bilinear).',
    flag: 'interpolation',
  }),
  /** Channel order, or `gray` (ITU-R 601-2 luma, as Pillow's `convert('L')`). Default from the model: 1 -> gray, 3 -> rgb. */
  channels: option(z.enum(['rgb', 'bgr', 'gray']).optional(), {
    description: 'Channel order (default: rgb for 3 channels, gray for 1).',
    flag: 'channels',
  }),
  /** Default from the model's input shape (`[N, C, H, W]` vs `[N, H, W, C]`). */
  layout: option(z.enum(['nchw', 'nhwc']).optional(), {
    description: 'Tensor layout (default: from the model input shape).',
    flag: 'layout',
  }),
  /** Pixel multiplier (default 1/255 for float inputs, 1 for integer inputs). */
  scale: option(finite.optional(), {
    description: 'Pixel multiplier, e.g. 0.00392 or 1/255 (default 1/255; 1 for integer inputs).',
    flag: 'scale',
    format: 'ratio',
    example: '1/255',
  }),
  /** Subtracted after scaling: one value, or one per channel (default 0). */
  mean: option(z.array(finite).min(1).max(3).refine(oneOrThree, ONE_OR_THREE).optional(), {
    description: 'Subtracted after scaling: one value or one per channel (default 0).',
    flag: 'mean',
    format: 'channels',
    example: '0.485,0.456,0.406',
  }),
  /** Divided by after subtracting the mean: one value, or one per channel (default 1). */
  std: option(
    z
      .array(finite.refine((v) => v !== 0, 'std values must not be 0'))
      .min(1)
      .max(3)
      .refine(oneOrThree, ONE_OR_THREE)
      .optional(),
    {
      description: 'Divided by after the mean: one value or one per channel (default 1).',
      flag: 'std',
      format: 'channels',
      example: '0.229,0.224,0.225',
    },
  ),
  /** The tensor's element type; must be the model input's (which is the default). */
  dtype: option(z.enum(DATASET_DTYPES).optional(), {
    description: "The tensor element type (must be the model input's, the default).",
    flag: 'dtype',
  }),
}).refine((p) => p.cropFraction === undefined || p.resize === 'shorter-side-crop', {
  message: 'cropFraction applies with resize shorter-side-crop',
  path: ['cropFraction'],
});
export type ImagePreprocessing = z.infer<typeof imagePreprocessingSchema>;

/** Evaluate only the first `limit` samples (all when absent). */
const limit = count.optional().describe('Use only the first N samples.');
const dataPath = filePath.describe('File or folder, absolute or relative to the data folder.');
const labelsPath = option(filePath.optional(), {
  description: 'A .npy of labels, one per sample: class indices (integers) or target values (floats).',
  flag: 'labels',
  example: 'FILE.npy',
});

/** Seeded random inputs shaped from the model (open dims from `--dim`, else the app's guesses). No labels. */
export const syntheticSpecSchema = strictObject({
  kind: z.literal('synthetic'),
  samples: count.describe('Number of random samples.'),
  seed: option(z.number().int().min(0).max(0xffffffff).default(0), {
    description: 'Seed of the random generator (the same seed gives the same samples).',
    flag: 'seed',
  }),
});

/** One `.npy` array for a single-input model; the first axis is the sample axis. */
export const npySpecSchema = strictObject({
  kind: z.literal('npy'),
  path: dataPath,
  /** A `.npy` of labels, one per sample: class indices (integers) or target values. */
  labels: labelsPath,
  limit,
});

/** A `.npz` holding one array per model input (named like the inputs), optionally `labels` / `label`. */
export const npzSpecSchema = strictObject({
  kind: z.literal('npz'),
  path: dataPath,
  /** A separate `.npy` of labels (instead of a `labels` array inside the `.npz`). */
  labels: labelsPath,
  limit,
});

/** One sample per line: `{"inputs": {NAME: {"dims": [...], "data": [...]}}, "label": ...}`. */
export const jsonlSpecSchema = strictObject({
  kind: z.literal('jsonl'),
  path: dataPath,
  limit,
});

/**
 * A folder of images in class sub-folders (label = index of the sorted folder names), or a flat folder of
 * images without labels.
 */
export const imagesSpecSchema = strictObject({
  kind: z.literal('images'),
  path: dataPath,
  preprocessing: imagePreprocessingSchema.optional(),
  limit,
});

export const datasetSpecSchema = z.discriminatedUnion('kind', [
  syntheticSpecSchema,
  npySpecSchema,
  npzSpecSchema,
  jsonlSpecSchema,
  imagesSpecSchema,
]);

/** A validated dataset spec (defaults applied). */
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;
/** A dataset spec as written in a file or sent by the GUI (defaults not yet applied). */
export type DatasetSpecInput = z.input<typeof datasetSpecSchema>;
export type SyntheticSpec = z.infer<typeof syntheticSpecSchema>;
export type NpySpec = z.infer<typeof npySpecSchema>;
export type NpzSpec = z.infer<typeof npzSpecSchema>;
export type JsonlSpec = z.infer<typeof jsonlSpecSchema>;
export type ImagesSpec = z.infer<typeof imagesSpecSchema>;

/** One line per kind, for the catalog and the forms. */
export const DATASET_KIND_SUMMARIES: Record<DatasetKind, string> = {
  synthetic: 'Seeded random inputs shaped from the model (no labels: fidelity only).',
  npy: 'One .npy array for a single-input model (first axis = samples), optional labels .npy.',
  npz: 'A .npz with one array per model input, named like the inputs.',
  jsonl: 'One sample per line: {"inputs": {NAME: {"dims": [...], "data": [...]}}, "label": ...}.',
  images: 'A folder of images in class sub-folders (label = index of the sorted folder names).',
};

/** The schema of each kind, for generated forms and per-kind validation. */
export const DATASET_SPEC_SCHEMAS = {
  synthetic: syntheticSpecSchema,
  npy: npySpecSchema,
  npz: npzSpecSchema,
  jsonl: jsonlSpecSchema,
  images: imagesSpecSchema,
} as const satisfies Record<DatasetKind, z.ZodType>;

/**
 * The spec as calibration data: without its separate labels file, which calibration never reads (a tune that
 * calibrates on its evaluation data recorded `labels`, and running that recipe asked for the labels file).
 */
export function calibrationSpecOf<S extends DatasetSpecInput>(spec: S): S {
  if (!('labels' in spec) || spec.labels === undefined) return spec;
  const { labels: _labels, ...rest } = spec;
  return rest as S;
}

export { datasetLacksLabels } from './dataset-labels.js';

/** Zod's issues as one line: `preprocessing.mean: ...; foo: Unrecognized key`. */
export function describeSpecIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.map(String).join('.');
      return where ? `${where}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Validates a dataset spec; the error message is one line naming every wrong field. */
export function parseDatasetSpec(
  value: unknown,
): { ok: true; spec: DatasetSpec } | { ok: false; message: string } {
  const parsed = datasetSpecSchema.safeParse(value);
  return parsed.success
    ? { ok: true, spec: parsed.data }
    : { ok: false, message: describeSpecIssues(parsed.error) };
}
