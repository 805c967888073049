/**
 * The real desktop app, launched with Playwright's Electron driver. Needs the Electron binary, which the
 * `electron` package downloads in its postinstall; where that download was not possible the test skips.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { API_CHANNELS } from './support/studio-api-channels.js';

const REPO_ROOT = resolve(import.meta.dirname, '..');

/**
 * The Electron executable, or `null` when it is not installed. This mirrors `node_modules/electron/index.js`
 * instead of calling `require('electron')`, because that module starts a download when the binary is missing.
 */
function findElectronBinary(): string | null {
  const packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relativePath = readFileSync(pathFile, 'utf8').trim();
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override
    ? join(override, relativePath || 'electron')
    : join(packageDir, 'dist', relativePath);
  return existsSync(binary) ? binary : null;
}

const electronBinary = findElectronBinary();

const SKIP_REASON =
  'The Electron binary is not downloaded (node_modules/electron/dist is missing), so the desktop-app e2e test is skipped. Run `node node_modules/electron/install.js` where downloads are allowed to enable it.';

// Reporters show only "skipped"; say why where people will read it.
if (electronBinary === null) console.warn(SKIP_REASON);
test.skip(electronBinary === null, SKIP_REASON);

test('the app opens its window on the app:// renderer with only window.studio exposed', async () => {
  for (const built of [
    'out/electron/main/main.js',
    'out/electron/preload/preload.cjs',
    'out/renderer/index.html',
  ]) {
    if (!existsSync(join(REPO_ROOT, built))) {
      throw new Error(
        `${built} is missing. Run: npx tsc -p tsconfig.build.json && npx vite build --config renderer/vite.config.ts`,
      );
    }
  }
  const app = await electron.launch({
    executablePath: electronBinary ?? undefined,
    // Chromium refuses to start its sandbox as root (common in CI containers).
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), REPO_ROOT],
    cwd: REPO_ROOT,
  });
  try {
    const window = await app.firstWindow();
    await expect(window.getByRole('heading', { name: 'Open an ONNX model' })).toBeVisible();
    expect(window.url()).toMatch(/^app:\/\/renderer\//);

    // The page gets the narrow API and nothing from Node.
    const exposed = await window.evaluate(() => ({
      studio: Object.keys((window as unknown as { studio: object }).studio).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(exposed).toEqual({
      // Exactly the contract's StudioApi (shared/ipc-contract.ts), nothing generic like `invoke` or `send`.
      studio: Object.keys(API_CHANNELS).sort(),
      require: 'undefined',
      process: 'undefined',
    });

    // A malformed request is answered with an error value, not a thrown error.
    const reply = await window.evaluate(() =>
      (window as unknown as { studio: { inspectModel(p: string): Promise<unknown> } }).studio.inspectModel(
        'relative.onnx',
      ),
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  } finally {
    await app.close();
  }
});
