import type { ErrorCode, StudioErrorInfo } from '../../shared/errors.js';

/** The one error type the engine throws; it converts losslessly to a `StudioErrorInfo` value. */
export class StudioError extends Error {
  readonly code: ErrorCode;
  readonly detail?: string;

  constructor(code: ErrorCode, message: string, options?: { detail?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StudioError';
    this.code = code;
    if (options?.detail !== undefined) this.detail = options.detail;
  }

  toInfo(): StudioErrorInfo {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

/** Any thrown value as a `StudioErrorInfo`; unknown errors become INTERNAL with their stack as detail. */
export function toErrorInfo(error: unknown): StudioErrorInfo {
  if (error instanceof StudioError) return error.toInfo();
  if (error instanceof Error) {
    return { code: 'INTERNAL', message: error.message, ...(error.stack ? { detail: error.stack } : {}) };
  }
  return { code: 'INTERNAL', message: String(error) };
}
