/** The host and what it can do, for components deep in a form (path pickers) that need no other state. */
import { createContext, useContext } from 'react';
import type { AppInfo } from '../../../shared/ipc-contract.js';
import type { StudioHost } from './studio-host.js';
import type { ConnectionState } from './ws-host.js';

export interface HostContextValue {
  host: StudioHost;
  /** Null until the host answered `appInfo`. */
  appInfo: AppInfo | null;
  /** The open model's path: file pickers start beside it. */
  modelPath?: string;
  /**
   * `serve` only: the connection App follows for its banner (absent: connected, or not serve). A view showing
   * work in progress there (Auto-optimize's "Searching…") says the host is gone instead of waiting for it.
   */
  connection?: ConnectionState;
}

export const HostContext = createContext<HostContextValue | null>(null);

export function useHostContext(): HostContextValue {
  const value = useContext(HostContext);
  if (!value) throw new Error('useHostContext outside <HostContext.Provider>');
  return value;
}
