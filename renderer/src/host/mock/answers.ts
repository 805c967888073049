/**
 * How every part of the mock host answers: a `Result` that succeeded or failed (no method rejects, as the
 * contract says), and a delay before answering, so loading states and slow work are visible.
 */
import type { Result, StudioErrorInfo } from '../../../../shared/errors.js';

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (error: StudioErrorInfo): { ok: false; error: StudioErrorInfo } => ({ ok: false, error });

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
