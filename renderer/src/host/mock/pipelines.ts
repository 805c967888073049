/**
 * The product's own pipeline runner (shared/pipeline-runner.ts), wired to the mock's simulated jobs and
 * in-memory workspaces, so pipelines in the mock start, check and rerun by the same rules as in the backend.
 */
import type { Result } from '../../../../shared/errors.js';
import type { JobSpec } from '../../../../shared/ipc-contract.js';
import { PipelineRunner, type PipelineJobOutcome } from '../../../../shared/pipeline-runner.js';
import type { MockWorkspaces } from './workspaces.js';
import type { MockState } from './state.js';

export function mockPipelines(
  state: MockState,
  workspaces: MockWorkspaces,
  startJob: (spec: JobSpec) => Result<{ jobId: string }>,
): PipelineRunner {
  const { listeners, jobEnds } = state;
  const { workspaceFor, changed } = workspaces;
  let pipelineCounter = 0;
  return new PipelineRunner({
    startJob: (spec) => {
      const started = startJob(spec);
      if (!started.ok) throw started.error;
      const { jobId } = started.value;
      return { jobId, done: new Promise<PipelineJobOutcome>((resolve) => jobEnds.set(jobId, resolve)) };
    },
    update: async (modelPath, mutate) => {
      const ws = workspaceFor(modelPath);
      mutate(ws);
      changed(ws);
    },
    newId: () => `p-${++pipelineCounter}`,
    now: () => new Date().toISOString(),
    // As the backend: the starts in flight are read with the workspace, so the pages read it again.
    startsChanged: (modelPath) => {
      const key = workspaceFor(modelPath).key;
      for (const l of listeners.workspace) l({ modelPath, key });
    },
  });
}
