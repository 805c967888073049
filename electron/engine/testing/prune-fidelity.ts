import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { ModelProto } from 'onnx-buf';
import { createSession } from '../runtime/create-session.js';
import { type ShapeOverrides, resolveInputSpecs } from '../runtime/input-specs.js';
import { seededRandom, syntheticFeed } from '../runtime/synthetic-feeds.js';

/*
 * How close a pruned model stays to its original: both run on the same seeded inputs (or a labelled .npy
 * set), and their first outputs are compared (cosine similarity, top-1 agreement, largest difference).
 */

export interface Fidelity {
  samples: number;
  /** Cosine similarity of the concatenated first outputs (1 = same direction). */
  cosine: number;
  /** Fraction of samples whose arg-max over the last axis agrees. */
  top1Agreement: number;
  maxAbsErr: number;
}

/** Seeded feeds for a model's inputs (symbolic dims set to `batch` unless `overrides` say otherwise). */
export function seededFeeds(
  model: ModelProto,
  samples: number,
  seed: number,
  batch = 1,
  overrides: ShapeOverrides = {},
): Record<string, ort.Tensor>[] {
  const { inputs } = resolveInputSpecs(model, { defaultDim: batch, ...overrides });
  const next = seededRandom(seed);
  return Array.from({ length: samples }, () => syntheticFeed(inputs, next));
}

/** The first output of a session for each feed, as float32 arrays with their dims. */
export async function firstOutputs(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>[],
): Promise<{ data: Float32Array; dims: readonly number[] }[]> {
  const out = [];
  for (const feed of feeds) {
    const result = await session.run(feed);
    const tensor = result[session.outputNames[0]!]!;
    out.push({ data: Float32Array.from(tensor.data as Float32Array), dims: tensor.dims });
  }
  return out;
}

function argmaxRows(data: Float32Array, dims: readonly number[]): number[] {
  const width = dims[dims.length - 1] ?? data.length;
  const rows: number[] = [];
  for (let r = 0; r + width <= data.length; r += width) {
    let best = 0;
    for (let i = 1; i < width; i++) if (data[r + i]! > data[r + best]!) best = i;
    rows.push(best);
  }
  return rows;
}

/** Compares two sets of outputs (same feeds, same order). */
export function compareOutputs(
  a: { data: Float32Array; dims: readonly number[] }[],
  b: { data: Float32Array; dims: readonly number[] }[],
): Fidelity {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let maxAbsErr = 0;
  let agree = 0;
  let rows = 0;
  a.forEach((x, s) => {
    const y = b[s]!;
    for (let i = 0; i < x.data.length; i++) {
      const u = x.data[i]!;
      const v = y.data[i] ?? NaN;
      dot += u * v;
      na += u * u;
      nb += v * v;
      maxAbsErr = Math.max(maxAbsErr, Math.abs(u - v));
    }
    const ra = argmaxRows(x.data, x.dims);
    const rb = argmaxRows(y.data, y.dims);
    ra.forEach((r, i) => {
      rows++;
      if (rb[i] === r) agree++;
    });
  });
  return {
    samples: a.length,
    cosine: na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : na === nb ? 1 : 0,
    top1Agreement: rows > 0 ? agree / rows : 1,
    maxAbsErr,
  };
}

/** Runs the original and the variant on the same seeded inputs and compares their first outputs. */
export async function modelFidelity(
  original: string | Uint8Array,
  variant: string | Uint8Array,
  model: ModelProto,
  options: { samples?: number; seed?: number } = {},
): Promise<Fidelity> {
  const feeds = seededFeeds(model, options.samples ?? 8, options.seed ?? 7);
  const [a, b] = await Promise.all([createSession(original), createSession(variant)]);
  try {
    return compareOutputs(await firstOutputs(a, feeds), await firstOutputs(b, feeds));
  } finally {
    await Promise.all([a.release(), b.release()]);
  }
}

/** A little-endian .npy array (float32, float64 or int64), C order. */
export function readNpy(file: string): {
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array;
} {
  const bytes = fs.readFileSync(file);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = bytes[6]!;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = bytes.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file} is in Fortran order`);
  const body = bytes.subarray(start);
  const copy = new Uint8Array(body.length);
  copy.set(body);
  if (descr === '<f4') return { shape, data: new Float32Array(copy.buffer) };
  if (descr === '<f8') return { shape, data: new Float64Array(copy.buffer) };
  if (descr === '<i8') return { shape, data: new BigInt64Array(copy.buffer) };
  throw new Error(`${file}: unsupported dtype ${descr}`);
}

/** Classification accuracy of a model on a labelled .npy set (first axis = samples), batched. */
export async function npyAccuracy(
  model: string | Uint8Array,
  inputsFile: string,
  labelsFile: string,
  inputName = 'input',
  batch = 60,
): Promise<number> {
  const inputs = readNpy(inputsFile);
  const labels = readNpy(labelsFile).data as BigInt64Array;
  const data = Float32Array.from(inputs.data as Float32Array);
  const [count, ...sample] = inputs.shape as [number, ...number[]];
  const per = sample.reduce((x, y) => x * y, 1);
  const session = await createSession(model);
  let correct = 0;
  try {
    for (let at = 0; at < count; at += batch) {
      const n = Math.min(batch, count - at);
      const feed = {
        [inputName]: new ort.Tensor('float32', data.subarray(at * per, (at + n) * per), [n, ...sample]),
      };
      const out = await firstOutputs(session, [feed]);
      argmaxRows(out[0]!.data, out[0]!.dims).forEach((p, i) => {
        if (BigInt(p) === labels[at + i]) correct++;
      });
    }
  } finally {
    await session.release();
  }
  return correct / count;
}
