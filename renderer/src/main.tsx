/**
 * Renderer entry: pick the host, then render. Inside the desktop app the preload has put `window.studio`
 * on the page, and that always wins. In a plain browser (vite dev, the e2e tests) `?host=mock` loads the
 * mock host, as a separate chunk so its canned data stays out of the app's startup path.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { createElectronHost, findStudioApi } from './host/electron-host.js';
import type { StudioHost } from './host/studio-host.js';
import './styles.css';

async function resolveHost(): Promise<StudioHost | null> {
  const api = findStudioApi();
  if (api) return createElectronHost(api);
  if (new URLSearchParams(window.location.search).get('host') === 'mock') {
    const { createMockHost } = await import('./host/mock-host.js');
    return createMockHost();
  }
  return null;
}

function NoHost() {
  return (
    <main className="content">
      <section className="error-panel" role="alert">
        <h1>ONNX Studio is not connected</h1>
        <p>
          This page is the interface of the ONNX Studio desktop app and needs the app to run. Start ONNX
          Studio, or add <code>?host=mock</code> to the address to try the interface with sample data.
        </p>
      </section>
    </main>
  );
}

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
const root = createRoot(container);
void resolveHost().then((host) => {
  root.render(<StrictMode>{host ? <App host={host} /> : <NoHost />}</StrictMode>);
});
