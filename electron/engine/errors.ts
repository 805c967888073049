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
 * An error as the engine process sends it to the CLI that started it: with the CLI's hint, which the app's
 * `StudioErrorInfo` leaves out (the CLI rebuilds the StudioError from it, hint included).
 */
export type EngineErrorInfo = StudioErrorInfo & { cliHint?: string };

/** `toErrorInfo`, keeping a StudioError's CLI hint: for the engine process's answers to the CLI. */
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
