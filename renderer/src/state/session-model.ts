/**
 * The model open in this tab, and its view, kept in sessionStorage: a reload (F5, the browser's reload button,
 * mid-job or not) reopens it where the user was, instead of going back to the start screen. Only a reload: a
 * new window, or going to the app's address, starts on the start screen as before.
 */
const KEY = 'onnx-studio.open-model';

export interface OpenModelMemory {
  path: string;
  tab: string;
}

function storage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    // Storage may be refused (privacy settings, sandboxed frames): nothing is remembered then.
    return undefined;
  }
}

/** True when this page was loaded by a reload (or back/forward), not by going to its address. */
function reloaded(): boolean {
  try {
    const [entry] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
    return entry?.type === 'reload' || entry?.type === 'back_forward';
  } catch {
    return false;
  }
}

/** The model to reopen: the one this tab showed before it was reloaded. */
export function loadOpenModel(): OpenModelMemory | undefined {
  if (!reloaded()) return undefined;
  try {
    const parsed: unknown = JSON.parse(storage()?.getItem(KEY) ?? 'null');
    if (parsed && typeof parsed === 'object') {
      const { path, tab } = parsed as Record<string, unknown>;
      if (typeof path === 'string' && path !== '')
        return { path, tab: typeof tab === 'string' ? tab : 'model' };
    }
  } catch {
    // A damaged entry is forgotten below.
  }
  storage()?.removeItem(KEY);
  return undefined;
}

/** Remembers the open model and view; `null` forgets it (the model could not be opened again). */
export function saveOpenModel(memory: OpenModelMemory | null): void {
  try {
    if (memory) storage()?.setItem(KEY, JSON.stringify(memory));
    else storage()?.removeItem(KEY);
  } catch {
    // Full or refused storage: a reload starts on the start screen, as before.
  }
}
