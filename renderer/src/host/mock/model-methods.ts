/**
 * The mock host's answers about a model file: its summary (remembered among the recent models), its graph and
 * a variant's diff (made-up data from mock-graph.ts), and whether onnxruntime could load it (a name with
 * `custom_op` cannot, as the engine would word it).
 */
import { mockModelGraph, mockVariantDiff } from '../mock-graph.js';
import type { StudioHost } from '../studio-host.js';
import { delay, fail, ok } from './answers.js';
import type { MockState } from './state.js';
import { summaryFor, type MockWorkspaces } from './workspaces.js';

export function mockModelMethods(
  state: MockState,
  workspaces: MockWorkspaces,
): Pick<StudioHost, 'inspectModel' | 'modelGraph' | 'modelLoadCheck' | 'modelDiff'> {
  const { latencyMs, listeners } = state;
  const { workspaceFor } = workspaces;
  return {
    inspectModel: async (path) => {
      await delay(latencyMs);
      const summary = summaryFor(path);
      if (summary.ok) {
        state.recent = [path, ...state.recent.filter((p) => p !== path)].slice(0, 10);
        for (const l of listeners.recent) l(state.recent);
      }
      return summary;
    },
    modelGraph: async ({ modelPath, target }) => {
      await delay(latencyMs);
      const ws = workspaceFor(modelPath);
      const variant = ws.variants.find((v) => v.id === target);
      if (target !== 'original' && !variant)
        return fail({ code: 'BAD_REQUEST', message: `There is no variant '${target}'.` });
      return ok(mockModelGraph(variant ? variant.path : modelPath));
    },
    // A model named like custom_op.onnx is one onnxruntime refuses (a custom operator), as the engine says it.
    modelLoadCheck: async ({ path }) => {
      await delay(latencyMs);
      const name = path.split(/[\\/]/).pop() ?? path;
      if (!name.includes('custom_op')) return ok({ loadable: true });
      return ok({
        loadable: false,
        problem: {
          code: 'MODEL_INVALID',
          message: `onnxruntime cannot load ${path}: Fatal error: com.example:FancyAct(-1) is not a registered function/op. The model uses FancyAct of domain 'com.example', a custom operator onnxruntime does not know: it needs that operator's custom-op library, which ONNX Studio does not load. Export the model without it.`,
        },
      });
    },
    modelDiff: async ({ modelPath, variantId }) => {
      await delay(latencyMs);
      const variant = workspaceFor(modelPath).variants.find((v) => v.id === variantId);
      if (!variant) return fail({ code: 'BAD_REQUEST', message: `There is no variant '${variantId}'.` });
      return ok(mockVariantDiff(mockModelGraph(modelPath), variant));
    },
  };
}
