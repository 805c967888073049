/**
 * Renderer-side names for contract types, so views import from one place. Everything here is declared in
 * `shared/`; nothing is invented by the renderer.
 */
export type {
  AppInfo,
  JobSpec,
  SampleModelInfo,
  FsListing,
  FsEntry,
  JobInfo,
} from '../../../shared/ipc-contract.js';
export type { MethodCatalog, MethodDescription, OptionField } from '../../../shared/method-catalog-types.js';
export type {
  BenchRecord,
  BenchTargetResult,
  EvalRecord,
  VariantRecipe,
  Workspace,
  WorkspaceVariant,
} from '../../../shared/workspace.js';
export type { EvalReportInfo } from '../../../shared/job-reports.js';
export type { ExportJobResult, JobResults } from '../../../shared/job-results.js';
