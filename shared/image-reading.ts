/**
 * How an image folder's images became the model's input: every value the engine used, and which of them the user
 * did not give (taken from the model's input, or the product's defaults). Declared once here: the engine builds it
 * (electron/engine/datasets/image-preprocess.ts), the eval report carries it (`imageReading`, docs/cli.md), the CLI's
 * data line and the app's Compare view and quality caption say it in words derived from it below, so no one parses
 * the engine's text back.
 */

/** The values an image reading has, in the order they are said. */
export const IMAGE_READING_FIELDS = [
  'size',
  'channels',
  'layout',
  'resize',
  'cropFraction',
  'interpolation',
  'scale',
  'mean',
  'std',
  'dtype',
] as const;
export type ImageReadingField = (typeof IMAGE_READING_FIELDS)[number];

/**
 * Where a value the user did not give came from: `model`, the model's input (its shape: size, layout, channels;
 * its element type: dtype); `default`, the product's default (stretch, bilinear, scale 1/255 for floats, mean 0,
 * std 1). A value absent from `defaulted` was given: by the dataset's preprocessing, or for the size by the input
 * spec's dims.
 */
export type ImageReadingSource = 'model' | 'default';

/**
 * The sides of the size, marked on their own where only one came from the model (`[1, 3, 224, 'W']` with
 * `--dim W=300`: the height is the model's, the width was given); `size` is marked only when both sides were.
 */
export type ImageSizeSide = 'height' | 'width';

export interface ImageReading {
  /** `[height, width]` in pixels. */
  size: [number, number];
  channels: 'rgb' | 'bgr' | 'gray';
  layout: 'nchw' | 'nhwc';
  resize: 'stretch' | 'shorter-side-crop';
  /** The crop's share of the resized image (1: the crop touches the shorter side); only with `shorter-side-crop`. */
  cropFraction?: number;
  interpolation: 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';
  /** Pixel multiplier (1/255 is 0.00392...). */
  scale: number;
  /** One value per output channel. */
  mean: number[];
  std: number[];
  /** The element type fed (onnxruntime's name). */
  dtype: string;
  /** The values the user did not give, and where each came from (a side of the size: ImageSizeSide). */
  defaulted: Partial<Record<ImageReadingField | ImageSizeSide, ImageReadingSource>>;
}

function fmtNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** One value in words, with the text that goes before it (the separators of the one-line form). */
interface Part {
  field: ImageReadingField;
  before: string;
  text: string;
  /** The text where it starts a group of its own: the filter without the brackets that tie it to the resize. */
  lead?: string;
  /** The text in the marked form where it carries its own marks (a size of one given side), in a group alone. */
  marked?: string;
}

const markedSize = (marked: string | undefined) => (marked ? { marked } : {});

/**
 * The size with a side marked where only that side was not given (`224 (model input) x 300`): said inside the
 * size, since the group's mark after it would claim both sides. Undefined where neither or both (`size`) were.
 */
function sideMarkedSize(r: ImageReading): string | undefined {
  const { height, width } = r.defaulted;
  if (r.defaulted.size || (!height && !width)) return undefined;
  const side = (v: number, source: ImageReadingSource | undefined) =>
    source ? `${v} (${MARKS[source].one})` : String(v);
  return `${side(r.size[0], height)} x ${side(r.size[1], width)}`;
}

function partsOf(r: ImageReading): Part[] {
  const scale = Math.abs(r.scale - 1 / 255) < 1e-15 ? '1/255' : fmtNumber(r.scale);
  const list = (v: number[]) =>
    v.every((x) => x === v[0]) ? fmtNumber(v[0]!) : `[${v.map(fmtNumber).join(', ')}]`;
  const crop = r.resize === 'shorter-side-crop' && r.cropFraction !== undefined && r.cropFraction !== 1;
  return [
    { field: 'size', before: '', text: `${r.size[0]}x${r.size[1]}`, ...markedSize(sideMarkedSize(r)) },
    { field: 'channels', before: ' ', text: r.channels },
    { field: 'layout', before: ' ', text: r.layout },
    { field: 'resize', before: ', ', text: r.resize },
    ...(crop ? [{ field: 'cropFraction' as const, before: ' ', text: fmtNumber(r.cropFraction!) }] : []),
    { field: 'interpolation', before: ' ', text: `(${r.interpolation})`, lead: r.interpolation },
    { field: 'scale', before: ', ', text: `scale ${scale}` },
    { field: 'mean', before: ', ', text: `mean ${list(r.mean)}` },
    { field: 'std', before: ', ', text: `std ${list(r.std)}` },
    { field: 'dtype', before: ', ', text: r.dtype },
  ];
}

/** The one-line form, as the CLI's `Data` line says it: `32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32`. */
export function imageReadingText(r: ImageReading): string {
  return partsOf(r)
    .map((p) => p.before + p.text)
    .join('');
}

const MARKS: Record<ImageReadingSource, { one: string; several: string }> = {
  model: { one: 'model input', several: 'model input' },
  default: { one: 'default', several: 'defaults' },
};

/**
 * The same words with the values the user did not give marked where they stand: runs of values from one source are
 * grouped, `·` between groups, each guessed group followed by where it came from:
 * `32x32 gray nchw (model input) · stretch (bilinear), scale 1/255, mean 0, std 1 (defaults) · float32 (model input)`.
 */
export function imageReadingGroups(r: ImageReading): { text: string; source?: ImageReadingSource }[] {
  const groups: { parts: Part[]; source: ImageReadingSource | undefined; alone?: true }[] = [];
  for (const part of partsOf(r)) {
    const source = r.defaulted[part.field];
    const last = groups.at(-1);
    // A size with its own marks starts a group that only given (unmarked) values join.
    if (part.marked !== undefined) groups.push({ parts: [part], source: undefined, alone: true });
    else if (last && last.source === source && (!last.alone || source === undefined)) last.parts.push(part);
    else groups.push({ parts: [part], source });
  }
  return groups.map(({ parts, source }) => {
    const words = parts
      .map((p, i) => p.marked ?? (i === 0 ? (p.lead ?? p.text) : p.before + p.text))
      .join('');
    if (!source) return { text: words };
    const mark = parts.length > 1 ? MARKS[source].several : MARKS[source].one;
    return { text: `${words} (${mark})`, source };
  });
}

/** `imageReadingGroups` as one line. */
export function imageReadingMarkedText(r: ImageReading): string {
  return imageReadingGroups(r)
    .map((g) => g.text)
    .join(' · ');
}
