import fs from 'node:fs';
import path from 'node:path';
import { TensorProto_DataType as DT } from 'onnx-buf';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImagePreprocessing } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import { float32ToFloat16Bits } from '../onnx/float16.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { makeTempDir } from '../testing/temp-dir.js';
import type { DatasetSource } from './dataset-source.js';
import { classOrder, classOrderNote, imageFolderSource, listImages } from './image-folder-source.js';
import { surveyLabels } from './label-survey.js';
import { openDataset } from './open-dataset.js';
import type { Sample } from './sample-source.js';

const ELEM = { float32: DT.FLOAT, float16: DT.FLOAT16, uint8: DT.UINT8, float64: DT.DOUBLE } as const;

function imageInput(declared: (number | string | null)[], type: keyof typeof ELEM = 'float32', name = 'image'): ResolvedInput {
  return { name, elemType: ELEM[type], ortType: type, declared, dims: declared.map((d) => (typeof d === 'number' ? d : 1)) };
}

async function collect(source: DatasetSource): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of source.samples()) out.push(s);
  return out;
}

async function expectError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StudioError);
  expect((error as StudioError).code).toBe(code);
  expect((error as StudioError).message).toMatch(message);
}

/** Interleaved 8-bit pixels of a w x h image with `channels` channels, from f(x, y, c). */
function pixels(w: number, h: number, channels: number, f: (x: number, y: number, c: number) => number): Buffer {
  const out = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) out[(y * w + x) * channels + c] = f(x, y, c) & 255;
  return out;
}

async function writeImage(file: string, raw: Buffer, w: number, h: number, channels: 1 | 3, format: 'png' | 'jpeg' | 'webp'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(raw, { raw: { width: w, height: h, channels } });
  const encoded = format === 'png' ? img.png() : format === 'jpeg' ? img.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }) : img.webp({ lossless: true });
  await encoded.toFile(file);
}

const W = 5;
const H = 4;
const rgb = pixels(W, H, 3, (x, y, c) => 11 * x + 37 * y + 80 * c + 3);
const gray = pixels(W, H, 1, (x, y) => 50 * x + 13 * y);

describe('image folders', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let root: string;
  beforeAll(async () => {
    tmp = makeTempDir();
    root = path.join(tmp.dir, 'imgs');
    // Two classes; `b` also holds a nested folder, a non-image file and a hidden file.
    await writeImage(path.join(root, 'a', '0.png'), rgb, W, H, 3, 'png');
    await writeImage(path.join(root, 'b', '1.png'), gray, W, H, 1, 'png');
    await writeImage(path.join(root, 'b', 'deeper', '2.webp'), rgb, W, H, 3, 'webp');
    fs.writeFileSync(path.join(root, 'b', 'notes.txt'), 'not an image');
    fs.writeFileSync(path.join(root, 'b', '.hidden.png'), 'ignored');
    fs.mkdirSync(path.join(root, 'c-empty'));
  });
  afterAll(() => tmp.cleanup());

  const open = (dir: string, input: ResolvedInput, preprocessing?: ImagePreprocessing, limit?: number) =>
    openDataset({ kind: 'images', path: dir, ...(preprocessing ? { preprocessing } : {}), ...(limit ? { limit } : {}) }, [input]);

  it('labels images by sorted class folder, reads nested folders, and notes what it skipped', async () => {
    const source = await open(root, imageInput([1, 3, H, W]));
    expect(source.hasLabels).toBe(true);
    expect(source.classNames).toEqual(['a', 'b', 'c-empty']);
    expect(source.count).toBe(3);
    expect(source.notes).toEqual([
      'class folder without images: c-empty (class 2)',
      '1 non-image entry skipped: b/notes.txt',
    ]);
    expect(source.emptyClasses).toEqual(['c-empty']);
    expect(source.describe()).toMatch(/3 images in 3 classes; 4x5 rgb nchw, stretch \(bilinear\), scale 1\/255, mean 0, std 1, float32/);
    const samples = await collect(source);
    expect(samples.map((s) => [s.index, s.label])).toEqual([[0, 0], [1, 1], [2, 1]]);
  });

  it('sorts class folders all named by numbers as numbers (0, 1, 2, 10, 11), others as text, and says the order', async () => {
    const numbered = path.join(tmp.dir, 'numbered');
    for (const c of ['0', '1', '2', '10', '11']) await writeImage(path.join(numbered, c, 'x.png'), gray, W, H, 1, 'png');
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(numbered, '2', `readme-${i}.txt`), 'not an image');
    const listing = await listImages(numbered);
    expect(listing.classes).toEqual(['0', '1', '2', '10', '11']);
    expect(Array.from(listing.labels)).toEqual([0, 1, 2, 3, 4]);
    expect(listing.files[2]).toBe(path.join('2', 'x.png'));
    // The labels a survey reads come from the listing, in the order of the samples.
    const source = await open(numbered, imageInput([1, 1, H, W]));
    const survey = await surveyLabels(source);
    expect(survey).toMatchObject({ count: 5, classIds: true, minClass: 0, maxClass: 4 });
    // The first few skipped entries are named, and how many more.
    expect(source.notes).toContain('5 non-image entries skipped: 2/readme-0.txt, 2/readme-1.txt, 2/readme-2.txt and 2 more');

    expect(classOrder(['b', '10', '2']).classes).toEqual(['10', '2', 'b']);
    expect(classOrder(['07', '10', '7', '2'])).toEqual({ classes: ['2', '07', '7', '10'], numeric: true });
    expect(classOrderNote(listing.classes)).toBe(
      'class folders read as class ids in numeric order of their names: 0 → 0, 1 → 1, 2 → 2, 10 → 3, 11 → 4; ' +
        'the names are numbers that are not their class ids: check that the model scores the classes in this order',
    );
    expect(classOrderNote(['cat', 'dog'])).toBe('class folders read as class ids in sorted order of their names: cat → 0, dog → 1');
    expect(classOrderNote(Array.from({ length: 12 }, (_, i) => String(i)))).toBe(
      'class folders read as class ids in numeric order of their names: 0 → 0, 1 → 1, 2 → 2, 3 → 3, 4 → 4, ..., 11 → 11',
    );
  });

  it('computes (pixel * scale - mean) / std per channel, NCHW, exactly', async () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const [sample] = await collect(await open(root, imageInput(['batch', 3, H, W]), { mean, std }, 1));
    const t = sample!.inputs.image!;
    expect(t.dims).toEqual([1, 3, H, W]);
    const data = t.data as Float32Array;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const p = rgb[(y * W + x) * 3 + c]!;
          expect(data[c * H * W + y * W + x]).toBe(Math.fround((p * (1 / 255) - mean[c]!) / std[c]!));
        }
      }
    }
  });

  it('writes NHWC in BGR order, and uint8 inputs get the raw pixels', async () => {
    const [bgr] = await collect(await open(root, imageInput([1, H, W, 3]), { channels: 'bgr', scale: 2, mean: [1] }, 1));
    const data = bgr!.inputs.image!.data as Float32Array;
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) expect(data[i * 3 + c]).toBe(rgb[i * 3 + (2 - c)]! * 2 - 1);
    const [u8] = await collect(await open(root, imageInput([1, H, W, 3], 'uint8'), undefined, 1));
    expect(Buffer.from(u8!.inputs.image!.data as Uint8Array).equals(rgb)).toBe(true);
  });

  it('converts to gray with the ITU-R 601-2 luma (as Pillow does) and keeps gray images exact', async () => {
    const samples = await collect(await open(root, imageInput([1, 1, H, W], 'uint8')));
    const fromRgb = samples[0]!.inputs.image!.data as Uint8Array;
    for (let i = 0; i < W * H; i++) {
      const [r, g, b] = [rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!];
      expect(fromRgb[i]).toBe((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
    }
    expect(Buffer.from(samples[1]!.inputs.image!.data as Uint8Array).equals(gray)).toBe(true);
    // A gray image fed to an RGB model has its value in all three channels; lossless WebP decodes exactly.
    const rgbModel = await collect(await open(root, imageInput([1, 3, H, W], 'uint8')));
    const g3 = rgbModel[1]!.inputs.image!.data as Uint8Array;
    for (let c = 0; c < 3; c++) expect(Buffer.from(g3.subarray(c * W * H, (c + 1) * W * H)).equals(gray)).toBe(true);
    const webp = rgbModel[2]!.inputs.image!.data as Uint8Array;
    for (let i = 0; i < W * H; i++) expect(webp[i]).toBe(rgb[i * 3]);
  });

  it('rounds to float16 and float64 targets', async () => {
    const [h] = await collect(await open(root, imageInput([1, 3, H, W], 'float16'), { scale: 1 / 3 }, 1));
    const bits = h!.inputs.image!.data as Uint16Array;
    for (let i = 0; i < W * H; i++) expect(bits[i]).toBe(float32ToFloat16Bits(rgb[i * 3]! / 3));
    const [d] = await collect(await open(root, imageInput([1, 3, H, W], 'float64'), { scale: 1 / 3 }, 1));
    expect((d!.inputs.image!.data as Float64Array)[0]).toBe(rgb[0]! * (1 / 3));
  });

  it('decodes JPEG like sharp does and close to the original pixels', async () => {
    const dir = path.join(tmp.dir, 'jpeg');
    await writeImage(path.join(dir, 'x', 'rgb.jpg'), rgb, W, H, 3, 'jpeg');
    await writeImage(path.join(dir, 'y', 'gray.jpeg'), gray, W, H, 1, 'jpeg');
    const samples = await collect(await open(dir, imageInput([1, H, W, 3], 'uint8')));
    const reference = await sharp(path.join(dir, 'x', 'rgb.jpg')).raw().toBuffer();
    expect(Buffer.from(samples[0]!.inputs.image!.data as Uint8Array).equals(reference)).toBe(true);
    const decoded = samples[0]!.inputs.image!.data as Uint8Array;
    for (let i = 0; i < decoded.length; i++) expect(Math.abs(decoded[i]! - rgb[i]!)).toBeLessThanOrEqual(4);
    const g = samples[1]!.inputs.image!.data as Uint8Array;
    for (let i = 0; i < W * H; i++) expect(Math.abs(g[i * 3]! - gray[i]!)).toBeLessThanOrEqual(4);
  });

  it('shorter-side-crop takes the centre; a crop fraction takes a smaller centre; stretch keeps a flat image flat', async () => {
    const dir = path.join(tmp.dir, 'crop');
    await writeImage(path.join(dir, 'wide.png'), pixels(12, 8, 1, (x, y) => x * 10 + y), 12, 8, 1, 'png');
    await writeImage(path.join(dir, 'tall.png'), pixels(16, 16, 1, (x, y) => x * 16 + y), 16, 16, 1, 'png');
    await writeImage(path.join(dir, 'zflat.png'), pixels(30, 10, 1, () => 77), 30, 10, 1, 'png');
    const source = await open(dir, imageInput([1, 1, 8, 8], 'uint8'), { resize: 'shorter-side-crop' });
    expect(source.hasLabels).toBe(false);
    const samples = await collect(source);
    const wide = samples[1]!.inputs.image!.data as Uint8Array; // sorted: tall, wide, zflat
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(wide[y * 8 + x]).toBe((x + 2) * 10 + y);
    const [tall] = await collect(await open(dir, imageInput([1, 1, 8, 8], 'uint8'), { resize: 'shorter-side-crop', cropFraction: 0.5 }, 1));
    const t = tall!.inputs.image!.data as Uint8Array;
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(t[y * 8 + x]).toBe(((x + 4) * 16 + y + 4) & 255);
    const stretched = await collect(await open(dir, imageInput([1, 1, 8, 8], 'uint8'), { interpolation: 'bicubic' }));
    expect([...(stretched[2]!.inputs.image!.data as Uint8Array)].every((v) => v === 77)).toBe(true);
  });

  it('spreads a limited run over all classes, and keeps the sorted order however decodes finish', async () => {
    const dir = path.join(tmp.dir, 'spread');
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 4; i++) await writeImage(path.join(dir, `class${c}`, `${i}.png`), pixels(2, 2, 1, () => c * 10 + i), 2, 2, 1, 'png');
    }
    const all = await collect(await open(dir, imageInput([1, 1, 2, 2], 'uint8')));
    expect(all.map((s) => (s.inputs.image!.data as Uint8Array)[0])).toEqual([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    const three = await collect(await open(dir, imageInput([1, 1, 2, 2], 'uint8'), undefined, 3));
    expect(three.map((s) => s.label)).toEqual([0, 1, 2]);
  });

  it('decodes no further ahead of the consumer than its read-ahead window', async () => {
    const dir = path.join(tmp.dir, 'lazy');
    for (let i = 0; i < 12; i++) await writeImage(path.join(dir, `${String(i).padStart(2, '0')}.png`), pixels(2, 2, 1, () => i), 2, 2, 1, 'png');
    const source = await imageFolderSource(dir, imageInput([1, 1, 2, 2], 'uint8'), { path: dir }, { concurrency: 3 });
    const iterator = source.samples()[Symbol.asyncIterator]();
    expect(((await iterator.next()).value as Sample).index).toBe(0);
    // Samples 0 to 3 have been started (the consumer's one plus a window of 3); remove every later file.
    for (let i = 4; i < 12; i++) fs.rmSync(path.join(dir, `${String(i).padStart(2, '0')}.png`));
    for (let i = 1; i <= 3; i++) expect(((await iterator.next()).value as Sample).index).toBe(i);
    // Sample 4 was never read before its files disappeared: the source had not run ahead.
    await expectError(iterator.next(), 'IO', /Cannot read image .*04\.png/);
  });

  it('checks the model input before reading any image', async () => {
    await expectError(open(root, imageInput([1, 3, H, W]), { channels: 'gray' }), 'BAD_REQUEST', /Input 'image' \(float32 \[1, 3, 4, 5\]\) cannot take images: gray images have 1 channel but the model's NCHW channel dim is 3/);
    await expectError(open(root, imageInput([1, 3, 224, 224]), { size: 256 }), 'BAD_REQUEST', /--size gives height 256 but the model fixes it to 224/);
    await expectError(open(root, imageInput(['n', 3, 'h', 'w'])), 'BAD_REQUEST', /height is not fixed by the model; pass --size/);
    await expectError(open(root, imageInput([4, 3, H, W])), 'BAD_REQUEST', /fixed batch of 4/);
    await expectError(open(root, imageInput(['n', 16])), 'BAD_REQUEST', /an image input has 4 dims/);
    await expectError(open(root, imageInput([1, 3, H, W]), { mean: [1, 2] }), 'BAD_REQUEST', /--mean has 2 values; give 1 or 3/);
    const ok = await open(root, imageInput(['n', 3, 'h', 'w']), { size: [H, W] });
    expect((await collect(ok))[0]!.inputs.image!.dims).toEqual([1, 3, H, W]);
    // A size the CLI guessed for synthetic data (224) does not resize real images; a size the user set does.
    const guessed = { ...imageInput(['n', 3, 'h', 'w']), dims: [1, 3, 224, 224], guessedAxes: [2, 3] };
    await expectError(open(root, guessed), 'BAD_REQUEST', /height is not fixed by the model; pass --size/);
    const set = await open(root, { ...guessed, dims: [1, 3, H, W], guessedAxes: [0] });
    expect((await collect(set))[0]!.inputs.image!.dims).toEqual([1, 3, H, W]);
  });

  it('says that a --layout contradicts the layout the model input has, instead of asking for its channel count', async () => {
    // The user test: an NCHW [1, 3, 32, 32] input with --layout nhwc was told "its channel dim is 32; pass
    // --channels rgb|bgr|gray", and with --channels rgb "the model's NHWC channel dim is 32".
    const contradiction = /Input 'image' \(float32 \[1, 3, 4, 5\]\) cannot take images: its shape looks NCHW \(dim 1 is 3\), which --layout nhwc contradicts \(its channel dim would be 5\); drop --layout, or pass --layout nchw\.$/;
    await expectError(open(root, imageInput([1, 3, H, W]), { layout: 'nhwc' }), 'BAD_REQUEST', contradiction);
    await expectError(open(root, imageInput([1, 3, H, W]), { layout: 'nhwc', channels: 'rgb' }), 'BAD_REQUEST', contradiction);
    await expectError(open(root, imageInput([H, W, 3]), { layout: 'nchw' }), 'BAD_REQUEST', /its shape looks NHWC \(dim 2 is 3\), which --layout nchw contradicts \(its channel dim would be 4\); drop --layout, or pass --layout nhwc\.$/);
    // Either way, what the message says works.
    expect((await collect(await open(root, imageInput([1, 3, H, W]), { layout: 'nchw' })))[0]!.inputs.image!.dims).toEqual([1, 3, H, W]);
    expect((await collect(await open(root, imageInput([1, 3, H, W]))))[0]!.inputs.image!.dims).toEqual([1, 3, H, W]);
  });

  it('reports corrupt images, empty folders and missing folders as user errors', async () => {
    const dir = path.join(tmp.dir, 'corrupt');
    await writeImage(path.join(dir, 'a', '0.png'), rgb, W, H, 3, 'png');
    fs.writeFileSync(path.join(dir, 'a', '1.jpg'), Buffer.from('definitely not a jpeg'));
    const truncated = fs.readFileSync(path.join(dir, 'a', '0.png')).subarray(0, 60);
    fs.writeFileSync(path.join(dir, 'a', '2.png'), truncated);
    const source = await open(dir, imageInput([1, 3, H, W]));
    const seen: number[] = [];
    const error = await (async () => {
      for await (const s of source.samples()) seen.push(s.index);
    })().then(() => undefined, (e: unknown) => e);
    expect(seen).toEqual([0]);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('BAD_REQUEST');
    expect((error as StudioError).message).toMatch(/Cannot decode image .*a\/1\.jpg: .*Remove or replace the file\./);
    const empty = path.join(tmp.dir, 'empty');
    fs.mkdirSync(path.join(empty, 'cats'), { recursive: true });
    fs.writeFileSync(path.join(empty, 'cats', 'readme.md'), 'no images here');
    await expectError(open(empty, imageInput([1, 3, H, W])), 'BAD_REQUEST', /holds no images/);
    await expectError(open(path.join(tmp.dir, 'missing'), imageInput([1, 3, H, W])), 'IO', /No such folder/);
  });
});

