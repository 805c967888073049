/**
 * A `StudioHost` with an in-memory backend, for component tests, the browser tests of the built renderer and
 * UI work in plain `vite dev` (open the page with `?host=mock`). It answers every contract method the way
 * the real backend does (results, workspace changes, job events with progress, streamed latency samples,
 * cancellation, export confirmations), with made-up but plausible numbers, so every view can be driven
 * without an engine.
 *
 * Behaviour is chosen by name so tests need no setup: a model whose file name contains `broken` fails to
 * parse, `missing` fails with an IO error; a quantize method named `fail` fails; evaluation data whose path
 * contains `corrupt` passes the data check, then the evaluation fails; data whose path contains `slow` takes a
 * minute to check (unless cancelled), reading 20,000 samples, for the check's progress and Cancel (`slow-pipeline`:
 * only the check `pipeline.start` runs is slow, the page's own check is quick). `?scenario=serve` makes it
 * behave like `onnx-studio serve` (no native dialogs: the in-page file browser is used); `?scenario=charts`
 * opens the sample with variants and figures already measured (mock-charts-scenario.ts).
 *
 * This file only assembles the host; its parts live in mock/: the shared state (state.ts), the models and
 * workspaces (fixtures.ts, workspaces.ts), the simulated jobs (job-runner.ts, start-job.ts, variant-jobs.ts,
 * measure-jobs.ts), pipelines and data checks (pipelines.ts, data-checks.ts), and the contract's methods by
 * area (model-, file-system, workspace-, job- and app-methods).
 */
import type { JobSpec } from '../../../shared/ipc-contract.js';
import type { StudioHost } from './studio-host.js';
import { mockAppMethods } from './mock/app-methods.js';
import { mockDataChecks } from './mock/data-checks.js';
import { mockFileSystemMethods } from './mock/file-system.js';
import { mockJobMethods } from './mock/job-methods.js';
import { mockJobRunner, type MockJobContext } from './mock/job-runner.js';
import { mockModelMethods } from './mock/model-methods.js';
import { mockPipelines } from './mock/pipelines.js';
import { startMockJob } from './mock/start-job.js';
import { createMockState, type MockHostOptions } from './mock/state.js';
import { mockWorkspaceMethods } from './mock/workspace-methods.js';
import { mockWorkspaces } from './mock/workspaces.js';

export { MOCK_CATALOG, MOCK_DIALOG_PATH, MOCK_SAMPLE_PATH, SAMPLE_SUMMARY } from './mock/fixtures.js';
export type { MockHostOptions } from './mock/state.js';

export function createMockHost(options: MockHostOptions = {}): StudioHost {
  const state = createMockState(options);
  const workspaces = mockWorkspaces(state);
  const ctx: MockJobContext = { state, workspaces, runJob: mockJobRunner(state, workspaces) };
  const startJob = (spec: JobSpec) => startMockJob(ctx, spec);
  // The product's pipeline runner, over the simulated jobs and the in-memory workspaces.
  const pipelines = mockPipelines(state, workspaces, startJob);
  const runChecks = mockDataChecks(state, workspaces);

  const host: StudioHost = {
    kind: 'mock',
    ...mockModelMethods(state, workspaces),
    ...mockFileSystemMethods(state),
    ...mockJobMethods(state, workspaces, startJob, pipelines, runChecks),
    ...mockWorkspaceMethods(state, workspaces, pipelines),
    ...mockAppMethods(state),
  };
  return host;
}
