/**
 * The benchmark domain, shared by every side: what a benchmark is asked (`BenchParams`, the execution
 * providers and optimization levels), what it answers (`BenchReport`), and which execution providers work
 * here (`ProviderStatus`). Plain data (importing only other plain data of `shared/`): the engine-process protocol that
 * carries these (`electron/engine/host/engine-protocol.ts`), the app contract (`ipc-contract.ts`) and the
 * workspace all build on it. Latency statistics and the names of streamed samples are in latency-stats.ts.
 */
import type { SkippedNodeInfo } from './job-reports.js';
import type { LatencyStats } from './latency-stats.js';
import type { SpeedVerdict } from './latency-noise.js';
import { z } from 'zod';
import { inputValuesSchema } from './input-spec-schema.js';

// ---------------------------------------------------------------------------------------------------------
// Benchmark request
// ---------------------------------------------------------------------------------------------------------

/**
 * Execution providers the CLI and app know by name (onnxruntime's own names). Which of them work on a given
 * machine is reported by the `providers` request: `cpu` always; `webgpu` ships with onnxruntime-node but needs
 * a GPU adapter; `cuda` and `tensorrt` need the opt-in CUDA build on Linux x64 (`npm run setup:cuda`);
 * `dml` is Windows only and `coreml` macOS only (neither is in onnxruntime-node 1.30's Linux build).
 */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** onnxruntime's graph optimization levels (`--opt-level`). */
export const OPT_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type OptLevel = (typeof OPT_LEVELS)[number];

/** The most inputs a benchmark holds in memory and cycles through (its feeds are all kept at once). */
export const BENCH_MAX_SAMPLES = 1024;

/** Dataset samples a benchmark holds in memory and cycles through unless told otherwise (`bench --data`, tune). */
export const BENCH_DATASET_FEEDS = 16;

/** The most decode steps `bench --generate N` takes per generation. */
export const BENCH_MAX_GENERATE = 8192;

/** Where the inputs come from: seeded random tensors shaped from the model, or a dataset. */
export const benchDataSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('synthetic'),
    /** How many distinct feeds to prepare; the runs cycle through them. */
    samples: z.number().int().min(1).max(BENCH_MAX_SAMPLES),
    seed: z.number().int(),
  }),
  z.strictObject({
    kind: z.literal('dataset'),
    /** A dataset spec (`DatasetSpec` of shared/dataset-spec.ts), validated by the engine before use. */
    spec: z.unknown(),
    /** Relative paths in the spec resolve against this folder. */
    baseDir: z.string().optional(),
    /** At most this many samples are read into memory before timing; the runs cycle through them. */
    maxSamples: z.number().int().min(1).max(BENCH_MAX_SAMPLES),
  }),
]);
export type BenchData = z.infer<typeof benchDataSchema>;

/**
 * One benchmark of one or several models. Several models run interleaved (A B A B ...) in one engine process,
 * one session each, so a noisy machine affects them alike. No defaults or transforms here (the parsed type is
 * the input type); `benchParams()` in `electron/engine/bench/` fills in the defaults.
 */
export const benchParamsSchema = z
  .strictObject({
    /** Paths of the models, baseline first (ratios are against it). */
    models: z.array(z.string().min(1)).min(1).max(64),
    /**
     * What messages call the models, by their path in `models` (default: their file names). The app names a
     * variant by its name ("fp16"), not by its file in the workspace (`v-91132971c3-fp16.onnx`).
     */
    labels: z.record(z.string(), z.string().min(1)).optional(),
    ep: z.enum(EXECUTION_PROVIDERS),
    /** Threads inside one operator; 0 = onnxruntime's default (one per physical core). */
    intraOpThreads: z.number().int().min(0).max(4096),
    /** Threads running independent operators in parallel; 0 = onnxruntime's default. */
    interOpThreads: z.number().int().min(0).max(4096),
    optLevel: z.enum(OPT_LEVELS),
    /**
     * `session.intra_op.allow_spinning`. Off by default: spinning threads of one session steal CPU from the
     * next session in an interleaved run (two copies of one model measured a p50 ratio of 1.68 with spinning
     * on, 1.00 with it off). On can make a lone model a little faster.
     */
    allowSpinning: z.boolean(),
    /**
     * Untimed runs per model before measuring (after the timed first run). Unless 0, warmup also lasts at
     * least 200 ms, so that tiny models reach steady state; results report the runs actually made.
     */
    warmup: z.number().int().min(0).max(1_000_000),
    /** Timed runs per model. Exactly one of `iterations` and `durationMs` is set. */
    iterations: z.number().int().min(1).max(10_000_000).optional(),
    /** Measure for this long (ms, all models together); every model gets the same number of runs. */
    durationMs: z.number().positive().max(86_400_000).optional(),
    /** Whole input shapes by input name (`--shape`). */
    shapes: z.record(z.string(), z.array(z.number().int().min(0))),
    /** Values of symbolic dims by name (`--dim`); other symbolic dims are 1, and the result's notes say so. */
    dims: z.record(z.string(), z.number().int().min(0)),
    /** Values synthetic inputs are filled with, by input name (`--value sr=16000`). */
    values: z.record(z.string(), inputValuesSchema),
    data: benchDataSchema,
    /**
     * Also record onnxruntime's profile, aggregated per op type and node: in a separate pass after timing, in sessions
     * of their own (electron/engine/bench/profile-pass.ts), so that no latency figure includes the profiler's cost.
     */
    profile: z.boolean(),
    /**
     * `onnx-studio explain`: also read what it needs of its two models (the original, then the variant) from the
     * copies the benchmark loads anyway (BenchReport.explain), so that no other process loads them again.
     */
    explain: z.boolean().optional(),
    /**
     * `bench --generate N`: time text generation on a decoder with a KV cache instead of single runs: a prefill of
     * the prompt (the first token), then N greedy decode steps, each feeding the previous step's cache
     * (electron/engine/bench/generate-bench.ts). `iterations`/`durationMs` then count generations, `warmup` untimed
     * generations; `profile` is refused with it.
     */
    generate: z.number().int().min(1).max(BENCH_MAX_GENERATE).optional(),
  })
  .refine((p) => (p.iterations === undefined) !== (p.durationMs === undefined), {
    message: 'Set exactly one of iterations and durationMs.',
  });
export type BenchParams = z.infer<typeof benchParamsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Benchmark result (the `--json` output of `onnx-studio bench` is `{results, comparisons}` of this)
// ---------------------------------------------------------------------------------------------------------

export interface OpTypeTime {
  opType: string;
  /**
   * Kernel time in the median measured run (ms): the median over the runs of each run's summed kernel time of
   * this op type, which one pre-empted kernel does not move as it moves a mean.
   */
  ms: number;
  /** Share of all kernel time, 0 to 100. */
  pct: number;
  /**
   * Every kernel of this op type wrote 8-bit integers (from the profile's output types): a data-movement op
   * (Expand, Reshape, MaxPool...) running on quantized data rather than a float island.
   */
  int8Data?: boolean;
}

export interface NodeTime {
  name: string;
  opType: string;
  /** Kernel time in the median measured run (ms). */
  ms: number;
  /**
   * The model's node this kernel ran, where onnxruntime named the kernel otherwise: a kernel of the blocked
   * layout is named after the tensor it writes (`relu2_out_nchwc` is conv2's, fused with its Relu).
   */
  node?: string;
}

/**
 * onnxruntime's profiling trace, aggregated over the runs of a separate profiled pass after timing (one session per
 * model, profiled after a warm-up run): the latency figures come from the timed runs, which ran without the profiler.
 */
export interface BenchProfile {
  byOpType: OpTypeTime[];
  /** The ten slowest nodes. */
  topNodes: NodeTime[];
  /**
   * Every node with kernel time, slowest first, up to 5,000 (the Graph view's kernel-time heat), and every Cast
   * past them (explain's split of the Cast time needs them all: shared/explain-casts.ts). Absent in profiles
   * recorded before it existed.
   */
  nodes?: NodeTime[];
  /** How many profiled runs the aggregate covers (5 to 20: as many as were timed, within those bounds). */
  runs: number;
  /**
   * Recorded in its own pass, apart from the timed runs (always, now). Absent in records from before, whose timings
   * include the profiler's cost: Compare keeps those apart from plain runs (shared/bench-conditions.ts).
   */
  timedApart?: true;
  /**
   * The raw trace (Chrome trace format: open it in chrome://tracing or ui.perfetto.dev). Kept by `bench
   * --profile` only; explain and the app keep the aggregates and delete the trace (several MB per model).
   */
  traceFile?: string;
}

export interface BenchInputInfo {
  name: string;
  dtype: string;
  /** The concrete shape fed: the first sample's when samples differ. */
  shape: number[];
  /**
   * Every distinct shape fed, in the order first fed, when the samples differ (data of several widths): the
   * runs cycle through them, so the figures are for the mix, not for `shape` alone. At most 16.
   */
  shapes?: number[][];
  /**
   * What of this input nothing set, as fed (synthetic data only): guessed dims by name or position with their
   * sizes, and guessed values (`W=320`, `dim 0=1`, `values 16000`). The warnings say why; this marks the rows.
   */
  guessed?: string;
  /**
   * The values synthetic data fed it, where the input spec or a guess set them (an integer input such as a sample
   * rate): two runs at `sr` 8000 and 16000 have the same shapes, and differ here.
   */
  values?: z.infer<typeof inputValuesSchema>;
}

/** One model's figures. Times are ms; "p50" etc. use linear interpolation between order statistics. */
/** One model's figures; the latency statistics (iterations, mean, std, percentiles) are `LatencyStats`. */
export interface BenchModelResult extends LatencyStats {
  model: string;
  ep: ExecutionProvider;
  /** Intra-op threads asked for; 0 = onnxruntime's default (one per physical core). */
  threads: number;
  interOpThreads: number;
  /** Session creation: reading the file, graph optimization, kernel setup (ms). */
  initMs: number;
  /** The first run after creation, which pays for lazy allocations (ms); not part of the statistics. */
  firstRunMs: number;
  /** Untimed warmup runs made (at least the number asked for; more when they took under 200 ms). */
  warmup: number;
  /** Runs per second of one stream of sequential runs: 1000 / meanMs. */
  throughput: number;
  /**
   * Peak resident memory of the engine process during this benchmark's timing (bytes; a profile pass after it is
   * not included). Models benchmarked together share the process, so they report the same peak; benchmark a model
   * alone for its own.
   */
  peakRssBytes: number;
  /** The model file plus its external data (bytes). */
  modelBytes: number;
  inputs: BenchInputInfo[];
  profile?: BenchProfile;
  /**
   * `bench --generate`: the generation's own figures. The latency statistics above are then per decode step (one
   * token each, every step of every timed generation), `throughput` is tokens/s (generation.tokensPerSecond),
   * `firstRunMs` the first token of the first (untimed) generation and `warmup` the untimed generations.
   */
  generation?: BenchGeneration;
}

/** Latency figures of one kind of generation step (ms). */
export interface GenerationLatency {
  /** How many steps the figures cover. */
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

/** One model's figures of `bench --generate N`. */
export interface BenchGeneration {
  /** Tokens of the prompt, fed at once in the prefill (a past of 0). */
  promptTokens: number;
  /** Decode steps per generation (the N of --generate). */
  decodeSteps: number;
  /** Tokens each generation produced: the first token (from the prefill) and one per decode step. */
  newTokens: number;
  /** Timed generations the figures cover. */
  generations: number;
  /** The prefill of the prompt and the argmax of its last logits, once per timed generation. */
  firstToken: GenerationLatency;
  /** One decode step (feed the last token and the cache, run, argmax), every step of every timed generation. */
  decode: GenerationLatency;
  /** 1000 / decode.p50Ms: the median step, the statistic of the decode p50 ratio and its verdict. */
  tokensPerSecond: number;
  /** The ids the last generation produced (greedy: the argmax of the last logits each step), newTokens of them. */
  ids: number[];
  /** Models after the first: the share (0 to 1) of `ids` equal to the first model's at the same position. */
  agreement?: number;
  /** Models after the first: the index in `ids` of the first id that differs from the first model's; null if none. */
  firstDifference?: number | null;
}

export interface BenchComparison {
  model: string;
  /** The first model. */
  baseline: string;
  /** p50 of this model / p50 of the baseline: below 1 is faster. */
  p50Ratio: number;
  /** modelBytes of this model / modelBytes of the baseline. */
  sizeRatio: number;
  /**
   * `faster` / `slower` only beyond the run's noise (shared/latency-noise.ts, read from the run's samples);
   * `same` when the run cannot tell the ratio from 1.
   */
  latencyVerdict: SpeedVerdict;
  /** The run spread too much to tell anything (the verdict is then `same`); absent otherwise. */
  latencyUnreliable?: true;
  /**
   * `bench --generate`: `p50Ratio` is then of the decode step (per token) and `latencyVerdict` is judged on each
   * timed generation's mean step (one sample per generation: steps grow with the context, so all steps together
   * spread by that alone); these add the first token's p50 ratio with its verdict (one prefill per generation),
   * the tokens/s ratio (1 / p50Ratio, above 1 is faster) and how many generations per model the verdicts rest on.
   */
  generation?: {
    firstTokenP50Ratio: number;
    firstTokenVerdict: SpeedVerdict;
    /** The first tokens spread too much to tell anything (the verdict is then `same`); absent otherwise. */
    firstTokenUnreliable?: true;
    tokensPerSecondRatio: number;
    generations: number;
  };
}

export interface BenchReport {
  results: BenchModelResult[];
  /** One entry per model after the first; empty for a single model. */
  comparisons: BenchComparison[];
  /**
   * With several models: the engine process's peak RSS, every model loaded. Each result's `peakRssBytes`
   * repeats it, so it is no one model's own.
   */
  processPeakRssBytes?: number;
  settings: {
    ep: ExecutionProvider;
    threads: number;
    interOpThreads: number;
    optLevel: OptLevel;
    allowSpinning: boolean;
    warmup: number;
    iterations?: number;
    durationMs?: number;
    /** The inputs, e.g. `synthetic (4 samples, seed 0)`. */
    data: string;
    /** How many input samples the runs cycled through: fewer than asked when the data has fewer. */
    samples: number;
    /** How peakRssBytes was measured: `exact` (the OS's high-water mark) or `sampled` (after every run). */
    rssMethod: 'exact' | 'sampled';
    /** `bench --generate`: what every model generated from, the same prompt for all. */
    generate?: BenchGenerateSettings;
  };
  /** Things the reader should know: defaulted dims, spinning, how a profile was recorded. */
  notes: string[];
  /** Wall time of the whole job (s). */
  seconds: number;
  /** What `explain` needs of the two models, when BenchParams.explain asked for it. */
  explain?: BenchExplainFacts;
}

/** What `bench --generate` generated from (settings.generate). */
export interface BenchGenerateSettings {
  /** Decode steps per generation (N). */
  steps: number;
  /** How each next id is chosen: the argmax of the last position's logits. */
  decoding: 'greedy';
  promptTokens: number;
  /** Where the prompt's ids came from, in words: `the first sample of ids.npz ('input_ids')`, `synthetic ids ...`. */
  prompt: string;
}

/** A convolution structured pruning left with a channel count that is not a multiple of 8. */
export interface UnalignedConv {
  name: string;
  opType: string;
  /** Output channels before and after pruning. */
  before: number;
  channels: number;
}

/** What `onnx-studio explain` reads of its two models while the benchmark has them loaded. */
export interface BenchExplainFacts {
  /** diff's note that the two models look unrelated (the variant was not made from the original), when they do. */
  unrelated?: string;
  /** The nodes the variant's recorded quantize options kept float, when it records a quantization. */
  skippedNodes?: SkippedNodeInfo[];
  /** The variant's last recorded step, when it records one: a prune step decides the advice as a quantize one. */
  lastStep?: { operation: 'quantize' | 'prune'; method: string };
  /**
   * For a structured-pruned variant: the convolutions pruning left with an output channel count that is not a
   * multiple of 8 (onnxruntime's blocked CPU convolutions want 8 or 16), by node (or weight) name.
   */
  unalignedConvs?: UnalignedConv[];
  /** The variant's size (file and external data) over the original's. */
  sizeRatio?: number;
  /** The variant's op counts (main graph), as inspect gives them. */
  variantOpCounts: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------------------
// Execution providers
// ---------------------------------------------------------------------------------------------------------

export interface ProviderStatus {
  name: ExecutionProvider;
  /** onnxruntime-node lists it for this platform (`listSupportedBackends()`). */
  listed: boolean;
  /** Its library ships with onnxruntime-node (otherwise it is an opt-in download). */
  bundled: boolean;
  /** A session was actually created with it here. */
  available: boolean;
  /** Why it is not available (onnxruntime's message), when it is not. */
  reason?: string;
  /** How to get it, when it is not available. */
  hint?: string;
}
