/**
 * The built renderer in a real browser, with the mock host (`?host=mock`) standing in for Electron.
 * A tiny static server on 127.0.0.1 serves `out/renderer/` with the same CSP header the `app://` protocol
 * sends, so a build that breaks under the CSP (an inline script, eval) fails here too.
 */
import { expect, test, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, relative, resolve, sep } from 'node:path';

const RENDERER_DIR = resolve(import.meta.dirname, '../out/renderer');
/** Keep in step with RENDERER_CSP in electron/main/app-protocol.ts (not imported: that file loads electron). */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:";
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

let server: Server;
let origin: string;

test.beforeAll(async () => {
  if (!existsSync(resolve(RENDERER_DIR, 'index.html'))) {
    throw new Error(
      `No built renderer in ${RENDERER_DIR}. Run: npx vite build --config renderer/vite.config.ts`,
    );
  }
  server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = resolve(RENDERER_DIR, `.${sep}${pathname === '/' ? 'index.html' : pathname}`);
    if (relative(RENDERER_DIR, file).startsWith('..')) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': CSP,
        });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
});

// Any console error or uncaught exception (a CSP violation shows up as one) fails the test.
let pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  pageErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The console only says "404"; this says which file was missing.
  page.on('response', (response) => {
    if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
  });
});
test.afterEach(() => {
  expect(pageErrors, 'errors in the page').toEqual([]);
});

async function openMockApp(page: Page): Promise<void> {
  await page.goto(`${origin}/index.html?host=mock`);
}

/** Drop a file built in the page onto the window, as a user dragging it from their file manager would. */
async function dropFile(page: Page, name: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle((fileName) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array([8, 1])], fileName));
    return transfer;
  }, name);
  await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer });
}

test('a new user sees how to open a model', async ({ page }) => {
  await openMockApp(page);
  await expect(page.getByRole('heading', { name: 'Open an ONNX model' })).toBeVisible();
  await expect(page.getByText(/Drop an .onnx file anywhere on this window/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Open model…' })).toBeVisible();
});

test('Open shows the summary of the chosen model', async ({ page }) => {
  await openMockApp(page);
  await page.getByRole('button', { name: 'Open model…' }).click();

  await expect(page.getByRole('heading', { name: 'mobilenet-v2.onnx' })).toBeVisible();
  await expect(page.getByText('/models/mobilenet-v2.onnx')).toBeVisible();

  const inputs = page.getByRole('table', { name: 'Inputs' });
  await expect(inputs.getByRole('row', { name: /input\s+float32\s+\[batch, 3, 224, 224\]/ })).toBeVisible();
  const outputs = page.getByRole('table', { name: 'Outputs' });
  await expect(outputs.getByRole('row', { name: /logits\s+float32\s+\[batch, 1000\]/ })).toBeVisible();

  const stats = page.locator('.stats');
  await expect(stats.getByText('Nodes')).toBeVisible();
  await expect(stats.locator('dd').filter({ hasText: /^105$/ })).toBeVisible();
  await expect(stats.locator('dd').filter({ hasText: /^3\.5M$/ })).toBeVisible();

  // Most frequent op first.
  const opRows = page.getByRole('table', { name: 'Operators' }).locator('tbody tr');
  await expect(opRows.first()).toContainText('Conv');
  await expect(opRows.first()).toContainText('52');
});

test('a dropped model that cannot be parsed shows what went wrong and what to do', async ({ page }) => {
  await openMockApp(page);
  await dropFile(page, 'broken.onnx');

  const alert = page.getByRole('alert');
  await expect(alert.getByRole('heading', { name: 'Could not open broken.onnx' })).toBeVisible();
  await expect(alert).toContainText('the protobuf data ends early');
  await expect(alert).toContainText('What to do:');
  await expect(alert).toContainText('Re-exporting it from your framework');
});

test('a dropped file that is not .onnx is refused without asking the host', async ({ page }) => {
  await openMockApp(page);
  await dropFile(page, 'notes.txt');
  await expect(
    page.getByRole('alert').getByRole('heading', { name: 'notes.txt is not an ONNX model' }),
  ).toBeVisible();
});

test('without a host the page explains that it needs the app', async ({ page }) => {
  await page.goto(`${origin}/index.html`);
  await expect(page.getByRole('heading', { name: 'ONNX Studio is not connected' })).toBeVisible();
});

test('a preload-style window.studio is used, and File > Open from the menu opens a model', async ({
  page,
}) => {
  // Stand-in for the preload: the page must prefer window.studio over any flag, and route menu commands.
  await page.addInitScript(() => {
    let menuListener: ((command: string) => void) | undefined;
    const summary = {
      path: '/work/resnet.onnx',
      fileBytes: 1024,
      externalDataBytes: 0,
      irVersion: 9,
      producer: { name: 'test', version: '1' },
      opsets: { '': 18 },
      inputs: [{ name: 'pixels', dtype: 'float16', shape: [1, 3, null, null] }],
      outputs: [{ name: 'scores', dtype: 'float16', shape: [1, 10] }],
      nodes: 2,
      opCounts: { Relu: 2 },
      parameters: 0,
      parameterBytes: {},
      largestTensors: [],
    };
    Object.assign(window, {
      studio: {
        inspectModel: async (path: string) => ({ ok: true, value: { ...summary, path } }),
        openModelDialog: async () => ({ ok: true, value: '/work/resnet.onnx' }),
        startJob: async () => ({ ok: false, error: { code: 'INTERNAL', message: 'no jobs' } }),
        cancelJob: async () => ({ ok: true, value: { cancelled: false } }),
        getPathForFile: () => '',
        onJobEvent: () => () => {},
        onMenuCommand: (listener: (command: string) => void) => {
          menuListener = listener;
          return () => (menuListener = undefined);
        },
      },
      fireMenuCommand: (command: string) => menuListener?.(command),
    });
  });
  await page.goto(`${origin}/index.html?host=mock`);
  await expect(page.getByRole('heading', { name: 'Open an ONNX model' })).toBeVisible();

  await page.evaluate(() =>
    (window as unknown as { fireMenuCommand(c: string): void }).fireMenuCommand('open-model'),
  );
  await expect(page.getByRole('heading', { name: 'resnet.onnx' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Inputs' })).toContainText('[1, 3, ?, ?]');
});
