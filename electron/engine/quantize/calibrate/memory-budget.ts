/**
 * Calibration under a memory budget. The histogram methods make every calibrated activation a graph output,
 * so onnxruntime keeps them all alive at once: a segmentation net at 1024x1024 exposes gigabytes per sample.
 * When the activations of one sample would exceed the budget, calibration runs in several passes over the
 * data, each exposing a group of tensors that fits; a tensor's statistics depend only on its own values in
 * sample order, so the ranges are the same as one pass's.
 */
import os from 'node:os';
import { StudioError } from '../../errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes of `512M`, `2G`, `1.5GiB`, `4096MB` or a plain number of bytes (binary units either way). */
export function parseMemorySize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = match ? Number(match[1]) * UNITS[match[2]!.toLowerCase()]! : NaN;
  if (!Number.isFinite(bytes) || bytes < 64 * 1024 ** 2) {
    throw new StudioError(
      'BAD_REQUEST',
      `--max-memory must be a size of at least 64M, such as 512M, 2G or 1.5GiB; got '${text}'.`,
    );
  }
  return Math.floor(bytes);
}

/** The default budget: a quarter of this machine's memory, at most 4 GiB. */
export function defaultMemoryBudget(totalBytes = os.totalmem()): number {
  return Math.min(Math.floor(totalBytes / 4), 4 * 1024 ** 3);
}

/**
 * The bytes per sample the exposed activations of one pass may take: half of what is left after the weights
 * (loaded once by the session, about once more in its kernels), because each exposed activation lives twice,
 * in onnxruntime's output and in its copy in JavaScript; at least an eighth of the budget. The working memory
 * of onnxruntime's largest operator (a 3x3 convolution's unfolded input) comes on top and is not counted.
 */
export function activationBudget(budgetBytes: number, weightBytes: number): number {
  return Math.max(Math.floor(budgetBytes / 8), Math.floor((budgetBytes - 2 * weightBytes) / 2));
}

/**
 * Tensors in groups whose bytes per sample fit `limit`, in their order (so each pass runs the graph's early part
 * first). A tensor larger than the limit gets a group of its own: it cannot be split, and one pass is the least
 * it needs.
 */
export function groupsWithin(tensors: readonly string[], bytesOf: ReadonlyMap<string, number>, limit: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const tensor of tensors) {
    const bytes = bytesOf.get(tensor) ?? 0;
    if (current.length > 0 && used + bytes > limit) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(tensor);
    used += bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** A tensor that alone takes more than the activation budget: no plan of passes can meet the budget. */
export interface OversizedTensor {
  tensor: string;
  /** Its bytes per sample. */
  bytes: number;
}

/** The passes over the data a plan makes: the tensors and bytes per sample each exposes. */
export interface PlannedPass {
  tensors: string[];
  bytes: number;
}

/**
 * How to expose `tensors` within `budgetBytes`: groups that fit the activation budget left after `weightBytes`,
 * its limit, whether the exposed activations are a large part of it (`tight`: the sessions then give memory
 * back between operators), and the tensors that alone exceed the limit, largest first (`oversized`: each gets a
 * pass of its own, which still takes more than the budget).
 */
export function planPasses(
  tensors: readonly string[],
  bytesOf: ReadonlyMap<string, number>,
  budgetBytes: number,
  weightBytes: number,
): { groups: string[][]; passes: PlannedPass[]; limit: number; tight: boolean; oversized: OversizedTensor[] } {
  const limit = activationBudget(budgetBytes, weightBytes);
  const exposed = tensors.reduce((sum, t) => sum + (bytesOf.get(t) ?? 0), 0);
  const groups = groupsWithin(tensors, bytesOf, limit);
  const passes = groups.map((group) => ({
    tensors: group,
    bytes: group.reduce((sum, t) => sum + (bytesOf.get(t) ?? 0), 0),
  }));
  const oversized = tensors
    .map((tensor) => ({ tensor, bytes: bytesOf.get(tensor) ?? 0 }))
    .filter((t) => t.bytes > limit)
    .sort((a, b) => b.bytes - a.bytes);
  return { groups, passes, limit, tight: exposed > limit / 4, oversized };
}

/** How many oversized tensors the budget note names. */
const NAMED_OVERSIZED = 3;

/**
 * What a budgeted calibration says about memory, or undefined when one pass fitted: the passes it made, and
 * when a single tensor is larger than the activation budget, that the budget could not be met, naming that
 * tensor and its size (one tensor cannot be split across passes). `budget` names the budget (`200M`, or the
 * default). Only a limit that every pass kept to is stated as one.
 */
export function budgetNote(
  plan: { passes: readonly { bytes?: number }[]; limitBytes: number; oversized: readonly OversizedTensor[] },
  budget: string,
  /** What was done, as the note's verb: `calibrated` (int8-static), `measured` (sensitivity). */
  verb = 'calibrated',
): string | undefined {
  const { passes, limitBytes, oversized } = plan;
  const several = passes.length > 1 ? `${verb} in ${passes.length} passes over the data (the same ranges as one pass)` : '';
  if (oversized.length === 0) {
    if (passes.length <= 1) return undefined;
    return (
      `One sample's activations did not fit the memory budget (${budget}): ${several}, each exposing at most ` +
      `${formatMemory(limitBytes)} of activations.`
    );
  }
  const [largest] = oversized;
  const others = oversized.slice(1, NAMED_OVERSIZED).map((t) => `'${t.tensor}' ${formatMemory(t.bytes)}`);
  const more = oversized.length > NAMED_OVERSIZED ? ` and ${oversized.length - NAMED_OVERSIZED} more` : '';
  const also = others.length > 0 ? ` (also over it: ${others.join(', ')}${more})` : '';
  return (
    `The memory budget (${budget}) cannot be met: activation '${largest!.tensor}' alone takes ` +
    `${formatMemory(largest!.bytes)} per sample, more than the ${formatMemory(limitBytes)} of activations the budget ` +
    `leaves${also}, and one tensor cannot be split across passes, so ${verb === 'calibrated' ? 'calibration' : 'the measurement'} ` +
    `used more memory than the budget${several ? `; ${several}` : ''}. Use smaller inputs (--dim, --shape) or a larger --max-memory.`
  );
}

/** `1.5 GiB`, for notes. */
export function formatMemory(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
