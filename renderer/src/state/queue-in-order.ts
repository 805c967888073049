/**
 * How the page queues several pipelines one after another, each after its own data check, and what Cancel
 * means there: the pipelines the backend accepted count as queued, even one whose answer came after Cancel
 * was pressed (its checks had ended, so it runs); no pipeline after it is started. A failure other than a
 * cancelled check is reported and the next pipeline is still tried. Plain async code, so it is tested without
 * React (queue-in-order.test.ts); `use-studio.ts` hands it the host calls.
 */
import type { Result, StudioErrorInfo } from '../../../shared/errors.js';

/** What queueing did: how many pipelines started, and whether Cancel stopped the rest. */
export interface QueueOutcome {
  queued: number;
  cancelled: boolean;
}

export interface QueueStep {
  /** What the user reads while this step's data is checked, and beside its failure. */
  title: string;
  /** Starts this step's pipeline (its data check first); resolves with the backend's answer. */
  start: () => Promise<Result<unknown>>;
}

export async function queueInOrder(
  steps: readonly QueueStep[],
  /** Cancel: aborted while a step's check runs, or between steps. */
  signal: AbortSignal | undefined,
  hooks: {
    /** A step's check begins (the progress line names it). */
    onNext?: (title: string, index: number) => void;
    /** A step the backend refused for another reason than Cancel. */
    onFailed: (step: QueueStep, error: StudioErrorInfo, index: number) => void;
  },
): Promise<QueueOutcome> {
  let queued = 0;
  for (const [i, step] of steps.entries()) {
    if (signal?.aborted) return { queued, cancelled: true };
    hooks.onNext?.(step.title, i);
    const result = await step.start();
    if (result.ok) {
      // Queued, even when a Cancel came after its checks had ended: the steps after it are not.
      queued++;
      if (signal?.aborted) return { queued, cancelled: true };
      continue;
    }
    // Cancel stopped this step's data check: it and the steps after it are not queued.
    if (signal?.aborted) return { queued, cancelled: true };
    hooks.onFailed(step, result.error, i);
  }
  return { queued, cancelled: false };
}
