/**
 * Renderer entry: pick the host, then render.
 * - Inside the desktop app the preload has put `window.studio` on the page, and that always wins.
 * - Served by `onnx-studio serve` (`http://HOST:PORT/<token>/`), the page connects to its WebSocket.
 * - `?host=mock` (vite dev, the component tests) loads the mock host, as a separate chunk so its canned data
 *   stays out of the app's startup path.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { ErrorCode, StudioErrorInfo } from '../../shared/errors.js';
import { App } from './App.js';
import { createElectronHost, findStudioApi } from './host/electron-host.js';
import type { StudioHost } from './host/studio-host.js';
import { connectWsHost, looksLikeServePage } from './host/ws-host.js';
import { applyThemeChoice, loadThemeChoice } from './theme.js';
import { ErrorPanel } from './views/error-panel.js';
import './styles.css';

/**
 * What to do when the page cannot connect: every message of connectWsHost names its own fix (the address with
 * its token, a restart of serve after an update, a reload); opening a model is not one of them.
 */
const CONNECT_WHAT_TO_DO: Partial<Record<ErrorCode, string>> = {
  BAD_REQUEST: 'Do what the message above says.',
  IO: 'Start onnx-studio serve if it is not running, then open the address it prints.',
};

type Resolved = { host: StudioHost } | { error: StudioErrorInfo } | null;

async function resolveHost(): Promise<Resolved> {
  const api = findStudioApi();
  if (api) return { host: createElectronHost(api) };
  const params = new URLSearchParams(window.location.search);
  if (params.get('host') === 'mock') {
    const { createMockHost } = await import('./host/mock-host.js');
    return { host: createMockHost({ scenario: params.get('scenario') ?? undefined }) };
  }
  if (looksLikeServePage(window.location.href)) {
    const connected = await connectWsHost({
      pageUrl: window.location.href,
      // Replaced by the build (renderer/vite.config.ts); absent under test runners.
      ...(typeof __RENDERER_BUILD__ === 'string' ? { pageBuild: __RENDERER_BUILD__ } : {}),
    });
    return connected.ok ? { host: connected.value } : { error: connected.error };
  }
  return null;
}

function NoHost() {
  return (
    <main className="content">
      <section className="error-panel" role="alert">
        <h1>ONNX Studio is not connected</h1>
        <p>
          This page is the interface of ONNX Studio and needs the app or <code>onnx-studio serve</code> behind
          it. Start the desktop app, or run <code>npx onnx-studio serve</code> and open the address it prints.
          Add <code>?host=mock</code> to this address to try the interface with sample data.
        </p>
      </section>
    </main>
  );
}

// Apply the saved theme before the first paint, so a dark-theme user never sees a white flash.
applyThemeChoice(loadThemeChoice());

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
const root = createRoot(container);
void resolveHost().then((resolved) => {
  root.render(
    <StrictMode>
      {resolved === null ? (
        <NoHost />
      ) : 'error' in resolved ? (
        <main className="content">
          <ErrorPanel
            title="Could not connect to onnx-studio serve"
            error={resolved.error}
            whatToDo={CONNECT_WHAT_TO_DO}
          />
        </main>
      ) : (
        <App host={resolved.host} />
      )}
    </StrictMode>,
  );
});
