/**
 * The mock host's models and workspaces: what inspecting a path answers (by its name: `broken`, `missing`),
 * the workspace each model gets on first use (the sample with its experiment, the `charts` scenario's seeded
 * figures), what the engine would feed it, and the change announcement. Every job and method reads its
 * workspace through here.
 */
import type { Result } from '../../../../shared/errors.js';
import { defaultDatasetName, experimentDatasetFor, sampleExperiment } from '../../../../shared/experiment.js';
import type { ModelSummary } from '../../../../shared/model-summary.js';
import type { DatasetIdentity, FedInput, Workspace } from '../../../../shared/workspace.js';
import { seedChartsScenario } from '../mock-charts-scenario.js';
import { fail, ok } from './answers.js';
import {
  DIGITS_SUMMARY,
  MOCK_DIALOG_PATH,
  MOCK_SAMPLE_INFO,
  MOCK_SAMPLE_PATH,
  SAMPLE_SUMMARY,
} from './fixtures.js';
import { mockSha256 } from './stable-random.js';
import type { MockState } from './state.js';

/** A made-up but stable identity: the name the backend would give, a hash-like id from the spec. */
export function mockIdentity(ws: Workspace, data: { spec: unknown }, samples: number): DatasetIdentity {
  const named = experimentDatasetFor(ws, data as Parameters<typeof experimentDatasetFor>[1]);
  return { name: named?.name ?? defaultDatasetName(data.spec), samples, sha256: mockSha256(data.spec) };
}

export const summaryFor = (path: string): Result<ModelSummary> => {
  const name = path.split(/[\\/]/).pop() ?? path;
  if (name.includes('broken')) {
    return fail({
      code: 'MODEL_PARSE',
      message: `${name} is not a valid ONNX file: the protobuf data ends early. Re-export or re-download the model.`,
      detail: 'mock: truncated protobuf at byte 1024',
    });
  }
  if (name.includes('missing'))
    return fail({ code: 'IO', message: `${path} does not exist. Check the path and try again.` });
  if (path === MOCK_SAMPLE_PATH) return ok(DIGITS_SUMMARY);
  return ok({ ...SAMPLE_SUMMARY, path });
};

/** What the engine would feed: the experiment's shapes, else the model's with open dims at 1. */
export const fedInputs = (ws: Workspace): FedInput[] =>
  (ws.model.summary?.inputs ?? []).map((i) => ({
    name: i.name,
    dtype: i.dtype,
    shape:
      ws.experiment?.inputs?.shapes[i.name] ?? i.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1)),
  }));

export interface MockWorkspaces {
  /** The model's workspace, made on first use. */
  workspaceFor: (modelPath: string) => Workspace;
  /** Stamp the workspace and tell the listeners it changed. */
  changed: (ws: Workspace) => void;
}

export function mockWorkspaces(state: MockState): MockWorkspaces {
  const { options, workspaces, listeners } = state;

  const workspaceFor = (modelPath: string): Workspace => {
    let ws = workspaces.get(modelPath);
    if (!ws) {
      const summary = summaryFor(modelPath);
      const now = new Date(0).toISOString();
      ws = {
        version: 1,
        key: `ws-${workspaces.size + 1}`,
        model: {
          path: modelPath,
          fileBytes: summary.ok ? summary.value.fileBytes : 0,
          mtimeMs: 0,
          ...(summary.ok ? { summary: summary.value } : {}),
        },
        createdAt: now,
        updatedAt: now,
        variants: [],
        benchmarks: [],
        evaluations: [],
        // The sample brings its own experiment; the dialog's model remembers the input spec of an earlier
        // session (a model whose name says `dynamic` has none, so the page asks for it); others start empty.
        ...(modelPath === MOCK_SAMPLE_PATH ? { experiment: sampleExperiment(MOCK_SAMPLE_INFO, now) } : {}),
        ...(modelPath === MOCK_DIALOG_PATH
          ? { experiment: { inputs: { shapes: { input: [1, 3, 224, 224] } }, inputsConfirmedAt: now } }
          : {}),
      };
      workspaces.set(modelPath, ws);
      // `?scenario=charts`: the sample comes with variants and figures to look at (mock-charts-scenario.ts).
      if (options.scenario === 'charts' && modelPath === MOCK_SAMPLE_PATH)
        seedChartsScenario(ws, fedInputs(ws), mockIdentity(ws, MOCK_SAMPLE_INFO.data, 360));
    }
    return ws;
  };

  const changed = (ws: Workspace) => {
    ws.updatedAt = new Date().toISOString();
    for (const l of listeners.workspace) l({ modelPath: ws.model.path, key: ws.key });
  };

  return { workspaceFor, changed };
}
