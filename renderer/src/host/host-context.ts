/** The host and what it can do, for components deep in a form (path pickers) that need no other state. */
import { createContext, useContext } from 'react';
import type { AppInfo } from '../../../shared/ipc-contract.js';
import type { StudioHost } from './studio-host.js';

export interface HostContextValue {
  host: StudioHost;
  /** Null until the host answered `appInfo`. */
  appInfo: AppInfo | null;
  /** The open model's path: file pickers start beside it. */
  modelPath?: string;
}

export const HostContext = createContext<HostContextValue | null>(null);

export function useHostContext(): HostContextValue {
  const value = useContext(HostContext);
  if (!value) throw new Error('useHostContext outside <HostContext.Provider>');
  return value;
}
