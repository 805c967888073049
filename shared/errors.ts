/**
 * Errors cross process boundaries as plain values, never as thrown objects (Electron keeps only the
 * message of a thrown error). The codes are a small closed set so callers can branch on them.
 */
export const ERROR_CODES = [
  'MODEL_PARSE',
  'MODEL_INVALID',
  'IO',
  'ORT',
  'ENGINE_CRASHED',
  'CANCELLED',
  'BAD_REQUEST',
  /** The data or input spec does not fit the model (names the input, what it expects and what it got). */
  'BAD_INPUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A serializable error: `message` says what was wrong and what to do; `detail` is for logs. */
export interface StudioErrorInfo {
  code: ErrorCode;
  message: string;
  detail?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: StudioErrorInfo };

/** Errors caused by the user's input (exit code 2 in the CLI); the rest are internal failures (exit 1). */
export function isUserError(code: ErrorCode): boolean {
  return code === 'MODEL_PARSE' || code === 'MODEL_INVALID' || code === 'IO' || code === 'BAD_REQUEST' || code === 'BAD_INPUT';
}
