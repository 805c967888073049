/**
 * End-to-end tests, in Debian's Chromium (no Playwright browser download needed):
 * - `renderer`: the built UI with the mock host (views and charts, component-level), the compiled preload
 *   bridged to the real IPC handlers (preload-bridge.spec.ts, no Electron binary needed), and the Electron
 *   app where its binary is installed (skipped, saying why, where it is not);
 * - `webgpu`: onnxruntime-web in the page on WebGPU (SwiftShader, a software adapter) and on WASM;
 * - `serve`: the whole loop against a real `onnx-studio serve` (engine, workspace, jobs).
 * Screenshots are kept in out/e2e/screenshots, traces of failures in out/e2e/test-results.
 *
 * Run from the repository root:
 *   npx tsc -p tsconfig.build.json                      (serve and the Electron test need out/electron)
 *   npx vite build --config renderer/vite.config.ts     (all need out/renderer)
 *   npx playwright test -c e2e/playwright.config.ts [--project renderer|webgpu|serve]
 */
import { defineConfig } from '@playwright/test';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Container-friendly and quiet: no sandbox (root in CI) and none of Chromium's own background traffic, so
// the tests make no network requests beyond 127.0.0.1.
const QUIET = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  // Relative to this file: the e2e/ folder.
  testDir: '.',
  outputDir: '../out/e2e/test-results',
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  // The machine is small and the engine is CPU-bound: one test at a time keeps timings and timeouts sane.
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'retain-on-failure',
    acceptDownloads: true,
    launchOptions: { executablePath: CHROMIUM, args: [...QUIET, '--disable-gpu'] },
  },
  projects: [
    { name: 'renderer', testMatch: ['renderer.spec.ts', 'charts.spec.ts', 'electron-app.spec.ts', 'preload-bridge.spec.ts'] },
    {
      name: 'webgpu',
      testMatch: 'webgpu.spec.ts',
      use: {
        // WebGPU through SwiftShader: works on a secure-context page (http://127.0.0.1), without --disable-gpu.
        launchOptions: {
          executablePath: CHROMIUM,
          args: [
            ...QUIET,
            '--enable-unsafe-webgpu',
            '--use-webgpu-adapter=swiftshader',
            '--enable-unsafe-swiftshader',
          ],
        },
      },
    },
    { name: 'serve', testMatch: ['serve.spec.ts', 'experiment.spec.ts', 'auto-optimize.spec.ts', 'graph.spec.ts', 'kv-cache-npy.spec.ts'], timeout: 240_000 },
  ],
});
