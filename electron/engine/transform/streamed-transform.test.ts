import fs from 'node:fs';
import path from 'node:path';
import { type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cosineSimilarity } from '../evaluate/fidelity-metrics.js';
import { kernelSafe } from '../testing/int8-kernels.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { makeRawTensor } from '../onnx/graph-build.js';
import {
  isStreamedTensor,
  spillInSteps,
  spillLimits,
  spillWhenDue,
  StreamedWeights,
  untrackNewTensor,
} from '../onnx/streamed-weights.js';
import { pruneModel } from '../prune/prune-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { createSession } from '../runtime/create-session.js';
import { fillDiskAfter, readOnlyFolder } from '../testing/fs-faults.js';
import { buildDeepMlp, buildMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { floatFeed } from '../quantize/weight-only/test-support.js';

/*
 * The streaming path (weights read one at a time from the input's data file, new tensors spilled to a
 * scratch file) must write exactly the bytes the in-memory path writes, for every method that streams, and
 * the result must run in onnxruntime like the original. Spill limits are lowered so that every tensor of
 * these small fixtures takes the spill path too.
 */

const tmp = makeTempDir('onnx-studio-streamed-');
const defaults = { ...spillLimits };

interface Fixture {
  name: string;
  model: ModelProto;
  input: string;
  inputSize: number;
}
const fixtures: Fixture[] = [];

async function writeExternal(name: string, model: ModelProto, inputSize: number): Promise<void> {
  const dir = path.join(tmp.dir, 'inputs', name);
  fs.mkdirSync(dir, { recursive: true });
  const input = path.join(dir, 'model.onnx');
  await saveModel(model, input, { externalData: { thresholdBytes: 1024 } });
  fixtures.push({ name, model, input, inputSize });
}

beforeAll(async () => {
  await writeExternal('mlp', buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 16 }), 64);
  await writeExternal('deep', buildDeepMlp({ layers: 5, width: 96 }), 96);
});
afterAll(() => tmp.cleanup());
afterEach(() => Object.assign(spillLimits, defaults));

type Run = (input: string, output: string, stream: boolean) => Promise<unknown>;

const quantize =
  (method: string, options: Record<string, unknown> = {}): Run =>
  (input, output, stream) =>
    // The cosine below measures the quantizer, not a CPU whose int8 kernels saturate (testing/int8-kernels.ts).
    quantizeModel({
      input,
      output,
      method,
      options,
      stream,
      common: method === 'int8-dynamic' ? kernelSafe({}) : {},
    });
const prune =
  (common: Record<string, unknown>, options: Record<string, unknown> = {}): Run =>
  (input, output, stream) =>
    pruneModel({ input, output, method: 'magnitude', common, options, stream });

const cases: { name: string; run: Run; minCosine: number }[] = [
  { name: 'int8-dynamic', run: quantize('int8-dynamic'), minCosine: 0.99 },
  { name: 'int8-dynamic (onnx form)', run: quantize('int8-dynamic', { form: 'onnx' }), minCosine: 0.99 },
  { name: 'fp16', run: quantize('fp16'), minCosine: 0.999 },
  { name: 'int8-weight', run: quantize('int8-weight'), minCosine: 0.99 },
  { name: 'int4', run: quantize('int4'), minCosine: 0.95 },
  { name: 'magnitude 0.3 per layer', run: prune({ sparsity: 0.3 }), minCosine: 0.9 },
  { name: 'magnitude 0.3 global', run: prune({ sparsity: 0.3, scope: 'global' }), minCosine: 0.9 },
  { name: 'magnitude 2:4', run: prune({ sparsity: 0.5 }, { pattern: '2:4' }), minCosine: 0.8 },
];

function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of fs.readdirSync(dir)) out[f] = fs.readFileSync(path.join(dir, f));
  return out;
}

async function outputOf(file: string, feed: ReturnType<typeof floatFeed>): Promise<Float32Array> {
  const session = await createSession(file);
  try {
    const result = await session.run(feed);
    return Float32Array.from(Object.values(result)[0]!.data as ArrayLike<number>);
  } finally {
    await session.release();
  }
}

describe('streamed transforms of models with external data', () => {
  for (const c of cases) {
    it(`${c.name}: the same files streamed as in memory, running like the original`, async () => {
      for (const fixture of fixtures) {
        for (const [label, limits] of [
          ['default limits', defaults],
          ['every tensor spilled', { everyReadBytes: 1, pendingBytes: 1, minBytes: 1 }],
        ] as const) {
          Object.assign(spillLimits, limits);
          const base = path.join(
            tmp.dir,
            c.name.replace(/\W+/g, '-'),
            fixture.name,
            label.replace(/\W+/g, '-'),
          );
          const memory = path.join(base, 'memory');
          const streamed = path.join(base, 'streamed');
          fs.mkdirSync(memory, { recursive: true });
          fs.mkdirSync(streamed, { recursive: true });
          await c.run(fixture.input, path.join(memory, 'out.onnx'), false);
          await c.run(fixture.input, path.join(streamed, 'out.onnx'), true);
          const a = files(memory);
          const b = files(streamed);
          // Same names (no scratch file left behind) and the same bytes.
          expect(Object.keys(b).sort(), `${fixture.name}, ${label}`).toEqual(['out.onnx', 'out.onnx.data']);
          expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
          for (const name of Object.keys(a)) {
            expect(b[name]!.equals(a[name]!), `${name} of ${fixture.name}, ${label}`).toBe(true);
          }
        }
        const feed = floatFeed('input', [4, fixture.inputSize], 7);
        const original = await outputOf(fixture.input, feed);
        const result = await outputOf(
          path.join(
            tmp.dir,
            c.name.replace(/\W+/g, '-'),
            fixture.name,
            'every-tensor-spilled',
            'streamed',
            'out.onnx',
          ),
          feed,
        );
        expect(cosineSimilarity(original, result), fixture.name).toBeGreaterThanOrEqual(c.minCosine);
      }
    });
  }

  it('leaves the input untouched', async () => {
    const fixture = fixtures[0]!;
    const before = files(path.dirname(fixture.input));
    await quantizeModel({
      input: fixture.input,
      output: path.join(tmp.dir, 'untouched.onnx'),
      method: 'fp16',
    });
    expect(files(path.dirname(fixture.input))).toEqual(before);
  });

  it("refuses an output whose data file would be the input's", async () => {
    const fixture = fixtures[0]!;
    const dir = path.dirname(fixture.input);
    const before = files(dir);
    // The input's weights are in model.onnx.data; an output named model.onnx elsewhere is fine, here it is not.
    const clash = path.join(dir, 'model.onnx');
    await expect(
      quantizeModel({ input: fixture.input, output: clash, method: 'fp16', force: true }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    fs.copyFileSync(fixture.input, path.join(dir, 'copy.onnx'));
    await expect(
      quantizeModel({ input: path.join(dir, 'copy.onnx'), output: clash, method: 'fp16', force: true }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining("the input's own data file"),
    });
    fs.rmSync(path.join(dir, 'copy.onnx'));
    expect(files(dir)).toEqual(before);
  });

  it('leaves no output and no scratch file when cancelled', async () => {
    const fixture = fixtures[1]!;
    const dir = path.join(tmp.dir, 'cancelled');
    fs.mkdirSync(dir);
    spillLimits.minBytes = 1;
    spillLimits.pendingBytes = 1;
    const controller = new AbortController();
    const run = quantizeModel({
      input: fixture.input,
      output: path.join(dir, 'out.onnx'),
      method: 'int8-weight',
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('cancelling and failing streamed transforms', () => {
  it('prune: an abort from outside lands between layers, leaving no output and no scratch file', async () => {
    const fixture = fixtures[1]!; // five layers
    for (const scope of ['layer', 'global'] as const) {
      const dir = path.join(tmp.dir, `prune-cancelled-${scope}`);
      fs.mkdirSync(dir);
      spillLimits.minBytes = 1;
      spillLimits.pendingBytes = 1;
      const controller = new AbortController();
      const pruned: number[] = [];
      const run = pruneModel({
        input: fixture.input,
        output: path.join(dir, 'out.onnx'),
        method: 'magnitude',
        common: { sparsity: 0.5, scope },
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase !== 'pruning') return;
          pruned.push(p.done);
          // As Ctrl+C's SIGINT handler does: from the event loop, not from inside the method's loop.
          if (p.done === 1) setImmediate(() => controller.abort());
        },
      });
      await expect(run, scope).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(pruned, scope).toEqual([1]);
      expect(fs.readdirSync(dir), scope).toEqual([]);
    }
  });

  const methods: { name: string; run: (input: string, output: string) => Promise<unknown> }[] = [
    {
      name: 'int8-dynamic',
      run: (input, output) => quantizeModel({ input, output, method: 'int8-dynamic' }),
    },
    { name: 'int4', run: (input, output) => quantizeModel({ input, output, method: 'int4' }) },
    {
      name: 'magnitude',
      run: (input, output) => pruneModel({ input, output, method: 'magnitude', common: { sparsity: 0.5 } }),
    },
  ];

  for (const method of methods) {
    it(`${method.name}: a full disk is said as such (IO), whether the scratch file or the output hits it`, async () => {
      const fixture = fixtures[1]!;
      Object.assign(spillLimits, { everyReadBytes: 1, pendingBytes: 1, minBytes: 1 });
      // What the run writes in all (scratch file, then output): the disk fills at the first spill to the
      // scratch file (said as the output's), or at the output's very last byte, in its data file (named).
      const measured = path.join(tmp.dir, `full-${method.name}-measured`);
      fs.mkdirSync(measured);
      const measure = fillDiskAfter(Infinity);
      try {
        await method.run(fixture.input, path.join(measured, 'out.onnx'));
      } finally {
        measure.restore();
      }
      for (const room of [1024, measure.written() - 1]) {
        const dir = path.join(tmp.dir, `full-${method.name}-${room}`);
        fs.mkdirSync(dir);
        const output = path.join(dir, 'out.onnx');
        const { restore } = fillDiskAfter(room);
        try {
          await expect(method.run(fixture.input, output), `${room} bytes`).rejects.toMatchObject({
            code: 'IO',
            message: `The disk is full while writing ${room === 1024 ? output : `${output}.data`}. Free some space and retry.`,
          });
        } finally {
          restore();
        }
        expect(fs.readdirSync(dir), `${room} bytes`).toEqual([]);
      }
    });

    it(`${method.name}: a read-only output folder is said as such (IO), naming the output`, async () => {
      const fixture = fixtures[1]!;
      const dir = path.join(tmp.dir, `read-only-${method.name}`);
      fs.mkdirSync(dir);
      Object.assign(spillLimits, { everyReadBytes: 1, pendingBytes: 1, minBytes: 1 });
      const output = path.join(dir, 'out.onnx');
      const restore = readOnlyFolder(dir);
      try {
        await expect(method.run(fixture.input, output)).rejects.toMatchObject({
          code: 'IO',
          message: `Cannot write ${output}: the file system is read-only. Choose a folder you can write to.`,
        });
      } finally {
        restore();
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  }
});

describe('StreamedWeights', () => {
  it('reads a weight only when asked, and spills new tensors to a scratch file it removes', async () => {
    const fixture = fixtures[1]!;
    const loaded = await loadModel(fixture.input);
    const dir = path.join(tmp.dir, 'unit');
    fs.mkdirSync(dir);
    const weights = new StreamedWeights(loaded.proto, loaded.dir, path.join(dir, 'out.onnx'));
    try {
      // The weights are in the data file; the biases (384 bytes, under the 1 KiB threshold) stayed inline.
      const tensors = loaded.proto.graph!.initializer.filter((t) => t.name.endsWith('.weight'));
      expect(tensors.length).toBe(5);
      expect(tensors.every(isStreamedTensor)).toBe(true);
      expect(loaded.proto.graph!.initializer.filter(isStreamedTensor)).toHaveLength(5);
      expect(weights.readBytes).toBe(0);
      const first = tensors[0]!;
      const bytes = first.rawData;
      expect(bytes.byteLength).toBe(96 * 96 * 4);
      expect(first.rawData).toBe(bytes); // the last read is kept
      expect(weights.readBytes).toBe(96 * 96 * 4);

      // Assigning rawData makes it an ordinary tensor; a spill streams it again, from the scratch file.
      const changed = Uint8Array.from(bytes, (b) => b ^ 0xff);
      first.rawData = changed;
      expect(isStreamedTensor(first)).toBe(false);
      spillLimits.minBytes = 1024; // the weight (36 KiB) but not the inline biases (384 bytes)
      weights.spill();
      expect(isStreamedTensor(first)).toBe(true);
      expect(weights.spilledBytes).toBe(changed.byteLength);
      expect(Buffer.from(first.rawData).equals(Buffer.from(changed))).toBe(true);
      expect(fs.readdirSync(dir)).toHaveLength(1);
      expect(weights.sources().get(first)?.length).toBe(changed.byteLength);
    } finally {
      weights.close();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('spills in steps where the method says (spillInSteps), and never a tensor whose data went elsewhere', async () => {
    const fixture = fixtures[1]!;
    const loaded = await loadModel(fixture.input);
    const dir = path.join(tmp.dir, 'in-steps');
    fs.mkdirSync(dir);
    const weights = new StreamedWeights(loaded.proto, loaded.dir, path.join(dir, 'out.onnx'));
    // Due at every read and every new tensor; the inline biases (384 bytes) stay out of it.
    Object.assign(spillLimits, { everyReadBytes: 1, pendingBytes: 1, minBytes: 1024 });
    try {
      await weights.run(async () => {
        spillInSteps();
        const [w0, w1] = loaded.proto.graph!.initializer.filter((t) => t.name.endsWith('.weight'));
        const a = makeRawTensor('a', DT.FLOAT, w0!.dims, w0!.rawData);
        const b = makeRawTensor('b', DT.FLOAT, w1!.dims, w1!.rawData);
        // Its data was copied into a constant (replaceConstant): writing it would be wasted.
        const copied = makeRawTensor('copied', DT.FLOAT, w1!.dims, w1!.rawData);
        untrackNewTensor(copied);
        // Nothing spilled while reading or creating, though a spill was due.
        expect(weights.spilledBytes).toBe(0);
        const spilledAtStep: number[] = [];
        await spillWhenDue(async () => {
          spilledAtStep.push(weights.spilledBytes);
        });
        // One tensor a step.
        expect(spilledAtStep).toEqual([96 * 96 * 4, 2 * 96 * 96 * 4]);
        expect([a, b].map(isStreamedTensor)).toEqual([true, true]);
        expect(isStreamedTensor(copied)).toBe(false);
        await spillWhenDue(async () => {
          spilledAtStep.push(weights.spilledBytes);
        });
        expect(spilledAtStep).toHaveLength(2); // nothing due any more
      });
    } finally {
      weights.close();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
