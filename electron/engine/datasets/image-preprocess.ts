import fs from 'node:fs';
import type { Sharp } from 'sharp';
import type { DatasetDtype, ImagePreprocessing } from '../../../shared/dataset-spec.js';
import type { ImageReading, ImageReadingField, ImageReadingSource, ImageSizeSide } from '../../../shared/image-reading.js';
import { StudioError } from '../errors.js';
import { float32ToFloat16Bits } from '../onnx/float16.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { isDatasetDtype, isFloatDtype, type NumericArray } from './element-convert.js';
import { formatDims } from './input-match.js';

/*
 * Image -> input tensor. sharp (libvips) decodes to 8-bit sRGB (alpha dropped, grayscale replicated, no EXIF
 * rotation) and resizes; the arithmetic after that is ours, so it is exact and testable:
 *   gray   = (R*19595 + G*38470 + B*7471 + 32768) >> 16   (ITU-R 601-2 luma, Pillow's convert('L'))
 *   value  = (pixel * scale - mean[c]) / std[c]             (float64)
 *   stored = the value rounded to the target dtype (integers: rounded to nearest and clamped)
 * Since a pixel has 256 possible values, each channel's 256 results are computed once into a lookup table.
 */

export interface ImagePlan {
  height: number;
  width: number;
  channels: 'rgb' | 'bgr' | 'gray';
  layout: 'nchw' | 'nhwc';
  resize: 'stretch' | 'shorter-side-crop';
  cropFraction: number;
  interpolation: 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';
  scale: number;
  /** One value per output channel. */
  mean: number[];
  std: number[];
  dtype: DatasetDtype;
  /** The dims a sample is fed with (batch 1 when the model has a batch axis). */
  dims: number[];
}

const KERNELS = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos3: 'lanczos3' } as const;

/**
 * sharp (libvips) is loaded on first use: loading it takes a few hundred milliseconds, which every CLI command
 * would otherwise pay at start-up, image folder or not.
 */
let sharpLoading: Promise<(file: string) => Sharp> | undefined;
function loadSharp(): Promise<(file: string) => Sharp> {
  sharpLoading ??= import('sharp').then((m) => (file: string) => m.default(file));
  return sharpLoading;
}

/**
 * The preprocessing for `input`: what the spec says, the rest from the model's input shape and type. `reading`
 * is the plan as reports carry it, saying which values the spec did not give (shared/image-reading.ts).
 * Errors name the input, its shape and the setting that does not fit.
 */
export function planImageInput(
  input: ResolvedInput,
  prep: ImagePreprocessing = {},
): { plan: ImagePlan; reading: ImageReading; notes: string[] } {
  const notes: string[] = [];
  // Set where a value is decided without the spec giving it: the model's input shape and type, or our default.
  const defaulted: Partial<Record<ImageReadingField | ImageSizeSide, ImageReadingSource>> = {};
  const declared = input.declared;
  const fail = (why: string) =>
    new StudioError('BAD_REQUEST', `Input '${input.name}' (${input.ortType} ${formatDims(declared)}) cannot take images: ${why}.`);
  if (declared.length !== 4 && declared.length !== 3) {
    throw fail('an image input has 4 dims ([N, C, H, W] or [N, H, W, C]) or 3 without the batch axis');
  }
  const off = declared.length - 3;
  if (off === 1) {
    const batch = declared[0];
    if (typeof batch === 'number' && batch > 1) {
      throw fail(`the model takes a fixed batch of ${batch} while images are fed one per run; export it with batch 1 or a dynamic batch axis`);
    }
  }
  const isChannelCount = (d: unknown) => d === 1 || d === 3;
  let layout = prep.layout;
  if (!layout) {
    if (isChannelCount(declared[off])) layout = 'nchw';
    else if (isChannelCount(declared[off + 2])) layout = 'nhwc';
    else throw fail('its channel axis is not 1 or 3 in either layout; pass --layout nchw|nhwc (and --channels)');
    defaulted.layout = 'model';
  }
  const cAxis = layout === 'nchw' ? off : off + 2;
  const hAxis = layout === 'nchw' ? off + 1 : off;
  const wAxis = hAxis + 1;
  const declaredC = declared[cAxis];
  // A --layout that puts the channels where the model has no channel count, where the other layout finds one
  // ([1, 3, 32, 32] with --layout nhwc): said as the contradiction it is, not as a channel dim of 32 to match.
  if (prep.layout && !isChannelCount(declaredC)) {
    const other = prep.layout === 'nchw' ? 'nhwc' : 'nchw';
    const otherAxis = other === 'nchw' ? off : off + 2;
    if (isChannelCount(declared[otherAxis])) {
      throw fail(
        `its shape looks ${other.toUpperCase()} (dim ${otherAxis} is ${String(declared[otherAxis])}), which --layout ${prep.layout} contradicts ` +
          `(its channel dim would be ${String(declaredC)}); drop --layout, or pass --layout ${other}`,
      );
    }
  }
  let channels = prep.channels;
  if (!channels) {
    if (declaredC === 1) channels = 'gray';
    else if (declaredC === 3) channels = 'rgb';
    else throw fail(`its channel dim is ${String(declaredC)}; pass --channels rgb|bgr|gray`);
    defaulted.channels = 'model';
  }
  const c = channels === 'gray' ? 1 : 3;
  if (typeof declaredC === 'number' && declaredC >= 0 && declaredC !== c) {
    throw fail(`${channels} images have ${c} channel${c > 1 ? 's' : ''} but the model's ${layout.toUpperCase()} channel dim is ${declaredC}`);
  }
  // The sides the model's input fixed (nothing gave them): the size is marked as the model's only when both were.
  const fromModel = new Set<ImageSizeSide>();
  const sizeOf = (axis: number, what: ImageSizeSide, given: number | undefined): number => {
    const d = declared[axis];
    if (given !== undefined) {
      if (typeof d === 'number' && d >= 0 && d !== given) throw fail(`--size gives ${what} ${given} but the model fixes it to ${d}`);
      return given;
    }
    if (typeof d === 'number' && d > 0) {
      fromModel.add(what);
      return d;
    }
    const resolved = input.dims[axis] ?? 1;
    // A size the user set (--dim, --shape, the app's spec) decides; a guess (224) must not resize real images.
    if (typeof d === 'string' && resolved > 1 && !input.guessedAxes?.includes(axis)) return resolved;
    throw fail(`its ${what} is not fixed by the model; pass --size H[xW]`);
  };
  const size = prep.size === undefined ? undefined : typeof prep.size === 'number' ? [prep.size, prep.size] : prep.size;
  const height = sizeOf(hAxis, 'height', size?.[0]);
  const width = sizeOf(wAxis, 'width', size?.[1]);
  if (fromModel.size === 2) defaulted.size = 'model';
  else for (const side of fromModel) defaulted[side] = 'model';
  if (!isDatasetDtype(input.ortType)) throw fail(`images cannot become ${input.ortType} values`);
  const dtype = input.ortType;
  if (prep.dtype && prep.dtype !== dtype) throw fail(`the preprocessing asks for ${prep.dtype} but the model takes ${dtype}`);
  if (dtype === 'bool') throw fail('images cannot become bool values');
  const perChannel = (values: number[] | undefined, fallback: number, what: string): number[] => {
    if (!values) return Array.from({ length: c }, () => fallback);
    if (values.length === 1) return Array.from({ length: c }, () => values[0]!);
    if (values.length !== c) throw fail(`--${what} has ${values.length} values; give 1 or ${c} (one per ${channels} channel)`);
    return values;
  };
  const scale = prep.scale ?? (isFloatDtype(dtype) ? 1 / 255 : 1);
  if (!prep.dtype) defaulted.dtype = 'model';
  for (const field of ['resize', 'cropFraction', 'interpolation', 'scale', 'mean', 'std'] as const)
    if (prep[field] === undefined) defaulted[field] = 'default';
  const plan: ImagePlan = {
    height,
    width,
    channels,
    layout,
    resize: prep.resize ?? 'stretch',
    cropFraction: prep.cropFraction ?? 1,
    interpolation: prep.interpolation ?? 'bilinear',
    scale,
    mean: perChannel(prep.mean, 0, 'mean'),
    std: perChannel(prep.std, 1, 'std'),
    dtype,
    dims: [
      ...(off === 1 ? [1] : []),
      ...(layout === 'nchw' ? [c, height, width] : [height, width, c]),
    ],
  };
  if (prep.scale === undefined && !isFloatDtype(dtype)) notes.push(`${dtype} input: pixels are not scaled (scale 1)`);
  return { plan, reading: readingOf(plan, defaulted), notes };
}

/** The plan as reports carry it: its words (the CLI's data line, the app's) are derived from this. */
function readingOf(plan: ImagePlan, defaulted: ImageReading['defaulted']): ImageReading {
  const crop = plan.resize === 'shorter-side-crop';
  // The crop share means nothing to a stretch: neither said nor counted as a default there.
  const { cropFraction: _cropFraction, ...rest } = defaulted;
  return {
    size: [plan.height, plan.width],
    channels: plan.channels,
    layout: plan.layout,
    resize: plan.resize,
    ...(crop ? { cropFraction: plan.cropFraction } : {}),
    interpolation: plan.interpolation,
    scale: plan.scale,
    mean: [...plan.mean],
    std: [...plan.std],
    dtype: plan.dtype,
    defaulted: crop ? defaulted : rest,
  };
}

/** Per-channel lookup tables: pixel value (0..255) -> stored element. */
type Tables = (Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array)[];

const INT_RANGES: Partial<Record<DatasetDtype, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  int64: [-(2 ** 53), 2 ** 53],
  uint64: [0, 2 ** 53],
};

function newArray(dtype: DatasetDtype, n: number): NumericArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
    case 'uint16':
      return new Uint16Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint64':
      return new BigUint64Array(n);
  }
}

/** The 256-entry lookup table of every output channel. */
export function pixelTables(plan: ImagePlan): Tables {
  return plan.mean.map((mean, c) => {
    const std = plan.std[c]!;
    const table = newArray(plan.dtype, 256);
    for (let p = 0; p < 256; p++) {
      const value = (p * plan.scale - mean) / std;
      const range = INT_RANGES[plan.dtype];
      if (plan.dtype === 'float16') (table as Uint16Array)[p] = float32ToFloat16Bits(value);
      else if (range) {
        const v = Math.min(range[1], Math.max(range[0], Math.round(value)));
        if (table instanceof BigInt64Array || table instanceof BigUint64Array) table[p] = BigInt(v);
        else table[p] = v;
      } else (table as Float32Array | Float64Array)[p] = value;
    }
    return table;
  });
}

/**
 * Decoded 8-bit pixels (`srcChannels` interleaved: 1 gray or 3 RGB, `height` x `width` = the plan's size)
 * as the tensor data the plan describes.
 */
export function pixelsToTensorData(pixels: Uint8Array, srcChannels: number, plan: ImagePlan, tables: Tables = pixelTables(plan)): NumericArray {
  const { height, width } = plan;
  const area = height * width;
  const c = plan.channels === 'gray' ? 1 : 3;
  if (pixels.length !== area * srcChannels) throw new Error(`expected ${area * srcChannels} pixel bytes, got ${pixels.length}`);
  const out = newArray(plan.dtype, area * c) as unknown as { [i: number]: number | bigint };
  const nchw = plan.layout === 'nchw';
  if (plan.channels === 'gray') {
    const t = tables[0]! as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < area; i++) {
      let g: number;
      if (srcChannels === 1) g = pixels[i]!;
      else {
        const s = i * srcChannels;
        g = (pixels[s]! * 19595 + pixels[s + 1]! * 38470 + pixels[s + 2]! * 7471 + 0x8000) >>> 16;
      }
      out[i] = t[g]!;
    }
    return out as unknown as NumericArray;
  }
  for (let k = 0; k < 3; k++) {
    const t = tables[k]! as unknown as ArrayLike<number | bigint>;
    // Output channel k reads source channel k (rgb) or 2 - k (bgr); gray sources feed all three.
    const src = srcChannels === 1 ? 0 : plan.channels === 'bgr' ? 2 - k : k;
    const step = srcChannels;
    if (nchw) {
      const base = k * area;
      for (let i = 0; i < area; i++) out[base + i] = t[pixels[i * step + src]!]!;
    } else {
      for (let i = 0; i < area; i++) out[i * 3 + k] = t[pixels[i * step + src]!]!;
    }
  }
  return out as unknown as NumericArray;
}

/**
 * Decodes and resizes one image file to the plan's size: 8-bit pixels, 3 channels (sRGB) or 1 (gray).
 * Errors are BAD_REQUEST errors naming `label`.
 */
export async function decodeImage(file: string, plan: ImagePlan, label: string): Promise<{ pixels: Uint8Array; channels: number }> {
  const kernel = KERNELS[plan.interpolation];
  const sharp = await loadSharp();
  let pipeline = sharp(file).removeAlpha();
  if (plan.resize === 'stretch') {
    pipeline = pipeline.resize(plan.width, plan.height, { fit: 'fill', kernel });
  } else if (plan.cropFraction === 1) {
    pipeline = pipeline.resize(plan.width, plan.height, { fit: 'cover', position: 'centre', kernel });
  } else {
    // Scale so the image covers size / cropFraction, then take the centre size x size.
    const outerW = Math.round(plan.width / plan.cropFraction);
    const outerH = Math.round(plan.height / plan.cropFraction);
    pipeline = pipeline
      .resize(outerW, outerH, { fit: 'cover', position: 'centre', kernel })
      .extract({ left: Math.floor((outerW - plan.width) / 2), top: Math.floor((outerH - plan.height) / 2), width: plan.width, height: plan.height });
  }
  try {
    const { data, info } = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== plan.width || info.height !== plan.height || (info.channels !== 1 && info.channels !== 3)) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${plan.width}x${plan.height}`);
    }
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), channels: info.channels };
  } catch (error) {
    const message = (error as Error).message;
    // sharp reports a file that vanished (or cannot be opened) by message, without an errno code; one removed
    // while it was being read fails in the decoder's words instead, so whether it is still there decides.
    if (
      /^Input file is missing/.test(message) ||
      (error as NodeJS.ErrnoException).code !== undefined ||
      !fs.existsSync(file)
    ) {
      throw new StudioError('IO', `Cannot read image ${label}: it is missing or unreadable (${message}).`);
    }
    throw new StudioError('BAD_REQUEST', `Cannot decode image ${label}: ${message}. Remove or replace the file.`);
  }
}
