/**
 * The mock host's workspace methods: read one (with the pipeline starts in flight) or list them all, rename
 * or remove a variant (not while a job reads it; its results go with it), set the experiment (checked by the
 * product's input-spec rule), add a page-measured benchmark, and build or save a report.
 */
import { applyExperimentChange } from '../../../../shared/experiment.js';
import { inputSpecProblem } from '../../../../shared/input-spec.js';
import { activeJobReading, variantInUseMessage } from '../../../../shared/job-targets.js';
import type { PipelineRunner } from '../../../../shared/pipeline-runner.js';
import type { StudioReport } from '../../../../shared/report.js';
import { renamedVariantName } from '../../../../shared/variant-naming.js';
import type { BenchRecord } from '../../../../shared/workspace.js';
import type { StudioHost } from '../studio-host.js';
import { fail, ok } from './answers.js';
import type { MockState } from './state.js';
import { summaryFor, type MockWorkspaces } from './workspaces.js';

export function mockWorkspaceMethods(
  state: MockState,
  workspaces: MockWorkspaces,
  pipelines: PipelineRunner,
): Pick<
  StudioHost,
  | 'getWorkspace'
  | 'listWorkspaces'
  | 'renameVariant'
  | 'removeVariant'
  | 'setExperiment'
  | 'addBenchRecord'
  | 'buildReport'
  | 'saveReport'
> {
  const { jobs } = state;
  const { workspaceFor, changed } = workspaces;
  return {
    getWorkspace: async (modelPath) => {
      const summary = summaryFor(modelPath);
      if (!summary.ok) return summary;
      const ws = structuredClone(workspaceFor(modelPath));
      const starts = pipelines.startsInFlight(ws);
      return ok(starts.length > 0 ? { ...ws, startsInFlight: starts } : ws);
    },
    listWorkspaces: async () =>
      ok(
        [...state.workspaces.values()].map((w) => ({
          key: w.key,
          modelPath: w.model.path,
          variants: w.variants.length,
          updatedAt: w.updatedAt,
          modelExists: true,
        })),
      ),
    renameVariant: async (r) => {
      const v = workspaceFor(r.modelPath).variants.find((x) => x.id === r.variantId);
      if (!v) return fail({ code: 'BAD_REQUEST', message: 'No such variant.' });
      const renamed = renamedVariantName(workspaceFor(r.modelPath).variants, r.variantId, r.name);
      if ('problem' in renamed) return fail({ code: 'BAD_REQUEST', message: renamed.problem });
      v.name = renamed.name;
      changed(workspaceFor(r.modelPath));
      return ok(v);
    },
    removeVariant: async (r) => {
      // Like the engine: not while a job reads it.
      const busy = activeJobReading(
        [...jobs.values()].map((j) => j.info),
        r.modelPath,
        r.variantId,
      );
      if (busy) return fail({ code: 'BAD_REQUEST', message: variantInUseMessage(busy) });
      const ws = workspaceFor(r.modelPath);
      const before = ws.variants.length;
      ws.variants = ws.variants.filter((v) => v.id !== r.variantId);
      // Like the engine: every result that measured it goes with it.
      for (const record of ws.benchmarks)
        record.results = record.results.filter((x) => x.target !== r.variantId);
      ws.benchmarks = ws.benchmarks.filter((record) => record.results.length > 0);
      ws.evaluations = ws.evaluations.filter((e) => e.target !== r.variantId && e.reference !== r.variantId);
      changed(ws);
      return ok({ removed: ws.variants.length < before });
    },
    setExperiment: async (r) => {
      const ws = workspaceFor(r.modelPath);
      const summary = ws.model.summary;
      if (r.inputs && summary) {
        const problem = inputSpecProblem(summary.inputs, r.inputs);
        if (problem)
          return fail({ code: 'BAD_INPUT', message: `${problem} Correct the input spec and save it again.` });
      }
      ws.experiment = applyExperimentChange(ws.experiment, r, new Date().toISOString());
      changed(ws);
      return ok(structuredClone(ws));
    },
    addBenchRecord: async (r) => {
      const ws = workspaceFor(r.modelPath);
      const record: BenchRecord = {
        id: `b-web-${++state.counter}`,
        createdAt: new Date().toISOString(),
        engine: r.engine,
        provider: r.provider,
        label: r.label,
        results: r.results,
        ...(r.inputs ? { inputs: r.inputs } : {}),
        notes: r.notes ?? [],
      };
      ws.benchmarks.push(record);
      changed(ws);
      return ok(record);
    },
    buildReport: async (modelPath) => {
      const ws = workspaceFor(modelPath);
      const json: StudioReport = {
        generatedBy: 'onnx-studio mock',
        generatedAt: new Date().toISOString(),
        model: { path: modelPath },
        rows: [],
        benchmarks: ws.benchmarks,
        workspace: ws,
      };
      return ok({ html: `<!doctype html><title>Report</title><h1>${modelPath}</h1>`, json });
    },
    saveReport: async (r) =>
      ok({ htmlPath: `${r.outputDir}/report.html`, jsonPath: `${r.outputDir}/report.json` }),
  };
}
