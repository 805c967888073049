/**
 * explain's advice on a pruned variant, by its method. Magnitude pruning zeroes weights in place: the dense
 * kernels multiply the zeros as well. Structured pruning removes whole channels, and then what can keep it from
 * being faster is the channel counts it leaves: onnxruntime's fastest CPU convolutions (its NCHWc kernels) work on
 * blocks of 8 channels (AVX2) or 16 (AVX-512), and reorder the data (ReorderInput/ReorderOutput) around a layer
 * whose count is not a multiple of the block. The prune job notes it and names `--round-to`
 * (electron/engine/prune/methods/structured.ts, the same rule); explain says it with the time the reorders take.
 */
import type { UnalignedConv } from './bench.js';
import type { PrunedLayerInfo } from './job-reports.js';

/** The channel block of onnxruntime's NCHWc convolutions with AVX2; AVX-512's is 16. */
const CHANNEL_BLOCK = 8;

const list = (words: string[]) =>
  words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;

/**
 * The convolutions a structured prune left with an output channel count that is not a multiple of 8, from the
 * prune report's layers (the app has the report; the CLI reads the two models, electron/engine/bench/explain-facts.ts).
 */
export function unalignedConvsOf(layers: readonly PrunedLayerInfo[]): UnalignedConv[] {
  return layers
    .filter(
      (l) =>
        l.unit === 'channels' &&
        l.removed > 0 &&
        l.opType.startsWith('Conv') &&
        (l.total - l.removed) % CHANNEL_BLOCK !== 0,
    )
    .map((l) => ({ name: l.name, opType: l.opType, before: l.total, channels: l.total - l.removed }));
}

/** Whether a channel count is one onnxruntime's blocked convolutions take as it is. */
export const alignedChannels = (channels: number) => channels % CHANNEL_BLOCK === 0;

/**
 * The option that keeps every pruned layer a multiple of 8 channels: its label in the app's form where the caller
 * has the labels (`optionLabels`, by flag, from the method catalog), else its flag as the command line takes it.
 */
function roundToOption(optionLabels: ReadonlyMap<string, string> | undefined): string {
  const label = optionLabels?.get('--round-to');
  return label
    ? `the "${label}" option at 8 (16 on a CPU with AVX-512)`
    : '--round-to 8 (16 on a CPU with AVX-512)';
}

export interface PrunedVariant {
  /** The prune method (`structured`, `magnitude`), when known. */
  method: string | undefined;
  p50Ratio: number;
  /**
   * Whether the variant is faster beyond the run's noise (the benchmark's verdict, shared/explain.ts `speed`);
   * without it, a ratio under 0.97.
   */
  faster?: boolean;
  p50Ms: number;
  /** For structured pruning: the convolutions left with a channel count that is not a multiple of 8. */
  unalignedConvs: readonly UnalignedConv[] | undefined;
  /** Layout reorders' share of each model's kernel time (0 to 100). */
  layoutPct: { original: number; variant: number };
  optionLabels: ReadonlyMap<string, string> | undefined;
}

/** "Pruning cut the work": a pruned variant that got faster did so in float. */
export function fasterPruneAdvice(p50Ratio: number, known: boolean): string {
  return (
    `${known ? 'Pruning' : 'Something other than quantization (pruned channels, fused ops)'} cut the work: the variant runs at ` +
    `${p50Ratio.toFixed(2)}x of the original's p50, still all in float. Quantizing it (int8) as well can make it faster still.`
  );
}

/**
 * What pruning can and cannot do for speed: weights set to zero keep their place in the tensors, and
 * onnxruntime's dense kernels (Conv, MatMul, Gemm) multiply the zeros as well; only channels removed outright
 * make the kernels smaller. `known`: the caller said the variant was pruned (else it is one possibility).
 */
export function zeroedWeightsAdvice(
  p50Ratio: number,
  p50Ms: number,
  known: boolean,
  faster = p50Ratio < 0.97,
): string {
  if (faster) return fasterPruneAdvice(p50Ratio, known);
  return (
    `${known ? '' : 'If it was pruned: '}weights set to zero still cost time, as onnxruntime's dense kernels (Conv, MatMul, Gemm) ` +
    'multiply the zeros as well: sparsity alone does not make a model faster. Only channels removed outright shrink the kernels that held them' +
    // Below a fraction of a millisecond a run, per-op overhead rather than arithmetic sets the time.
    (p50Ms < 0.2
      ? `, and at ${p50Ms.toFixed(3)} ms a run, per-op overhead may outweigh the arithmetic saved`
      : '') +
    '. For speed, prune whole channels (structured) or quantize the pruned variant (int8).'
  ).replace(/^w/, (c) => (known ? c.toUpperCase() : c));
}

/** The channel counts structured pruning left that onnxruntime's blocked convolutions do not take as they are. */
function unalignedAdvice(v: PrunedVariant, convs: readonly UnalignedConv[]): string {
  const counts = [...new Set(convs.map((c) => c.channels))].sort((a, b) => a - b).map(String);
  const one = convs.length === 1;
  const reorders =
    v.layoutPct.variant >= 1
      ? ` (layout reorders take ${v.layoutPct.variant.toFixed(0)}% of run time here, ${v.layoutPct.original.toFixed(0)}% in the original)`
      : '';
  return (
    `Structured pruning left ${one ? 'a convolution' : `${convs.length} convolutions`} with ${one ? 'a channel count' : 'channel counts'} ` +
    `that ${one ? 'is' : 'are'} not a multiple of 8 (${list(counts)}): onnxruntime's fastest CPU convolutions (its NCHWc kernels) ` +
    `work on blocks of 8 channels (AVX2) or 16 (AVX-512), and reorder the data around layers that do not fit${reorders}. ` +
    `Prune again with ${roundToOption(v.optionLabels)}: every layer then keeps a multiple of 8 channels, for a little less size saved.`
  );
}

/** The advice on a variant the caller knows was pruned, by its method. */
export function pruneAdvice(v: PrunedVariant): string[] {
  if (v.method !== 'structured') return [zeroedWeightsAdvice(v.p50Ratio, v.p50Ms, true, v.faster)];
  const advice: string[] = [];
  const unaligned = v.unalignedConvs ?? [];
  if (unaligned.length > 0) advice.push(unalignedAdvice(v, unaligned));
  if (v.faster ?? v.p50Ratio < 0.97) advice.push(fasterPruneAdvice(v.p50Ratio, true));
  else if (unaligned.length === 0)
    advice.push(
      'Structured pruning removed whole channels, yet the variant is not faster' +
        (v.p50Ms < 0.2
          ? `: at ${v.p50Ms.toFixed(3)} ms a run, per-op overhead rather than arithmetic sets the time`
          : ': the layers it shrank take little of the run time, or lost too few channels to matter') +
        '. Prune the slowest layers further, or quantize the pruned variant (int8).',
    );
  return advice;
}
