/**
 * The second benchmark path: the page runs models itself with onnxruntime-web, on WebGPU where this
 * Chromium has an adapter and on WebAssembly (CPU) everywhere. It measures what a browser deployment gets
 * and lets any machine with WebGPU measure GPU latency without a native GPU provider.
 *
 * onnxruntime-web is loaded on first use (`ort-loader.ts`: its JS and a ~28 MB .wasm from the build's own
 * assets; nothing is fetched from a CDN).
 *
 * Timing: each run is `await session.run(feeds)` between two `performance.now()` calls. With WebGPU the
 * outputs are read back to the CPU inside `run`, so a run's time includes the GPU finishing its work.
 * It runs in a dedicated worker (web-bench-client.ts), off the page's thread; the page cancels by
 * terminating the worker, so the loop never has to yield to hear about it.
 */
import type * as Ort from 'onnxruntime-web';
import { syntheticValues, type InputSpec, type InputValues } from '../../../shared/input-spec.js';
import { type LatencyStats, latencyStatsOf } from '../../../shared/latency-stats.js';
import { loadingWords, tickSeconds, withElapsed } from '../../../shared/loading-words.js';
import { formatBytes } from '../format.js';
import { latencyStats } from '../state/statistics.js';
import { loadOrt, wasmThreads } from './ort-loader.js';
import { seededRandom } from './seeded-random.js';

export type WebProvider = 'webgpu' | 'wasm';
export const WEB_PROVIDERS: readonly WebProvider[] = ['webgpu', 'wasm'];

export interface WebProviderStatus {
  provider: WebProvider;
  available: boolean;
  /** Why not, in words a user can act on. */
  reason?: string;
  /** The adapter (WebGPU): vendor and architecture as the browser reports them. */
  detail?: string;
}

export interface WebBenchModel {
  /** Shown in results, e.g. the variant's label. */
  name: string;
  /** The .onnx file. */
  bytes: Uint8Array;
  /**
   * The model's external data files (web-bench-models.ts lists them from the host): onnxruntime-web fetches each
   * from its URL when it creates a session, so gigabytes of weights never pass through the page.
   */
  externalData?: WebBenchExternalData[];
}

/** One external data file of a model, as onnxruntime-web's `externalData` session option takes it. */
export interface WebBenchExternalData {
  /** The location as the model writes it: the name onnxruntime-web looks the file up by. */
  path: string;
  /** Where the host serves it (absolute: the worker resolves nothing against the page). */
  url: string;
  /** The whole file's size, which the browser downloads and holds. */
  bytes: number;
}

/**
 * The most WebAssembly memory onnxruntime-web can use: its WebAssembly is 32-bit, so 4 GiB. A model's weights are
 * copied into it when a session is created (the WASM reference check of a WebGPU run does too), next to the
 * activations.
 */
export const WASM_MEMORY_LIMIT_BYTES = 4 * 2 ** 30;

export interface WebBenchOptions {
  provider: WebProvider;
  /** Untimed runs before measuring. */
  warmup: number;
  /** Timed runs per model. */
  iterations: number;
  /** With WebGPU: also run the first input on WASM and compare the outputs. */
  checkAgainstWasm?: boolean;
  /**
   * The model's input spec (the experiment's): the shape of each input and the values of integer inputs, as
   * the engine benchmark feeds them. Without it, open dims are 1.
   */
  inputs?: InputSpec;
  signal?: AbortSignal;
  onProgress?: (fraction: number, stage: string) => void;
  /** Timed samples (ms) of model `index`, in batches. */
  onSamples?: (index: number, samples: number[]) => void;
}

/** One model's figures in the page; the latency statistics are `LatencyStats`. */
export interface WebBenchModelResult extends LatencyStats {
  /** Its place in the models benchmarked (the job's target index): a model that failed has no result. */
  index: number;
  model: string;
  engine: 'onnxruntime-web';
  provider: WebProvider;
  initMs: number;
  firstRunMs: number;
  warmup: number;
  /** Every timed run (ms), in order. */
  samples: number[];
  /** The inputs fed: name, dtype and the concrete shape (the input spec's, else open dims as 1). */
  inputs: { name: string; dtype: string; shape: number[] }[];
  /** With `checkAgainstWasm`: how far the WebGPU outputs are from the WASM ones on the same input. */
  agreement?: OutputAgreement;
}

export interface OutputAgreement {
  /** The largest absolute difference over every output value. */
  maxAbsDiff: number;
  /** Cosine similarity of all output values, flattened. */
  cosine: number;
  /** Same arg-max in every output row (class scores agree on the top class). */
  sameTop1: boolean;
}

/** A model onnxruntime-web could not run (a kernel the provider lacks), while the others were measured. */
export interface WebBenchFailure {
  /** Its place in the models benchmarked. */
  index: number;
  model: string;
  /** onnxruntime-web's message. */
  message: string;
}

export interface WebBenchReport {
  /** The models measured, in order (each with its `index`). */
  results: WebBenchModelResult[];
  /** The models that failed, each with its error: one model's failure does not stop the others. */
  failures: WebBenchFailure[];
  provider: WebProvider;
  /** The WebGPU adapter, when used. */
  adapter?: string;
  seconds: number;
}

/** The benchmark stopped because the user cancelled it. */
export class WebBenchCancelled extends Error {
  constructor() {
    super('The browser benchmark was cancelled.');
    this.name = 'WebBenchCancelled';
  }
}

/** Which providers can run here, and why not when they cannot. Never throws. */
export async function probeWebProviders(): Promise<WebProviderStatus[]> {
  const wasm: WebProviderStatus =
    typeof WebAssembly === 'object'
      ? {
          provider: 'wasm',
          available: true,
          detail: globalThis.crossOriginIsolated
            ? `WebAssembly SIMD, ${wasmThreads()} threads`
            : 'WebAssembly SIMD, 1 thread (the page is not cross-origin isolated)',
        }
      : { provider: 'wasm', available: false, reason: 'This browser has no WebAssembly.' };
  return [await probeWebGpu(), wasm];
}

async function probeWebGpu(): Promise<WebProviderStatus> {
  const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) {
    return {
      provider: 'webgpu',
      available: false,
      reason: globalThis.isSecureContext
        ? 'This browser does not offer WebGPU. Use a recent Chrome, Edge or Chromium (on Linux start it with --enable-unsafe-webgpu), or the desktop app.'
        : 'WebGPU needs a secure page: open ONNX Studio at http://127.0.0.1 or localhost (as `onnx-studio serve` prints), not at another address.',
    };
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return {
        provider: 'webgpu',
        available: false,
        reason:
          'WebGPU is present but found no GPU adapter: the GPU may be blocklisted, hardware acceleration may be off, or the browser runs with --disable-gpu. Benchmark with WASM instead, or enable the GPU in the browser settings.',
      };
    }
    const info = adapter.info;
    const detail = info
      ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ')
      : undefined;
    return { provider: 'webgpu', available: true, ...(detail ? { detail } : {}) };
  } catch (error) {
    return { provider: 'webgpu', available: false, reason: `WebGPU failed to start: ${messageOf(error)}` };
  }
}

interface GpuLike {
  requestAdapter(): Promise<{
    info?: { vendor?: string; architecture?: string; description?: string };
  } | null>;
}

/**
 * A model's failure as the user can act on it. onnxruntime-web is given the model's external data files
 * (`externalData`), so an external-data failure that still happens names the file and why: the page could not
 * fetch it ("failed to load external data file: URL", the file moved or removed since the listing), or the
 * model names a file the page was not given ("... MountedFiles is not available", "File not found in preloaded
 * files"), or the file is shorter than the model says ("Out of bounds"). The host's URLs (which carry serve's
 * token) are replaced by the locations they serve.
 */
export function messageOf(error: unknown, model?: Pick<WebBenchModel, 'externalData'>): string {
  let message = error instanceof Error ? error.message : String(error);
  for (const data of model?.externalData ?? []) message = message.split(data.url).join(data.path);
  const failed = /failed to load external data file:? *"*([^",]*?)"*(?:, error: (.*?))?\s*$/im.exec(message);
  if (!failed) return message;
  const file = `its external data file '${failed[1] ?? ''}'`;
  const reason = failed[2]?.replace(/\.$/, '');
  if (reason === undefined)
    return `${file} could not be fetched from the app: it may have been moved or removed since the benchmark started. Keep it where the model names it and run the benchmark again. (${message})`;
  if (/MountedFiles|not found/i.test(reason))
    return `${file} was not given to onnxruntime-web (the app did not list it among the model's data files): measure the model with the engine's benchmark. (${message})`;
  return `onnxruntime-web could not read ${file} (${reason}): it may be shorter than the model says, or have changed since the benchmark started. (${message})`;
}

/**
 * Why the browser cannot hold `model`, or undefined when it can: its .onnx file and external data files need more
 * than onnxruntime-web's WebAssembly memory (the figures named), so it is refused before its session is created
 * (and before gigabytes are fetched for nothing).
 */
export function webMemoryRefusal(model: Pick<WebBenchModel, 'bytes' | 'externalData'>): string | undefined {
  const data = model.externalData ?? [];
  const dataBytes = data.reduce((sum, d) => sum + d.bytes, 0);
  const total = model.bytes.byteLength + dataBytes;
  if (data.length === 0 || total <= WASM_MEMORY_LIMIT_BYTES) return undefined;
  const files =
    data.length === 1
      ? `its external data file '${data[0]?.path}'`
      : `its ${data.length} external data files`;
  return (
    `its .onnx file (${formatBytes(model.bytes.byteLength)}) and ${files} (${formatBytes(dataBytes)}) come to ` +
    `${formatBytes(total)}, more than the ${formatBytes(WASM_MEMORY_LIMIT_BYTES)} of WebAssembly memory ` +
    `onnxruntime-web can use, so the browser cannot load it. Measure it with the engine's benchmark (onnxruntime-node).`
  );
}

/** The session option that gives onnxruntime-web the model's external data files, by URL; none for a whole model. */
export function externalDataOption(
  model: Pick<WebBenchModel, 'externalData'>,
): Pick<Ort.InferenceSession.SessionOptions, 'externalData'> {
  const data = model.externalData ?? [];
  return data.length === 0 ? {} : { externalData: data.map((d) => ({ path: d.path, data: d.url })) };
}

/**
 * Make the feeds of a session: each input shaped as the input spec says (else open dims as 1), filled with
 * the spec's values where it has some (`sr = 16000`, ids in 0..99), else seeded random values of its type.
 */
export function makeFeeds(
  ort: typeof Ort,
  session: Ort.InferenceSession,
  seed: number,
  spec?: InputSpec,
): Record<string, Ort.Tensor> {
  const random = seededRandom(seed);
  const feeds: Record<string, Ort.Tensor> = {};
  session.inputNames.forEach((name, i) => {
    const meta = session.inputMetadata[i];
    if (!meta || !meta.isTensor) {
      throw new Error(`Input ${name} is not a tensor; the browser benchmark feeds tensors only.`);
    }
    const shape = spec?.shapes[name] ?? meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
    const size = shape.reduce((a, b) => a * b, 1);
    const values = spec?.values?.[name];
    feeds[name] = values
      ? chosenTensor(ort, meta.type, shape, size, values, random, name)
      : randomTensor(ort, meta.type, shape, size, random, name);
  });
  return feeds;
}

/**
 * The values the user chose, as the engine feeds them (shared/input-spec.ts `syntheticValues`): a constant
 * everywhere, a uniform draw from [min, max] (whole numbers for integer and bool inputs, real numbers for floats),
 * or positions along the last axis.
 */
function chosenTensor(
  ort: typeof Ort,
  type: string,
  shape: number[],
  size: number,
  rule: InputValues,
  random: () => number,
  name: string,
): Ort.Tensor {
  const numbers = syntheticValues(rule, type, shape, random);
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(numbers), shape);
    case 'float16':
      return new ort.Tensor('float16', Uint16Array.from(numbers, toHalf), shape);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(numbers, Math.trunc), shape);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(numbers, (n) => BigInt(Math.trunc(n))), shape);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(numbers, Math.trunc), shape);
    case 'uint8':
      return new ort.Tensor('uint8', Uint8Array.from(numbers, Math.trunc), shape);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(numbers, (n) => (n !== 0 ? 1 : 0)), shape);
    default:
      return randomTensor(ort, type, shape, size, random, name);
  }
}

function randomTensor(
  ort: typeof Ort,
  type: string,
  shape: number[],
  size: number,
  random: () => number,
  name: string,
): Ort.Tensor {
  switch (type) {
    case 'float32':
      return new ort.Tensor(
        'float32',
        Float32Array.from({ length: size }, () => random() * 2 - 1),
        shape,
      );
    case 'float16': {
      const halfs = Uint16Array.from({ length: size }, () => toHalf(random() * 2 - 1));
      return new ort.Tensor('float16', halfs, shape);
    }
    case 'int32':
      return new ort.Tensor(
        'int32',
        Int32Array.from({ length: size }, () => Math.floor(random() * 10)),
        shape,
      );
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: size }, () => BigInt(Math.floor(random() * 10))),
        shape,
      );
    case 'int8':
      return new ort.Tensor(
        'int8',
        Int8Array.from({ length: size }, () => Math.floor(random() * 256) - 128),
        shape,
      );
    case 'uint8':
      return new ort.Tensor(
        'uint8',
        Uint8Array.from({ length: size }, () => Math.floor(random() * 256)),
        shape,
      );
    case 'bool':
      return new ort.Tensor(
        'bool',
        Uint8Array.from({ length: size }, () => (random() < 0.5 ? 1 : 0)),
        shape,
      );
    default:
      throw new Error(
        `Input ${name} has type ${type}, which the browser benchmark cannot generate. Benchmark this model with the engine (onnxruntime-node) instead.`,
      );
  }
}

/** float32 → IEEE half bits (round to nearest even), for float16 inputs. */
export function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  if (exp >= 31) return sign | 0x7c00;
  const rounded = mant + 0xfff + ((mant >>> 13) & 1);
  if (rounded & 0x800000) return exp + 1 >= 31 ? sign | 0x7c00 : sign | ((exp + 1) << 10);
  return sign | (exp << 10) | (rounded >>> 13);
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WebBenchCancelled();
}

const SAMPLE_BATCH_MS = 100;

/**
 * Benchmark each model in turn: create a session, one timed first run, `warmup` untimed runs, then
 * `iterations` timed runs. Sessions are released before the next model so GPU memory does not pile up. A model
 * that fails (a WebGPU kernel that refuses its attributes) is reported in `failures` with its error, and the
 * others are still measured: one model's Conv stopped a run of six, naming none. Only a cancel stops the run.
 */
export async function runWebBench(
  models: readonly WebBenchModel[],
  options: WebBenchOptions,
): Promise<WebBenchReport> {
  const started = performance.now();
  const ort = await loadOrt();
  const status = (await probeWebProviders()).find((s) => s.provider === options.provider);
  if (!status?.available) throw new Error(status?.reason ?? `${options.provider} is not available here.`);
  const perModel = options.warmup + options.iterations + 1;
  const total = Math.max(1, models.length * perModel);
  const results: WebBenchModelResult[] = [];
  const failures: WebBenchFailure[] = [];

  for (const [index, model] of models.entries()) {
    checkCancelled(options.signal);
    try {
      results.push(await benchOne(ort, model, index, options, { done: index * perModel, total }));
    } catch (error) {
      if (error instanceof WebBenchCancelled) throw error;
      failures.push({ index, model: model.name, message: messageOf(error, model) });
    }
  }
  options.onProgress?.(1, 'done');
  return {
    results,
    failures,
    provider: options.provider,
    ...(status.detail && options.provider === 'webgpu' ? { adapter: status.detail } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The stage while a model's session is created: onnxruntime-web tells nothing until it is done, which for a model
 * of a gigabyte (its data fetched, then copied into WebAssembly memory) is minutes, so the stage says how much it
 * loads and how long it has taken so far, in the engine's words (shared/loading-words.ts):
 * `loading int4 (1.07 GiB with its data) into onnxruntime-web · 23 s`.
 */
export function sessionStage(model: Pick<WebBenchModel, 'name' | 'bytes' | 'externalData'>, seconds: number): string {
  const data = model.externalData ?? [];
  const bytes = model.bytes.byteLength + data.reduce((sum, d) => sum + d.bytes, 0);
  const stage = loadingWords(model.name, bytes, data.length > 0, 'onnxruntime-web');
  return seconds > 0 ? withElapsed(stage, seconds) : stage;
}

/** Says `stage(0)` now and `stage(seconds)` once a second until `work` settles, then stops; `work`'s result. */
export async function saidWhileWaiting<T>(stage: (seconds: number) => void, work: Promise<T>): Promise<T> {
  const stop = tickSeconds((seconds) => stage(Math.round(seconds)));
  try {
    return await work;
  } finally {
    stop();
  }
}

/** One model's session, first run, warmup and timed runs; `at` places its progress in the whole run's. */
async function benchOne(
  ort: typeof Ort,
  model: WebBenchModel,
  index: number,
  options: WebBenchOptions,
  at: { done: number; total: number },
): Promise<WebBenchModelResult> {
  const { done, total } = at;
  const refused = webMemoryRefusal(model);
  if (refused) throw new Error(refused);
  const t0 = performance.now();
  // With external data, its files are fetched inside `create`, so initMs includes fetching them.
  const session = await saidWhileWaiting(
    (seconds) => options.onProgress?.(done / total, sessionStage(model, seconds)),
    ort.InferenceSession.create(model.bytes, {
      executionProviders: [options.provider],
      graphOptimizationLevel: 'all',
      ...externalDataOption(model),
    }),
  );
  try {
    const initMs = performance.now() - t0;
    const feeds = makeFeeds(ort, session, 0, options.inputs);
    const first = performance.now();
    const firstOutputs = await session.run(feeds);
    const firstRunMs = performance.now() - first;
    let agreement: OutputAgreement | undefined;
    if (options.checkAgainstWasm && options.provider !== 'wasm') {
      options.onProgress?.(done / total, `checking outputs against WASM (${model.name})`);
      agreement = await compareWithWasm(ort, model, feeds, firstOutputs);
    }
    disposeAll(firstOutputs);

    for (let i = 0; i < options.warmup; i++) {
      checkCancelled(options.signal);
      disposeAll(await session.run(feeds));
      options.onProgress?.((done + 1 + i) / total, `warmup (${model.name})`);
    }
    const samples: number[] = [];
    let batch: number[] = [];
    let lastBatch = performance.now();
    for (let i = 0; i < options.iterations; i++) {
      checkCancelled(options.signal);
      const t = performance.now();
      const outputs = await session.run(feeds);
      const ms = performance.now() - t;
      disposeAll(outputs);
      samples.push(ms);
      batch.push(Math.round(ms * 10_000) / 10_000);
      if (performance.now() - lastBatch > SAMPLE_BATCH_MS) {
        options.onSamples?.(index, batch);
        batch = [];
        lastBatch = performance.now();
        options.onProgress?.((done + 1 + options.warmup + i) / total, `measuring (${model.name})`);
      }
    }
    if (batch.length > 0) options.onSamples?.(index, batch);
    const stats = latencyStats(samples);
    if (!stats) throw new Error('No runs were measured; set at least one iteration.');
    return {
      index,
      model: model.name,
      engine: 'onnxruntime-web',
      provider: options.provider,
      initMs,
      firstRunMs,
      warmup: options.warmup,
      ...latencyStatsOf(stats),
      samples,
      inputs: Object.entries(feeds).map(([name, t]) => ({ name, dtype: t.type, shape: [...t.dims] })),
      ...(agreement ? { agreement } : {}),
    };
  } finally {
    // After a kernel error the release may fail too: the error that matters is the kernel's.
    await session.release().catch(() => undefined);
  }
}

function disposeAll(outputs: Ort.InferenceSession.OnnxValueMapType): void {
  for (const value of Object.values(outputs)) (value as Ort.Tensor).dispose?.();
}

async function compareWithWasm(
  ort: typeof Ort,
  model: WebBenchModel,
  feeds: Record<string, Ort.Tensor>,
  outputs: Ort.InferenceSession.OnnxValueMapType,
): Promise<OutputAgreement> {
  const session = await ort.InferenceSession.create(model.bytes, {
    executionProviders: ['wasm'],
    ...externalDataOption(model),
  });
  try {
    const reference = await session.run(feeds);
    const result = compareOutputs(outputs, reference);
    disposeAll(reference);
    return result;
  } finally {
    await session.release();
  }
}

/** How closely two runs' outputs agree (same names, same order). */
export function compareOutputs(
  a: Ort.InferenceSession.OnnxValueMapType,
  b: Ort.InferenceSession.OnnxValueMapType,
): OutputAgreement {
  let maxAbsDiff = 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sameTop1 = true;
  for (const [name, value] of Object.entries(a)) {
    const other = b[name] as Ort.Tensor | undefined;
    const tensor = value as Ort.Tensor;
    if (!other) throw new Error(`Output ${name} is missing from the WASM run.`);
    const x = numeric(tensor);
    const y = numeric(other);
    if (x.length !== y.length)
      throw new Error(`Output ${name} has ${x.length} values on one provider and ${y.length} on the other.`);
    for (let i = 0; i < x.length; i++) {
      const p = x[i] as number;
      const q = y[i] as number;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p - q));
      dot += p * q;
      na += p * p;
      nb += q * q;
    }
    const row = tensor.dims.length > 0 ? (tensor.dims[tensor.dims.length - 1] ?? 1) : 1;
    if (row > 1) {
      for (let start = 0; start + row <= x.length; start += row) {
        if (argmax(x, start, row) !== argmax(y, start, row)) sameTop1 = false;
      }
    }
  }
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  return { maxAbsDiff, cosine, sameTop1 };
}

function numeric(tensor: Ort.Tensor): ArrayLike<number> {
  const data = tensor.data;
  // float16 tensors hold the raw half bits.
  if (tensor.type === 'float16' && data instanceof Uint16Array) return Array.from(data, fromHalf);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  if (Array.isArray(data)) return data.map(Number);
  return data as ArrayLike<number>;
}

/** IEEE half bits → number. */
export function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function argmax(values: ArrayLike<number>, start: number, length: number): number {
  let best = start;
  for (let i = start + 1; i < start + length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best - start;
}
