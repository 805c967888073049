/**
 * The mock host's job methods: start a job or pipelines (each pipeline's data checked first, under the
 * request's checkId, through the product's pipeline runner), rerun a pipeline, cancel or list jobs, check
 * data and cancel a check. Sweep results need the engine, so the mock refuses them.
 */
import type { JobSpec } from '../../../../shared/ipc-contract.js';
import type { Result } from '../../../../shared/errors.js';
import type { PipelineRunner } from '../../../../shared/pipeline-runner.js';
import type { StudioHost } from '../studio-host.js';
import { fail, ok } from './answers.js';
import type { RunChecks } from './data-checks.js';
import type { MockState } from './state.js';
import type { MockWorkspaces } from './workspaces.js';

export function mockJobMethods(
  state: MockState,
  workspaces: MockWorkspaces,
  startJob: (spec: JobSpec) => Result<{ jobId: string }>,
  pipelines: PipelineRunner,
  runChecks: RunChecks,
): Pick<
  StudioHost,
  | 'startJob'
  | 'startPipelines'
  | 'rerunPipeline'
  | 'cancelJob'
  | 'listJobs'
  | 'collectSweep'
  | 'checkDataset'
  | 'cancelDatasetCheck'
> {
  const { jobs, checks } = state;
  const { workspaceFor } = workspaces;
  return {
    startJob: async (spec) => startJob(spec),
    // The backend's order, through the same runner: each pipeline's data is checked (under the request's
    // checkId), then it starts; a cancel stops the rest.
    startPipelines: async ({ pipelines: requests, checkId }) =>
      runChecks(checkId, async (check, aborted) =>
        ok(
          await pipelines.startChecked(
            requests,
            async (r, item) => {
              const report = await check(r, true, item);
              if (!report.ok) throw report.error;
              return report.value;
            },
            aborted,
            checkId,
          ),
        ),
      ),
    rerunPipeline: async (request) => {
      try {
        return ok(await pipelines.rerun(workspaceFor(request.modelPath), request.pipelineId));
      } catch (error) {
        return fail({ code: 'BAD_REQUEST', message: (error as Error).message });
      }
    },
    cancelJob: async (jobId) => {
      const job = jobs.get(jobId);
      if (
        !job ||
        job.info.state === 'succeeded' ||
        job.info.state === 'failed' ||
        job.info.state === 'cancelled'
      ) {
        return ok({ cancelled: false });
      }
      job.cancel();
      return ok({ cancelled: true });
    },
    listJobs: async () => ok([...jobs.values()].map((j) => j.info)),
    // Sweep results are files on the engine's machine: the mock page has none to read.
    collectSweep: async () =>
      fail({
        code: 'BAD_REQUEST',
        message: 'Opening sweep results needs the engine: run the desktop app or `onnx-studio serve`.',
      }),
    checkDataset: async ({ checkId, ...r }) => runChecks(checkId, (check) => check(r, false)),
    cancelDatasetCheck: async (checkId) => {
      const cancel = checks.get(checkId);
      cancel?.();
      return ok({ cancelled: cancel !== undefined });
    },
  };
}
