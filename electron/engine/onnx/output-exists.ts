import { StudioError, errorFromInfo, type EngineErrorInfo } from '../errors.js';

/*
 * The one refusal of an output that is already there (a model, a report, a recipe, an outcome file, an output
 * folder), for every surface: the path, and what the person who asked can do, in that surface's terms (the CLI's
 * flags, the app's buttons). The error carries the path as data (`existingPath`), so that a surface rewording it
 * (the app's export, jobs/job-executors.ts `inAppWords`) reads the path, never the message's text.
 */

/** What the person can do about an output that is there already. */
export interface ExistsRemedy {
  /** What to choose instead: "output path", "--out folder", "folder". */
  another: string;
  /** How to go ahead anyway: "pass --force" (the CLI), "confirm" (the app). */
  proceed: string;
  /** What going ahead does to what is there (default "replace it"; a folder is written into). */
  effect?: string;
}

/** The CLI's remedy for an output file (-o OUT, --out DIR's files are named by their command). */
export const CLI_OUTPUT: ExistsRemedy = { another: 'output path', proceed: 'pass --force' };
/** The CLI's remedy for a file of an --out folder (demo's report, run's exports). */
export const CLI_OUT_FOLDER: ExistsRemedy = { another: '--out folder', proceed: 'pass --force' };
/** The app's remedy for a file of a folder it was told to write into (Save report). */
export const APP_FOLDER: ExistsRemedy = { another: 'folder', proceed: 'confirm' };

/** An output already there: a BAD_REQUEST (exit 2) whose `path` is the file or folder that exists. */
export class OutputExistsError extends StudioError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('BAD_REQUEST', message);
  }

  /** The path goes with the message, across the engine's processes too (`errorOfInfo` rebuilds this error). */
  override toInfo(): EngineErrorInfo {
    return { ...super.toInfo(), existingPath: this.path };
  }
}

/**
 * `<named> <file> already exists (<why>). Choose another <another> or <proceed> to <effect>.`: `named` names the
 * path by its flag where that helps ("--out"), `why` says how it may have come there.
 */
export function outputExists(
  file: string,
  remedy: ExistsRemedy = CLI_OUTPUT,
  options: { named?: string; why?: string } = {},
): OutputExistsError {
  const named = options.named ? `${options.named} ` : '';
  const why = options.why ? ` (${options.why})` : '';
  const { another, proceed, effect = 'replace it' } = remedy;
  return new OutputExistsError(
    file,
    `${named}${file} already exists${why}. Choose another ${another} or ${proceed} to ${effect}.`,
  );
}

/** The path an error says is already there, or undefined for any other error. */
export function existingPathOf(error: unknown): string | undefined {
  return error instanceof OutputExistsError ? error.path : undefined;
}

/** errorFromInfo, keeping an OutputExistsError's path (an error that came from another process). */
export function errorOfInfo(info: EngineErrorInfo): StudioError {
  return info.existingPath !== undefined && info.code === 'BAD_REQUEST'
    ? new OutputExistsError(info.existingPath, info.message)
    : errorFromInfo(info);
}
