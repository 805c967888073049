/**
 * What the preload-bridge test needs to run Electron's IPC wiring without the Electron binary:
 * - `stubElectronModule()`: makes `import … from 'electron'` in this process load a stub (the real package
 *   only knows where the binary is), so the compiled out/electron/main/ipc.js can be imported; its stub
 *   `ipcMain`/`BrowserWindow` throw if touched, because the test injects stand-ins
 *   (electron/main/testing/ipc-stand-in.ts);
 * - `preloadInitScript(source)`: the compiled preload wrapped as Electron's sandboxed preload loader runs
 *   it (`require` that knows only `electron`), with a minimal `electron` of `contextBridge`, `ipcRenderer`
 *   and `webUtils`. `ipcRenderer.invoke` calls the page binding `INVOKE_BINDING` (Playwright's
 *   `exposeBinding`, answered by the stand-in ipcMain in this process); main→renderer messages come in
 *   through `window[STAND_IN].deliver(channel, payload)`.
 */
import { register } from 'node:module';

/** The binding the page's `ipcRenderer.invoke` calls: `(channel, ...args) => Promise<result>`. */
export const INVOKE_BINDING = '__standInIpcInvoke';
/** A non-enumerable window property with the stand-in's own state: `exposed` names and `deliver`. */
export const STAND_IN = '__standInElectron';

let stubbed = false;

export function stubElectronModule(): void {
  if (stubbed) return;
  stubbed = true;
  const stub = `
    const unusable = (name) => new Proxy({}, { get(_target, key) {
      throw new Error('electron.' + name + '.' + String(key) + ' is a stub in this test: inject stand-ins.');
    } });
    export const ipcMain = unusable('ipcMain');
    export const BrowserWindow = unusable('BrowserWindow');
    export default {};
  `;
  const stubUrl = `data:text/javascript,${encodeURIComponent(stub)}`;
  const hooks = `
    export async function resolve(specifier, context, next) {
      if (specifier === 'electron') return { url: ${JSON.stringify(stubUrl)}, shortCircuit: true };
      return next(specifier, context);
    }
  `;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}

/** The page side, as source: runs `preloadSource` (CommonJS) with the stand-in `electron`. */
export function preloadInitScript(preloadSource: string): string {
  return `(() => {
  const exposed = [];
  const listeners = new Map();
  const ipcRenderer = {
    invoke: (channel, ...args) => window[${JSON.stringify(INVOKE_BINDING)}](channel, ...args),
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, []);
      listeners.get(channel).push(listener);
      return ipcRenderer;
    },
    removeListener(channel, listener) {
      const list = listeners.get(channel) ?? [];
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
      return ipcRenderer;
    },
  };
  const contextBridge = {
    // Like Electron's: a frozen copy on the page's window, and no overwriting an existing property.
    exposeInMainWorld(name, api) {
      if (name in window) throw new Error('Cannot bind an API on top of an existing property on the window object');
      exposed.push(name);
      Object.defineProperty(window, name, { value: Object.freeze({ ...api }), enumerable: true });
    },
  };
  const webUtils = {
    getPathForFile(file) {
      if (!(file instanceof File)) throw new TypeError('getPathForFile needs a File');
      return '/dropped/' + file.name;
    },
  };
  const electron = { contextBridge, ipcRenderer, webUtils };
  Object.defineProperty(window, ${JSON.stringify(STAND_IN)}, {
    value: Object.freeze({
      exposed,
      listenerCount: (channel) => (listeners.get(channel) ?? []).length,
      // What webContents.send does on the renderer side: every listener gets (event, payload).
      deliver(channel, payload) {
        const event = { sender: ipcRenderer, senderId: 0, ports: [] };
        for (const listener of [...(listeners.get(channel) ?? [])]) listener(event, payload);
      },
    }),
  });
  const require = (id) => {
    if (id === 'electron') return electron;
    throw new Error("Cannot find module '" + id + "': a sandboxed preload can require only electron");
  };
  const module = { exports: {} };
  (function (exports, require, module) {
${preloadSource}
  })(module.exports, require, module);
})();`;
}
