import type { ErrorCode, StudioErrorInfo } from '../../shared/errors.js';

/** The one error type the engine throws; it converts losslessly to a `StudioErrorInfo` value. */
export class StudioError extends Error {
  readonly code: ErrorCode;
  readonly detail?: string;
  /**
   * What to do, in the CLI's terms (its flags), for a message that is about input both the CLI and the app
   * take: the CLI prints it after the message, the app says what to do in its own terms (per error code), so
   * the message itself names neither. Not part of `toInfo()`: it never reaches the app.
   */
  readonly cliHint?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { detail?: string; cause?: unknown; cliHint?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StudioError';
    this.code = code;
    if (options?.detail !== undefined) this.detail = options.detail;
    if (options?.cliHint !== undefined) this.cliHint = options.cliHint;
  }

  toInfo(): StudioErrorInfo {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

/**
 * An error as the engine's processes and its job manager pass it on: with the CLI's hint, which the app's
 * `StudioErrorInfo` leaves out (the app ignores it; the CLI prints it once the error is rebuilt from this), and,
 * for an output that is already there, its path (onnx/output-exists.ts), which the app's wording reads.
 */
export type EngineErrorInfo = StudioErrorInfo & { cliHint?: string; existingPath?: string };

/** The StudioError an `EngineErrorInfo` stands for (`message` replaces its message, e.g. to say which step). */
export function errorFromInfo(info: EngineErrorInfo, message = info.message): StudioError {
  return new StudioError(info.code, message, {
    ...(info.detail !== undefined ? { detail: info.detail } : {}),
    ...(info.cliHint !== undefined ? { cliHint: info.cliHint } : {}),
  });
}

/** `toErrorInfo`, keeping a StudioError's CLI hint: for errors passed between the engine's own parts. */
export function toEngineErrorInfo(error: unknown): EngineErrorInfo {
  const info = toErrorInfo(error);
  return error instanceof StudioError && error.cliHint !== undefined
    ? { ...info, cliHint: error.cliHint }
    : info;
}

/** Any thrown value as a `StudioErrorInfo`; unknown errors become INTERNAL with their stack as detail. */
export function toErrorInfo(error: unknown): StudioErrorInfo {
  if (error instanceof StudioError) return error.toInfo();
  if (error instanceof Error) {
    return { code: 'INTERNAL', message: error.message, ...(error.stack ? { detail: error.stack } : {}) };
  }
  return { code: 'INTERNAL', message: String(error) };
}
