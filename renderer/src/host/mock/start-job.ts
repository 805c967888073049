/**
 * `startJob` of the mock host: which simulation each job kind runs. Inspect and export are short enough to
 * live here (export decides by the product's own export checks); variants and measurements have their own
 * files; `tune` needs the engine, so the mock refuses it.
 */
import type { Result } from '../../../../shared/errors.js';
import { checkExport } from '../../../../shared/export-checks.js';
import type { JobSpec } from '../../../../shared/ipc-contract.js';
import type { ExportJobResult } from '../../../../shared/job-results.js';
import { fail, ok } from './answers.js';
import type { MockJobContext } from './job-runner.js';
import { startBenchJob, startEvaluateJob } from './measure-jobs.js';
import { startVariantJob } from './variant-jobs.js';
import { summaryFor } from './workspaces.js';

export function startMockJob(ctx: MockJobContext, spec: JobSpec): Result<{ jobId: string }> {
  const { state, workspaces, runJob } = ctx;
  const { files } = state;
  const ws = workspaces.workspaceFor(spec.modelPath);
  switch (spec.kind) {
    case 'inspect':
      return ok({ jobId: runJob(spec, 200, 'reading', () => summaryFor(spec.modelPath)) });
    case 'quantize':
    case 'prune':
      return ok({ jobId: startVariantJob(ctx, spec, ws) });
    case 'bench':
      return ok({ jobId: startBenchJob(ctx, spec, ws) });
    case 'evaluate':
      return ok({ jobId: startEvaluateJob(ctx, spec, ws) });
    case 'export': {
      const jobId = runJob(spec, 200, 'writing', (): Result<ExportJobResult> => {
        const variant = ws.variants.find((v) => v.id === spec.target);
        if (!variant)
          return fail({ code: 'BAD_REQUEST', message: `No variant ${spec.target} in this workspace.` });
        const check = checkExport({
          destination: spec.outputPath,
          variantPath: variant.path,
          modelPath: spec.modelPath,
          exists: files.has(spec.outputPath),
          ...(spec.overwrite !== undefined ? { overwrite: spec.overwrite } : {}),
          ...(spec.replaceOriginal !== undefined ? { replaceOriginal: spec.replaceOriginal } : {}),
        });
        if (check.kind === 'refuse') return fail({ code: 'BAD_REQUEST', message: check.message });
        if (check.kind === 'ask') return ok({ written: false, reason: check.reason, path: spec.outputPath });
        files.add(spec.outputPath);
        return ok({
          written: true,
          path: spec.outputPath,
          bytes: variant.fileBytes,
          cliCommand: variant.cliCommand,
        });
      });
      return ok({ jobId });
    }
    case 'tune':
      // The search makes, evaluates and benchmarks real variants: it needs the engine (the app or `serve`).
      return fail({
        code: 'BAD_REQUEST',
        message:
          'Auto-optimize needs the engine: run the desktop app or `onnx-studio serve`, not the mock page.',
      });
  }
}
