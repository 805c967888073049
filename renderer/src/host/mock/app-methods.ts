/**
 * The mock host's app-wide answers: the method catalog, the execution providers (cpu only; webgpu and cuda
 * unavailable, with the reasons the app gives), the recent models, the app's info (which host it plays:
 * Electron, or `serve` under `?scenario=serve`), and the event subscriptions.
 */
import type { ProviderStatus } from '../../../../shared/bench.js';
import type { Result } from '../../../../shared/errors.js';
import type { AppInfo } from '../../../../shared/ipc-contract.js';
import type { StudioHost } from '../studio-host.js';
import { ok } from './answers.js';
import { MOCK_CATALOG, MOCK_SAMPLE_INFO } from './fixtures.js';
import { sub, type MockState } from './state.js';

export function mockAppMethods(
  state: MockState,
): Pick<
  StudioHost,
  | 'listMethods'
  | 'listProviders'
  | 'listRecent'
  | 'clearRecent'
  | 'appInfo'
  | 'onJobEvent'
  | 'onMenuCommand'
  | 'onModelOpenRequest'
  | 'onWorkspaceChanged'
  | 'onRecentChanged'
  | 'onDatasetCheckProgress'
> {
  const { serve, listeners } = state;
  return {
    listMethods: async () => ok(MOCK_CATALOG),
    listProviders: async (): Promise<Result<ProviderStatus[]>> =>
      ok([
        { name: 'cpu', listed: true, bundled: true, available: true },
        {
          name: 'webgpu',
          listed: true,
          bundled: true,
          available: false,
          reason: 'No GPU adapter was found.',
          hint: 'Run on a machine with a GPU and current drivers.',
        },
        {
          name: 'cuda',
          listed: false,
          bundled: false,
          available: false,
          reason: 'Not in this onnxruntime-node build.',
          hint: 'Run npm run setup:cuda on Linux x64 with CUDA 12.',
        },
      ]),
    listRecent: async () => ok(state.recent),
    clearRecent: async () => {
      state.recent = [];
      for (const l of listeners.recent) l(state.recent);
      return ok({});
    },
    appInfo: async (): Promise<Result<AppInfo>> =>
      ok({
        version: '0.0.0-mock',
        host: serve ? 'serve' : 'electron',
        platform: 'linux',
        capabilities: { nativeDialogs: !serve, fileBrowser: serve, upload: serve },
        dataDir: '/data',
        homeDir: '/',
        sample: MOCK_SAMPLE_INFO,
      }),
    onJobEvent: (l) => sub(listeners.job, l),
    onMenuCommand: (l) => sub(listeners.menu, l),
    onModelOpenRequest: (l) => sub(listeners.open, l),
    onWorkspaceChanged: (l) => sub(listeners.workspace, l),
    onRecentChanged: (l) => sub(listeners.recent, l),
    onDatasetCheckProgress: (l) => sub(listeners.checkProgress, l),
  };
}
