import type * as Ort from 'onnxruntime-web';
import { describe, expect, it, vi } from 'vitest';
import {
  compareOutputs,
  fromHalf,
  makeFeeds,
  messageOf,
  saidWhileWaiting,
  sessionStage,
  toHalf,
} from './ort-web-bench.js';
import { seededRandom } from './seeded-random.js';

function tensor(type: string, data: ArrayLike<number> | BigInt64Array, dims: number[]): Ort.Tensor {
  return { type, data, dims } as unknown as Ort.Tensor;
}

describe('browser benchmark helpers', () => {
  it('converts float16 both ways', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 1e-5, 3.14159]) {
      // float16 keeps 11 significant bits: a relative error of at most 2^-11.
      expect(Math.abs(fromHalf(toHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 6e-8);
    }
    expect(toHalf(1)).toBe(0x3c00);
    expect(fromHalf(0x7c00)).toBe(Infinity);
    expect(toHalf(1e6)).toBe(0x7c00);
  });

  it('generates the same inputs for the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('compares outputs of two providers: max difference, cosine and top class per row', () => {
    const a = { logits: tensor('float32', Float32Array.from([1, 5, 2, 9, 0, 1]), [2, 3]) };
    const b = { logits: tensor('float32', Float32Array.from([1, 5.001, 2, 0, 9, 1]), [2, 3]) };
    const same = compareOutputs(a, a);
    expect(same).toEqual({ maxAbsDiff: 0, cosine: 1, sameTop1: true });
    const diff = compareOutputs(a, b);
    expect(diff.maxAbsDiff).toBeCloseTo(9);
    expect(diff.sameTop1).toBe(false);
    expect(diff.cosine).toBeLessThan(0.5);
    const halfs = { y: tensor('float16', Uint16Array.from([toHalf(1), toHalf(2)]), [2]) };
    const floats = { y: tensor('float32', Float32Array.from([1, 2.001]), [2]) };
    expect(compareOutputs(halfs, floats).maxAbsDiff).toBeCloseTo(0.001, 4);
  });

  it('feeds the input spec: its shapes for open dims and its values for integer inputs', () => {
    class Tensor {
      constructor(
        readonly type: string,
        readonly data: ArrayLike<number | bigint>,
        readonly dims: number[],
      ) {}
    }
    const ort = { Tensor } as unknown as typeof Ort;
    const session = (inputs: { name: string; type: string; shape: (number | string)[] }[]) =>
      ({
        inputNames: inputs.map((i) => i.name),
        inputMetadata: inputs.map((i) => ({ isTensor: true, type: i.type, shape: i.shape })),
      }) as unknown as Ort.InferenceSession;
    const ocr = session([{ name: 'x', type: 'float32', shape: ['n', 3, 48, 'w'] }]);
    expect(makeFeeds(ort, ocr, 0).x?.dims).toEqual([1, 3, 48, 1]);
    expect(makeFeeds(ort, ocr, 0, { shapes: { x: [1, 3, 48, 320] } }).x?.dims).toEqual([1, 3, 48, 320]);

    const vad = session([
      { name: 'audio', type: 'float32', shape: [1, 'samples'] },
      { name: 'sr', type: 'int64', shape: [1] },
      { name: 'ids', type: 'int32', shape: [64] },
    ]);
    const feeds = makeFeeds(ort, vad, 0, {
      shapes: { audio: [1, 16000], sr: [1], ids: [64] },
      values: { sr: { kind: 'constant', value: 16000 }, ids: { kind: 'range', min: 3, max: 5 } },
    });
    expect(feeds.audio?.dims).toEqual([1, 16000]);
    expect(Array.from(feeds.sr?.data as BigInt64Array)).toEqual([16000n]);
    const ids = Array.from(feeds.ids?.data as Int32Array);
    expect(ids.every((v) => Number.isInteger(v) && v >= 3 && v <= 5)).toBe(true);
    expect(new Set(ids)).toEqual(new Set([3, 4, 5]));
  });
});

describe('a model the browser cannot load', () => {
  const model = {
    externalData: [
      {
        path: 'weights/big.onnx.data',
        url: 'http://127.0.0.1:5173/TOKEN/workspace-files/k/original/external-data/weights%2Fbig.onnx.data',
        bytes: 1024,
      },
    ],
  };

  it('names the external data file that failed and why, never the host URL with its token', () => {
    // onnxruntime-web's fetch of a file the host no longer serves.
    const fetched = messageOf(
      new Error(`failed to load external data file: ${model.externalData[0]!.url}`),
      model,
    );
    expect(fetched).toMatch(
      /^its external data file 'weights\/big.onnx.data' could not be fetched from the app: it may have been moved or removed/,
    );
    expect(fetched).not.toMatch(/TOKEN|http/);
    // A location the model names that the page did not pass (as before external data was passed at all).
    const raw =
      'Can\'t create a session. ERROR_CODE: 1, ERROR_MESSAGE: Deserialize tensor W failed.Failed to load external data file ""other.bin"", error: File not found in preloaded files.';
    expect(messageOf(new Error(raw), model)).toMatch(
      /^its external data file 'other.bin' was not given to onnxruntime-web .*engine's benchmark\. \(Can't create/,
    );
    expect(
      messageOf(
        new Error(
          'Failed to load external data file "weights/big.onnx.data", error: Module.MountedFiles is not available.',
        ),
      ),
    ).toMatch(/^its external data file 'weights\/big.onnx.data' was not given to onnxruntime-web/);
    // A file shorter than the model says.
    expect(
      messageOf(
        new Error('Failed to load external data file ""weights/big.onnx.data"", error: Out of bounds.'),
        model,
      ),
    ).toMatch(
      /^onnxruntime-web could not read its external data file 'weights\/big.onnx.data' \(Out of bounds\)/,
    );
    expect(messageOf(new Error('dilations should be 2D'), model)).toBe('dilations should be 2D');
  });
});

describe('a session that takes long to create', () => {
  it('says how much it loads and ticks the seconds until it is created, then stops', async () => {
    vi.useFakeTimers();
    try {
      const model = {
        name: 'int4',
        bytes: new Uint8Array(26_000),
        externalData: [{ path: 'int4.onnx.data', url: 'http://127.0.0.1/x', bytes: 1_100_000_000 }],
      };
      const said: string[] = [];
      let create!: (session: string) => void;
      const created = saidWhileWaiting(
        (seconds) => said.push(sessionStage(model, seconds)),
        new Promise<string>((resolve) => (create = resolve)),
      );
      await vi.advanceTimersByTimeAsync(3_000);
      create('session');
      await expect(created).resolves.toBe('session');
      await vi.advanceTimersByTimeAsync(5_000);
      expect(said[0]).toMatch(/^loading int4 \(1\.0\d GiB with its data\) into onnxruntime-web$/);
      expect(said.slice(1)).toEqual([1, 2, 3].map((s) => `${said[0]} · ${s} s`));
      expect(sessionStage({ name: 'fp32', bytes: new Uint8Array(2048) }, 0)).toBe(
        'loading fp32 (2.00 KiB) into onnxruntime-web',
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
