/**
 * The mock's quantize and prune jobs: each makes a variant as the engine would (a unique name, a file in the
 * workspace, a report, a deterministic sha256, the CLI command that makes it again), at a made-up size. The
 * mock-only method `fail` fails, for the UI's error paths.
 */
import { formatCliCommand, recipeCommand } from '../../../../shared/cli-command.js';
import type { PruneJobSpec, QuantizeJobSpec } from '../../../../shared/ipc-contract.js';
import { defaultVariantName, uniqueVariantName, variantSteps } from '../../../../shared/variant-naming.js';
import type { VariantRecipe, Workspace, WorkspaceVariant } from '../../../../shared/workspace.js';
import { fail, ok } from './answers.js';
import { MOCK_CATALOG } from './fixtures.js';
import type { MockJobContext } from './job-runner.js';
import { mockSha256 } from './stable-random.js';

/**
 * The file a variant's mock CLI command writes, named by the engine's rule (variantSteps): beside the model, e.g.
 * `/models/net-int8-dynamic-fp16.onnx`. (The mock's command makes the variant from the model in one line.)
 */
function mockCliOutput(ws: Workspace, parent: string, recipe: VariantRecipe): string {
  const made = variantSteps(ws, parent, recipe).at(-1)?.fileName ?? '';
  return `${ws.model.path.slice(0, ws.model.path.lastIndexOf('/') + 1)}${made}`;
}

/** Starts a quantize or prune job on `ws`; answers its job id. */
export function startVariantJob(
  { state, workspaces, runJob }: MockJobContext,
  spec: QuantizeJobSpec | PruneJobSpec,
  ws: Workspace,
): string {
  const { files } = state;
  const { changed } = workspaces;
  const method = spec.method;
  const jobId = runJob(spec, 900, spec.kind === 'quantize' ? 'quantizing' : 'pruning', () => {
    if (method === 'fail') {
      return fail({
        code: 'BAD_REQUEST',
        message: 'The mock method "fail" failed on purpose: choose another method.',
      });
    }
    const parent = spec.source ?? 'original';
    const from = ws.variants.find((v) => v.id === parent);
    if (parent !== 'original' && !from) {
      return fail({
        code: 'BAD_REQUEST',
        message: `There is no variant '${parent}' in the workspace. Reload the workspace.`,
      });
    }
    const inputBytes = from?.fileBytes ?? ws.model.fileBytes;
    const factor = spec.kind === 'prune' ? 1 : method === 'fp16' ? 0.5 : 0.27;
    const id = `v-${((state.counter * 2654435761) >>> 0).toString(16).slice(0, 8)}`;
    const name = uniqueVariantName(ws, spec.name ?? defaultVariantName(spec, from?.name));
    const path = `/data/workspaces/${ws.key}/${id}.onnx`;
    const outputBytes = Math.round(inputBytes * factor);
    const report = {
      output: path,
      method,
      inputBytes,
      outputBytes,
      quantizedNodes: 53,
      skippedNodes: [],
      seconds: 0.9,
      notes: [],
    };
    const recipe: VariantRecipe =
      spec.kind === 'quantize'
        ? { operation: 'quantize', method, common: spec.common ?? {}, options: spec.options ?? {} }
        : { operation: 'prune', method, common: spec.common, options: spec.options ?? {} };
    const variant: WorkspaceVariant = {
      id,
      name,
      path,
      fileBytes: outputBytes,
      // The mock's quantizers are deterministic, as the engine's are: one recipe on one parent, one file.
      sha256: mockSha256({ parent, recipe }),
      createdAt: new Date().toISOString(),
      parent,
      recipe,
      report:
        spec.kind === 'quantize'
          ? report
          : {
              ...report,
              targetSparsity: 0.5,
              achievedSparsity: 0.5,
              prunedNodes: 53,
              removedChannels: 0,
              layers: [],
              skipped: [],
              parameters: { before: 1, after: 1 },
            },
      cliCommand: formatCliCommand(
        recipeCommand(recipe, spec.modelPath, mockCliOutput(ws, parent, recipe), MOCK_CATALOG),
      ),
    };
    ws.variants.push(variant);
    files.add(path);
    changed(ws);
    return ok({ report, variant });
  });
  return jobId;
}
