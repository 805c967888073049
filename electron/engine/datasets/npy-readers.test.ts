import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetDtype } from '../../../shared/dataset-spec.js';
import { StudioError } from '../errors.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../onnx/float16.js';
import type { ResolvedInput } from '../runtime/input-specs.js';
import { makeTempDir } from '../testing/temp-dir.js';
import type { DatasetSource } from './dataset-source.js';
import { encodeNpy, encodeNpyArray, npyDescr, parseNpyHeader } from './npy-format.js';
import { encodeNpz } from './npz-writer.js';
import { openDataset } from './open-dataset.js';
import type { Sample } from './sample-source.js';

const ELEM: Record<DatasetDtype, number> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  float16: DT.FLOAT16,
  int8: DT.INT8,
  uint8: DT.UINT8,
  int16: DT.INT16,
  uint16: DT.UINT16,
  int32: DT.INT32,
  uint32: DT.UINT32,
  int64: DT.INT64,
  uint64: DT.UINT64,
  bool: DT.BOOL,
};

/** A model input as resolveInputSpecs gives it. */
function input(name: string, type: DatasetDtype, declared: (number | string | null)[]): ResolvedInput {
  return { name, elemType: ELEM[type], ortType: type, declared, dims: declared.map((d) => (typeof d === 'number' ? d : 1)), guessedAxes: openAxes(declared) };
}

/** Open dims the test sizes as 1, as resolveInputs marks the dims nothing set. */
function openAxes(declared: (number | string | null)[]): number[] {
  return declared.flatMap((d, i) => (typeof d === 'number' ? [] : [i]));
}

async function collect(source: DatasetSource, signal?: AbortSignal): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of source.samples(signal)) out.push(s);
  return out;
}

function values(t: ort.Tensor): number[] {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, float16BitsToFloat32);
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Bytes of `values` as `dtype` in the given byte order. */
function rawBytes(dtype: DatasetDtype, vals: number[], littleEndian = true): Uint8Array {
  const width = { float32: 4, float64: 8, float16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, bool: 1 }[dtype];
  const view = new DataView(new ArrayBuffer(vals.length * width));
  vals.forEach((v, i) => {
    const o = i * width;
    switch (dtype) {
      case 'float32': return view.setFloat32(o, v, littleEndian);
      case 'float64': return view.setFloat64(o, v, littleEndian);
      case 'float16': return view.setUint16(o, float32ToFloat16Bits(v), littleEndian);
      case 'int8': return view.setInt8(o, v);
      case 'uint8': case 'bool': return view.setUint8(o, v);
      case 'int16': return view.setInt16(o, v, littleEndian);
      case 'uint16': return view.setUint16(o, v, littleEndian);
      case 'int32': return view.setInt32(o, v, littleEndian);
      case 'uint32': return view.setUint32(o, v, littleEndian);
      case 'int64': return view.setBigInt64(o, BigInt(v), littleEndian);
      case 'uint64': return view.setBigUint64(o, BigInt(v), littleEndian);
    }
  });
  return new Uint8Array(view.buffer);
}

async function expectError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StudioError);
  expect((error as StudioError).code).toBe(code);
  expect((error as StudioError).message).toMatch(message);
}

const DTYPES: DatasetDtype[] = ['float32', 'float64', 'float16', 'int64', 'int32', 'uint8', 'int8', 'bool', 'int16', 'uint16', 'uint32', 'uint64'];

describe('npy header', () => {
  it('parses versions 1, 2 and 3, and writes what numpy writes', () => {
    const v1 = encodeNpy(new Uint8Array(24), [2, 3], '<f4');
    // The header (magic to newline) is padded with spaces so the data starts at a multiple of 64 bytes.
    expect(parseNpyHeader(v1, 'a.npy')).toEqual({ dtype: 'float32', littleEndian: true, shape: [2, 3], dataOffset: 128, dataBytes: 24 });
    expect(v1[127]).toBe(0x0a);
    // Version 2: 4-byte header length.
    const text = "{'descr': '>i8', 'fortran_order': False, 'shape': (5,), }".padEnd(115, ' ') + '\n';
    const v2 = new Uint8Array(12 + text.length);
    v2.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(v2.buffer).setUint32(8, text.length, true);
    v2.set(Buffer.from(text, 'latin1'), 12);
    expect(parseNpyHeader(v2, 'b.npy')).toMatchObject({ dtype: 'int64', littleEndian: false, shape: [5], dataOffset: 128 });
    v2[6] = 3;
    expect(parseNpyHeader(v2, 'c.npy').dtype).toBe('int64');
    expect(npyDescr('uint8')).toBe('|u1');
    expect(npyDescr('float16', false)).toBe('>f2');
  });

  it('refuses Fortran order, structured and unsupported dtypes, and non-npy bytes clearly', () => {
    expect(() => parseNpyHeader(encodeNpy(new Uint8Array(24), [2, 3], '<f4', true), 'f.npy')).toThrow(/Fortran.*ascontiguousarray/);
    // Fortran order of a 1-D (or one non-trivial axis) array is the same bytes as C order: accepted.
    expect(parseNpyHeader(encodeNpy(new Uint8Array(12), [3, 1], '<f4', true), 'g.npy').shape).toEqual([3, 1]);
    expect(() => parseNpyHeader(encodeNpy(new Uint8Array(16), [2], '<c8'), 'h.npy')).toThrow(/'<c8'.*astype/);
    expect(() => parseNpyHeader(encodeNpy(new Uint8Array(16), [2], '<U2'), 'u.npy')).toThrow(/'<U2'/);
    const structured = encodeNpy(new Uint8Array(8), [1], '<f4').slice();
    const s = Buffer.from(structured).toString('latin1').replace("'descr': '<f4'", "'descr': [('a', '<f4')]");
    expect(() => parseNpyHeader(Buffer.from(s, 'latin1'), 's.npy')).toThrow(/structured/);
    expect(() => parseNpyHeader(Buffer.from('PK\x03\x04 not a npy at all'), 'z.npy')).toThrow(/not a \.npy/);
  });
});

describe('.npy and .npz sources', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  for (const dtype of DTYPES) {
    for (const littleEndian of [true, false]) {
      it(`reads ${dtype} ${littleEndian ? 'little' : 'big'}-endian data as the model's ${dtype}`, async () => {
        const vals = Array.from({ length: 12 }, (_, i) => (dtype === 'bool' ? i % 2 : dtype.startsWith('u') ? i * 3 : i * 3 - 10 + (dtype.startsWith('float') ? 0.5 : 0)));
        const file = write(`${dtype}-${littleEndian}.npy`, encodeNpy(rawBytes(dtype, vals, littleEndian), [4, 3], npyDescr(dtype, littleEndian)));
        const source = await openDataset({ kind: 'npy', path: file }, [input('x', dtype, ['batch', 3])]);
        expect(source.count).toBe(4);
        const samples = await collect(source);
        expect(samples.map((s) => s.index)).toEqual([0, 1, 2, 3]);
        expect(samples[1]!.inputs.x!.dims).toEqual([1, 3]);
        expect(samples[1]!.inputs.x!.type).toBe(dtype);
        expect(samples.flatMap((s) => values(s.inputs.x!))).toEqual(vals);
      });
    }
  }

  it('converts integer data to float and wider integer inputs, and refuses float data for integer inputs', async () => {
    const file = write('i32.npy', encodeNpyArray(Int32Array.from([1, -2, 3, 4]), 'int32', [2, 2]));
    const asFloat = await collect(await openDataset({ kind: 'npy', path: file }, [input('x', 'float32', [null, 2])]));
    expect(asFloat.flatMap((s) => values(s.inputs.x!))).toEqual([1, -2, 3, 4]);
    const asInt64 = await collect(await openDataset({ kind: 'npy', path: file }, [input('x', 'int64', [null, 2])]));
    expect(asInt64[1]!.inputs.x!.data).toEqual(BigInt64Array.from([3n, 4n]));
    await expectError(collect(await openDataset({ kind: 'npy', path: file }, [input('x', 'uint8', [null, 2])])), 'BAD_REQUEST', /-2 .*does not fit.*uint8/);
    const floats = write('f32.npy', encodeNpyArray(Float32Array.from([1, 2]), 'float32', [2, 1]));
    await expectError(openDataset({ kind: 'npy', path: floats }, [input('ids', 'int64', ['batch', 1])]), 'BAD_INPUT', /Input 'ids': the model expects int64 \[batch, 1\].*float32.*truncated/);
  });

  it('says once per input how data of another element type was converted: uint8 is not scaled', async () => {
    const u8 = write('pixels.npy', encodeNpyArray(Uint8Array.from([0, 128, 255, 7]), 'uint8', [2, 2]));
    const source = await openDataset({ kind: 'npy', path: u8 }, [input('image', 'float32', [null, 2])]);
    expect(source.notes).toEqual([
      "pixels.npy: uint8 data converted to float32 for input 'image' as 0-255 (not scaled); if the model expects 0-1, scale the data or use an image folder",
    ]);
    expect((await collect(source)).flatMap((s) => values(s.inputs.image!))).toEqual([0, 128, 255, 7]);
    const noteOf = async (name: string, dtype: DatasetDtype, model: DatasetDtype) => {
      const file = write(name, encodeNpy(rawBytes(dtype, [1, 2]), [2, 1], npyDescr(dtype, true)));
      return (await openDataset({ kind: 'npy', path: file }, [input('x', model, [null, 1])])).notes;
    };
    expect(await noteOf('f64.npy', 'float64', 'float32')).toEqual([
      "f64.npy: float64 data converted to float32 for input 'x' (values rounded to float32)",
    ]);
    expect(await noteOf('f16.npy', 'float16', 'float32')).toEqual([
      "f16.npy: float16 data converted to float32 for input 'x' (exactly: float16 values are all float32 values)",
    ]);
    expect(await noteOf('i16.npy', 'int16', 'float32')).toEqual([
      "i16.npy: int16 data converted to float32 for input 'x' as the same whole numbers (not scaled)",
    ]);
    expect(await noteOf('f32-to-16.npy', 'float32', 'float16')).toEqual([
      "f32-to-16.npy: float32 data converted to float16 for input 'x' (values rounded to float16; beyond ±65504 they become Inf)",
    ]);
    // The same type, and integers into wider integers: nothing changes, nothing is said.
    expect(await noteOf('same.npy', 'float32', 'float32')).toEqual([]);
    expect(await noteOf('ids.npy', 'int32', 'int64')).toEqual([]);
  });

  it('takes a sample without a batch axis when the model has none, and binds symbolic dims to the data', async () => {
    const file = write('seq.npy', encodeNpyArray(new Float32Array(2 * 5), 'float32', [2, 5]));
    const noBatch = await collect(await openDataset({ kind: 'npy', path: file }, [input('x', 'float32', [5])]));
    expect(noBatch[0]!.inputs.x!.dims).toEqual([5]);
    const symbolic = await collect(await openDataset({ kind: 'npy', path: file }, [input('x', 'float32', ['batch', 'seq'])]));
    expect(symbolic[0]!.inputs.x!.dims).toEqual([1, 5]);
  });

  it('names the input, what the model expects and what the data has when shapes differ', async () => {
    const file = write('wrong.npy', encodeNpyArray(new Float32Array(3 * 9 * 9), 'float32', [3, 1, 9, 9]));
    const digits = input('input', 'float32', ['batch', 1, 8, 8]);
    await expectError(
      openDataset({ kind: 'npy', path: file }, [digits]),
      'BAD_INPUT',
      /^Input 'input': the model expects float32 \[batch, 1, 8, 8\], but wrong\.npy has float32 samples of shape \[1, 9, 9\]: dim 2 is 9 where the model fixes 8\.$/,
    );
    const flat = write('flat.npy', encodeNpyArray(new Float32Array(3 * 64), 'float32', [3, 64]));
    await expectError(openDataset({ kind: 'npy', path: flat }, [digits]), 'BAD_INPUT', /needs 4 dims \(or 3 without the batch axis\), the data has 1/);
    await expectError(
      openDataset({ kind: 'npy', path: flat }, [input('x', 'float32', [8, 64])]),
      'BAD_INPUT',
      /fixed batch of 8/,
    );
    await expectError(
      openDataset({ kind: 'npy', path: flat }, [input('a', 'float32', [null, 64]), input('b', 'float32', [null, 64])]),
      'BAD_REQUEST',
      /holds one array, but the model has 2 inputs \('a', 'b'\).*\.npz/,
    );
  });

  it('reads labels, and refuses labels that do not match the samples in count', async () => {
    const x = write('x.npy', encodeNpyArray(new Float32Array(4 * 2), 'float32', [4, 2]));
    const labels = write('y.npy', encodeNpyArray(BigInt64Array.from([3n, 1n, 0n, 2n]), 'int64', [4]));
    const targets = write('t.npy', encodeNpyArray(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 'float64', [4, 2]));
    const short = write('short.npy', encodeNpyArray(BigInt64Array.from([3n, 1n]), 'int64', [2]));
    const x2 = input('x', 'float32', ['n', 2]);
    const source = await openDataset({ kind: 'npy', path: x, labels }, [x2]);
    expect(source.hasLabels).toBe(true);
    expect((await collect(source)).map((s) => s.label)).toEqual([3, 1, 0, 2]);
    const vectors = await collect(await openDataset({ kind: 'npy', path: x, labels: targets }, [x2]));
    expect(vectors[3]!.label).toEqual(Float64Array.from([7, 8]));
    await expectError(openDataset({ kind: 'npy', path: x, labels: short }, [x2]), 'BAD_REQUEST', /short\.npy has 2 labels but x\.npy has 4 samples/);
  });

  it('refuses truncated, missing and non-npy files clearly', async () => {
    const full = encodeNpyArray(new Float32Array(100), 'float32', [10, 10]);
    const cut = write('cut.npy', full.subarray(0, full.length - 7));
    const x = input('x', 'float32', [null, 10]);
    await expectError(openDataset({ kind: 'npy', path: cut }, [x]), 'BAD_REQUEST', /cut\.npy is truncated/);
    await expectError(openDataset({ kind: 'npy', path: path.join(tmp.dir, 'nope.npy') }, [x]), 'IO', /No such file/);
    const text = write('text.npy', Buffer.from('1,2,3\n4,5,6\n'));
    await expectError(openDataset({ kind: 'npy', path: text }, [x]), 'BAD_REQUEST', /not a \.npy file/);
    const empty = write('empty.npy', encodeNpyArray(new Float32Array(0), 'float32', [0, 10]));
    await expectError(openDataset({ kind: 'npy', path: empty }, [x]), 'BAD_REQUEST', /no samples/);
  });

  it('reads a large .npy a batch at a time, honours the limit and stops when cancelled', async () => {
    // 6 MiB of rows: more than one 4 MiB batch, and rows straddle the batch boundary.
    const rows = 1500;
    const width = 1050;
    const data = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) data[r * width] = r;
    const file = write('big.npy', encodeNpyArray(data, 'float32', [rows, width]));
    const x = input('x', 'float32', ['batch', width]);
    const firsts: number[] = [];
    for await (const s of (await openDataset({ kind: 'npy', path: file }, [x])).samples()) firsts.push((s.inputs.x!.data as Float32Array)[0]!);
    expect(firsts).toEqual(Array.from({ length: rows }, (_, i) => i));
    const limited = await openDataset({ kind: 'npy', path: file, limit: 7 }, [x], { limit: 10 });
    expect(limited.count).toBe(7);
    expect((await collect(limited)).length).toBe(7);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const s of (await openDataset({ kind: 'npy', path: file }, [x])).samples(controller.signal)) {
        seen.push(s.index);
        if (s.index === 3) controller.abort();
      }
    })();
    await expectError(run, 'CANCELLED', /Cancelled/);
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  for (const compress of [false, true]) {
    it(`reads a ${compress ? 'compressed' : 'stored'} .npz with one array per input and labels inside`, async () => {
      const a = Float32Array.from({ length: 6 }, (_, i) => i);
      const b = BigInt64Array.from([7n, 8n, 9n]);
      const file = write(
        `multi-${compress}.npz`,
        encodeNpz(
          {
            tokens: encodeNpyArray(b, 'int64', [3, 1]),
            features: encodeNpyArray(a, 'float32', [3, 2]),
            labels: encodeNpyArray(Int32Array.from([1, 0, 1]), 'int32', [3]),
          },
          { compress },
        ),
      );
      const inputs = [input('features', 'float32', ['batch', 2]), input('tokens', 'int64', ['batch', 1])];
      const samples = await collect(await openDataset({ kind: 'npz', path: file }, inputs));
      expect(samples.map((s) => values(s.inputs.features!))).toEqual([[0, 1], [2, 3], [4, 5]]);
      expect(samples.map((s) => values(s.inputs.tokens!))).toEqual([[7], [8], [9]]);
      expect(samples.map((s) => s.label)).toEqual([1, 0, 1]);
    });
  }

  it('maps a lone npz array to a single-input model, and lists names when they do not match', async () => {
    const file = write('arr0.npz', encodeNpz({ arr_0: encodeNpyArray(new Float32Array(4), 'float32', [2, 2]) }));
    const source = await openDataset({ kind: 'npz', path: file }, [input('x', 'float32', [null, 2])]);
    expect(source.notes.join()).toMatch(/'arr_0' feeds input 'x'/);
    const two = write('two.npz', encodeNpz({ a: encodeNpyArray(new Float32Array(2), 'float32', [2, 1]), c: encodeNpyArray(new Float32Array(2), 'float32', [2, 1]) }));
    await expectError(
      openDataset({ kind: 'npz', path: two }, [input('a', 'float32', [null, 1]), input('b', 'float32', [null, 1])]),
      'BAD_REQUEST',
      /two\.npz: no data for input 'b'; 'c' is not an input of the model\. The model's inputs are 'a', 'b'; the data has 'a', 'c'\./,
    );
    const uneven = write('uneven.npz', encodeNpz({ a: encodeNpyArray(new Float32Array(2), 'float32', [2, 1]), b: encodeNpyArray(new Float32Array(3), 'float32', [3, 1]) }));
    await expectError(
      openDataset({ kind: 'npz', path: uneven }, [input('a', 'float32', [null, 1]), input('b', 'float32', [null, 1])]),
      'BAD_REQUEST',
      /has 3 samples but .* has 2/,
    );
  });

  it('detects a corrupt .npz', async () => {
    const good = encodeNpz({ x: encodeNpyArray(Float32Array.from({ length: 64 }, (_, i) => i), 'float32', [8, 8]) }, { compress: true });
    const x = input('x', 'float32', [null, 8]);
    await expectError(openDataset({ kind: 'npz', path: write('cut.npz', good.subarray(0, 40)) }, [x]), 'BAD_REQUEST', /not a readable \.npz/);
    const flipped = good.slice();
    flipped[45] = flipped[45]! ^ 0xff; // inside the deflate stream
    await expectError(
      (async () => collect(await openDataset({ kind: 'npz', path: write('flip.npz', flipped) }, [x])))(),
      'BAD_REQUEST',
      /corrupt|truncated|not a \.npy|unreadable/,
    );
  });
});

// Independent check against numpy itself, when it is installed (the product never needs Python).
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0);

describe.skipIf(!python)('files written by numpy', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
    const script = `
import numpy as np, sys, os
d = sys.argv[1]
for t in ['f2','f4','f8','i1','u1','i2','u2','i4','u4','i8','u8']:
    for o in '<>':
        a = (np.arange(24).reshape(4, 2, 3) % 50).astype(o + t if t[1] != '1' else t)
        np.save(os.path.join(d, f'{t}{"le" if o == "<" else "be"}.npy'), a)
np.save(os.path.join(d, 'bool.npy'), np.arange(24).reshape(4, 2, 3) % 3 == 0)
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(np.arange(24, dtype='<f4').reshape(4, 6)))
np.savez(os.path.join(d, 'stored.npz'), x=np.arange(12, dtype='<f4').reshape(4, 3), labels=np.array([0, 1, 2, 1]))
np.savez_compressed(os.path.join(d, 'compressed.npz'), x=np.arange(12, dtype='>f8').reshape(4, 3), labels=np.array([0, 1, 2, 1]))
`;
    const r = spawnSync(python!, ['-c', script, tmp.dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  });
  afterAll(() => tmp.cleanup());

  const expected = Array.from({ length: 24 }, (_, i) => i % 50);
  for (const [name, dtype] of [
    ['f2', 'float16'], ['f4', 'float32'], ['f8', 'float64'], ['i1', 'int8'], ['u1', 'uint8'], ['i2', 'int16'],
    ['u2', 'uint16'], ['i4', 'int32'], ['u4', 'uint32'], ['i8', 'int64'], ['u8', 'uint64'],
  ] as const) {
    for (const order of ['le', 'be']) {
      it(`reads numpy's ${name} ${order}`, async () => {
        const samples = await collect(await openDataset({ kind: 'npy', path: path.join(tmp.dir, `${name}${order}.npy`) }, [input('x', dtype, ['n', 2, 3])]));
        expect(samples.flatMap((s) => values(s.inputs.x!))).toEqual(expected);
      });
    }
  }

  it("reads numpy's bool arrays and .npz files, and refuses its Fortran-order arrays", async () => {
    const bools = await collect(await openDataset({ kind: 'npy', path: path.join(tmp.dir, 'bool.npy') }, [input('m', 'bool', ['n', 2, 3])]));
    expect(bools.flatMap((s) => values(s.inputs.m!))).toEqual(expected.map((v) => (v % 3 === 0 ? 1 : 0)));
    for (const file of ['stored.npz', 'compressed.npz']) {
      const samples = await collect(await openDataset({ kind: 'npz', path: path.join(tmp.dir, file) }, [input('x', 'float32', ['n', 3])]));
      expect(samples.flatMap((s) => values(s.inputs.x!))).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(samples.map((s) => s.label)).toEqual([0, 1, 2, 1]);
    }
    await expectError(openDataset({ kind: 'npy', path: path.join(tmp.dir, 'fortran.npy') }, [input('x', 'float32', ['n', 6])]), 'BAD_REQUEST', /Fortran/);
  });
});
