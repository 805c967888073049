/**
 * The mock's data checks, run as the backend's DatasetChecks run them: under a `checkId` (one in flight at a
 * time, cancellable, with progress events), 360 samples at once, or 20,000 over a minute when the path says
 * `slow`. Labels or shapes named `wrong-labels` / `wrong-shape` fail the way the engine words it.
 */
import type { Result } from '../../../../shared/errors.js';
import type {
  DatasetCheckProgress,
  DatasetCheckReport,
  DatasetCheckRequest,
} from '../../../../shared/ipc-contract.js';
import { MAX_CHECKED_SAMPLES } from '../../../../shared/dataset-check-limits.js';
import { delay, fail, ok } from './answers.js';
import { fedInputs, mockIdentity, type MockWorkspaces } from './workspaces.js';
import type { MockState } from './state.js';

/** How long the mock takes to check data whose path says `slow` (unless cancelled). */
const SLOW_CHECK_MS = 60_000;

/** One check as `runChecks` hands it to its work: `pipeline` when `pipeline.start` runs it. */
export type CheckData = (
  r: Omit<DatasetCheckRequest, 'checkId'>,
  pipeline: boolean,
  item?: number,
) => Promise<Result<DatasetCheckReport>>;

export type RunChecks = <T>(
  checkId: string | undefined,
  work: (check: CheckData, aborted: () => boolean) => Promise<Result<T>>,
) => Promise<Result<T>>;

export function mockDataChecks(state: MockState, workspaces: MockWorkspaces): RunChecks {
  const { listeners, checks } = state;
  const { workspaceFor } = workspaces;

  /**
   * One simulated data check. It reads 360 samples at once, or (`slow`) 20,000 over a minute, reporting how many
   * it has read about 4 times a second; `stop` ends it early with a CANCELLED error.
   */
  const checkOnce = async (
    r: Omit<DatasetCheckRequest, 'checkId'>,
    slow: boolean,
    stop: { stopped: Promise<void>; cancelled: () => boolean },
    progress?: (done: number, total: number) => void,
  ): Promise<Result<DatasetCheckReport>> => {
    const spec = r.data.spec as { kind: string; path?: string; labels?: string };
    const cancelled = () => fail({ code: 'CANCELLED', message: 'The data check was cancelled.' });
    const total = slow ? MAX_CHECKED_SAMPLES : 360;
    // Like the backend: the check runs a while (a turn of the event loop at least), and its id cancels it.
    await Promise.race([delay(0), stop.stopped]);
    if (stop.cancelled()) return cancelled();
    progress?.(0, total);
    const started = Date.now();
    while (slow && !stop.cancelled() && Date.now() - started < SLOW_CHECK_MS) {
      await Promise.race([delay(250), stop.stopped]);
      if (!stop.cancelled())
        progress?.(Math.min(total, Math.floor((total * (Date.now() - started)) / SLOW_CHECK_MS)), total);
    }
    if (stop.cancelled()) return cancelled();
    progress?.(total, total);
    if (spec.labels?.includes('wrong-labels')) {
      return fail({
        code: 'BAD_REQUEST',
        message: `${spec.labels.split('/').pop()} holds class labels from 0 to 99, but the model scores 10 classes (0 to 9). Check that it is the labels file of this dataset and of this model.`,
      });
    }
    if (spec.path?.includes('wrong-shape')) {
      return fail({
        code: 'BAD_INPUT',
        message: `Input 'input': the model expects float32 [batch, 3, 224, 224], but ${spec.path.split('/').pop()} has float32 samples of shape [1, 28, 28]: a sample needs 4 dims (or 3 without the batch axis), the data has 3.`,
      });
    }
    const ws = workspaceFor(r.modelPath);
    const labelled = spec.labels !== undefined;
    return ok({
      identity: mockIdentity(ws, r.data, 360),
      inputs: fedInputs(ws),
      hasLabels: labelled,
      ...(labelled ? { labels: { count: 360, min: 0, max: 9, modelClasses: 10 } } : {}),
      warnings:
        r.role === 'evaluation' && !labelled
          ? [
              "no labels: accuracy cannot be measured; variants are compared with the original's outputs (fidelity) instead",
            ]
          : [],
    });
  };

  /**
   * Runs `work`'s checks under `checkId` (as the backend's DatasetChecks): one id in flight at a time, cancelled
   * together by `cancelDatasetCheck`, reporting progress under that id. `pipeline`: the check `pipeline.start`
   * runs (slow for `slow-pipeline` data too).
   */
  const runChecks = async <T>(
    checkId: string | undefined,
    work: (check: CheckData, aborted: () => boolean) => Promise<Result<T>>,
  ): Promise<Result<T>> => {
    if (checkId !== undefined && checks.has(checkId)) {
      return fail({
        code: 'BAD_REQUEST',
        message: `A data check with the id ${checkId} is already running.`,
      });
    }
    let cancelled = false;
    let resolveStopped = () => {};
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
    const cancel = () => {
      cancelled = true;
      resolveStopped();
    };
    if (checkId !== undefined) checks.set(checkId, cancel);
    try {
      return await work(
        (r, pipeline, item) => {
          const path = (r.data.spec as { path?: string }).path ?? '';
          const slow = path.includes('slow') && (pipeline || !path.includes('slow-pipeline'));
          const report =
            checkId === undefined
              ? undefined
              : (done: number, total: number) => {
                  const event: DatasetCheckProgress = {
                    checkId,
                    done,
                    total,
                    role: r.role,
                    ...(item !== undefined ? { item } : {}),
                  };
                  for (const l of listeners.checkProgress) l(event);
                };
          return checkOnce(r, slow, { stopped, cancelled: () => cancelled }, report);
        },
        () => cancelled,
      );
    } finally {
      if (checkId !== undefined && checks.get(checkId) === cancel) checks.delete(checkId);
    }
  };

  return runChecks;
}
