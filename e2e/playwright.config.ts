/**
 * End-to-end tests. The renderer tests drive the built UI in Debian's Chromium (no Playwright browser
 * download needed); the Electron test drives the real app when its binary is installed and skips otherwise.
 *
 * Run from the repository root:
 *   npx tsc -p tsconfig.build.json                      (the Electron test needs out/electron)
 *   npx vite build --config renderer/vite.config.ts     (both need out/renderer)
 *   npx playwright test -c e2e/playwright.config.ts
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  // Relative to this file: the e2e/ folder.
  testDir: '.',
  outputDir: '../out/e2e/test-results',
  timeout: 30_000,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Container-friendly and quiet: no sandbox (root in CI), no GPU, and none of Chromium's own
      // background traffic, so the tests make no network requests beyond 127.0.0.1.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
