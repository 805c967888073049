/**
 * Everything the views need from the outside world. Views receive a `StudioHost` and never touch
 * `window.studio` (or a socket) directly, so the same views run in Electron (`electron-host.ts`), in a
 * browser against `onnx-studio serve` (`ws-host.ts`), and in tests with a mock (`mock-host.ts`).
 *
 * It is the contract's `StudioApi` (shared/ipc-contract.ts), method for method, plus what differs by host:
 * which host it is, and how a dropped file reaches the backend (a path in Electron, an upload to `serve`).
 * No method rejects; failures come back as `{ ok: false, error }`.
 */
import type { Result } from '../../../shared/errors.js';
import type { StudioApi } from '../../../shared/ipc-contract.js';

export type HostKind = 'electron' | 'serve' | 'mock';

export interface StudioHost extends Omit<StudioApi, 'getPathForFile'> {
  /** Which implementation is running; used to word hints, never to branch logic. */
  readonly kind: HostKind;
  /** Where a dropped file lives on the backend's disk, or `null` when the page cannot know (a browser). */
  getPathForFile(file: File): string | null;
  /** Copy a file the page has to the backend and answer its path there (`serve`); absent where paths exist. */
  uploadFile?(file: File): Promise<Result<{ path: string; bytes: number }>>;
}
