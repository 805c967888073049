/**
 * The mock host's in-memory backend state, in one object every part of the mock shares: its options, the
 * listeners of each event, the workspaces, jobs, running data checks, the files that "exist", the recent
 * models and the id counter. It exists so the parts in this folder can live in their own files and still
 * read and change one backend, as the closure of the single-file mock did.
 */
import type {
  DatasetCheckProgress,
  JobEvent,
  JobInfo,
  MenuCommand,
} from '../../../../shared/ipc-contract.js';
import type { PipelineJobOutcome } from '../../../../shared/pipeline-runner.js';
import type { Workspace } from '../../../../shared/workspace.js';
import { MOCK_DIALOG_PATH, MOCK_SAMPLE_PATH } from './fixtures.js';

export interface MockHostOptions {
  /** Delay before each inspect answers, in ms, so loading states are visible. Default 150. */
  latencyMs?: number;
  /** What the Open dialog returns; `null` acts like the user cancelled. */
  dialogPath?: string | null;
  /** `serve`: behave like `onnx-studio serve` (no native dialogs, a file browser). */
  scenario?: string | undefined;
  /** Milliseconds per benchmark run in the simulation (default 4): 200 runs take about a second. */
  msPerRun?: number;
}

export interface MockJob {
  info: JobInfo;
  timer?: ReturnType<typeof setTimeout>;
  cancel: () => void;
}

export interface MockState {
  options: MockHostOptions;
  latencyMs: number;
  dialogPath: string | null;
  serve: boolean;
  msPerRun: number;
  listeners: {
    job: Set<(e: JobEvent) => void>;
    menu: Set<(c: MenuCommand) => void>;
    open: Set<(r: { path: string }) => void>;
    workspace: Set<(c: { modelPath: string; key: string }) => void>;
    recent: Set<(r: string[]) => void>;
    checkProgress: Set<(p: DatasetCheckProgress) => void>;
  };
  workspaces: Map<string, Workspace>;
  jobs: Map<string, MockJob>;
  /** Running data checks by their `checkId`: each one's Cancel. */
  checks: Map<string, () => void>;
  files: Set<string>;
  recent: string[];
  counter: number;
  /** How the pipeline runner learns that a job it started ended, by job id (pipelines.ts). */
  jobEnds: Map<string, (outcome: PipelineJobOutcome) => void>;
}

export function createMockState(options: MockHostOptions): MockState {
  return {
    options,
    latencyMs: options.latencyMs ?? 150,
    dialogPath: options.dialogPath === undefined ? MOCK_DIALOG_PATH : options.dialogPath,
    serve: options.scenario === 'serve',
    msPerRun: options.msPerRun ?? 4,
    listeners: {
      job: new Set<(e: JobEvent) => void>(),
      menu: new Set<(c: MenuCommand) => void>(),
      open: new Set<(r: { path: string }) => void>(),
      workspace: new Set<(c: { modelPath: string; key: string }) => void>(),
      recent: new Set<(r: string[]) => void>(),
      checkProgress: new Set<(p: DatasetCheckProgress) => void>(),
    },
    workspaces: new Map<string, Workspace>(),
    jobs: new Map<string, MockJob>(),
    checks: new Map<string, () => void>(),
    files: new Set<string>(['/models/mobilenet-v2.onnx', MOCK_SAMPLE_PATH, '/models/existing.onnx']),
    recent: [],
    counter: 0,
    jobEnds: new Map<string, (outcome: PipelineJobOutcome) => void>(),
  };
}

/** Adds a listener to one of the sets; the answer removes it again. */
export const sub = <T>(set: Set<T>, l: T) => {
  set.add(l);
  return () => {
    set.delete(l);
  };
};
