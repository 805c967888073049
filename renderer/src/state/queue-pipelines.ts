/**
 * How the page reads the backend's answer to one `studio:pipeline.start` of the recipes the user queued with
 * one click. The backend decides what Cancel means (shared/pipeline-runner.ts `startChecked`): pipelines it
 * started count as queued, even one whose start came after Cancel was pressed (its checks had ended); none
 * after a cancelled check starts; one whose data failed is reported and the next is still tried. Plain
 * functions, tested without React (queue-pipelines.test.ts); `use-studio.ts` sends the request.
 */
import type { Result, StudioErrorInfo } from '../../../shared/errors.js';
import type { PipelineStartOutcome } from '../../../shared/ipc-contract.js';

/** What queueing did: how many pipelines started, and whether Cancel stopped the rest. */
export interface QueueOutcome {
  queued: number;
  cancelled: boolean;
  /**
   * Which recipes (by index in the request) started, and their pipelines' ids, in order: after a Cancel, Queue
   * offers the others.
   */
  started: { index: number; pipelineId: string }[];
}

/** The progress line's words for the pipeline whose data is checked: its title, and which of how many. */
export function checkingTitle(titles: readonly string[], item: number): string {
  const title = titles[item] ?? titles[0] ?? '';
  return titles.length > 1 ? `${title} (${item + 1} of ${titles.length})` : title;
}

/**
 * The outcome of the request, with each failure handed to `onFailed` by the index of its recipe. A request that
 * failed as a whole (the host unreachable, the request refused) failed for every recipe, unless the user's
 * Cancel stopped it.
 */
export function queueOutcome(
  result: Result<PipelineStartOutcome>,
  count: number,
  cancelPressed: boolean,
  onFailed: (index: number, error: StudioErrorInfo) => void,
): QueueOutcome {
  if (!result.ok) {
    if (cancelPressed || result.error.code === 'CANCELLED')
      return { queued: 0, cancelled: true, started: [] };
    for (let i = 0; i < count; i++) onFailed(i, result.error);
    return { queued: 0, cancelled: false, started: [] };
  }
  const { started, failed, cancelled } = result.value;
  for (const { index, error } of failed) onFailed(index, error);
  return {
    queued: started.length,
    cancelled,
    started: started.map(({ index, pipeline }) => ({ index, pipelineId: pipeline.id })),
  };
}
