/**
 * The renderer's second benchmark path: onnxruntime-web running the digits sample in the page, on WebGPU
 * (SwiftShader, a software adapter, so this runs on any Linux box) and on WASM, with the WebGPU outputs
 * checked against WASM's on the same input. Uses the built renderer with the mock host; the static server
 * serves the real digits.onnx as the workspace's model files.
 */
import { expect, test } from '@playwright/test';
import { useStaticRenderer } from './support/static-renderer.js';
import { SCREENSHOT_DIR, watchPageErrors } from './support/page-errors.js';

const server = useStaticRenderer();

test('the digits model runs on webgpu and wasm in the page, and the outputs agree', async ({ page }) => {
  // Chromium logs WebGPU's shader compilation warnings from SwiftShader at error level on some versions.
  const checkErrors = watchPageErrors(page, [/WebGPU|shader|swiftshader/i]);
  await page.goto(`${server.origin}/index.html?host=mock`);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await page.getByRole('tab', { name: 'Compare' }).click();

  const provider = page.getByLabel('Provider', { exact: true });
  const unavailable = page.getByTestId('web-unavailable-webgpu');
  await expect(provider.locator('option')).toHaveCount(2);
  if (await unavailable.isVisible()) {
    const reason = await unavailable.textContent();
    console.warn(`WebGPU test skipped: ${reason}`);
    test.skip(true, `This Chromium has no WebGPU adapter: ${reason}`);
  }
  await expect(provider).toHaveValue('webgpu');
  await expect(page.getByText(/Using google swiftshader|Using .*swiftshader/i)).toBeVisible();

  const runs = page.getByLabel('Runs', { exact: true }).nth(1);
  await runs.fill('30');
  await page.getByRole('button', { name: 'Run in this browser (webgpu)' }).click();
  const webgpuJob = page.getByTestId('job').filter({ hasText: '(onnxruntime-web, webgpu)' });
  await expect(webgpuJob).toHaveCount(1);
  await expect(page.getByTestId('web-agreement')).toBeVisible({ timeout: 45_000 });

  // The same input through both providers: the largest difference is float rounding, and the class agrees.
  const row = page.getByTestId('web-agreement').locator('tbody tr').first();
  const cells = await row.locator('td').allTextContents();
  expect(cells[0]).toBe('original');
  expect(Number(cells[1])).toBeLessThan(1e-3);
  expect(Number(cells[2])).toBeGreaterThan(0.99999);
  expect(cells[3]).toBe('yes');

  // Then WASM: both measurements are kept, each labelled with its engine and provider.
  await provider.selectOption('wasm');
  await page.getByRole('button', { name: 'Run in this browser (wasm)' }).click();
  const sources = page.getByLabel('Latency measured with');
  await expect(sources.locator('option')).toHaveText(['onnxruntime-web · wasm', 'onnxruntime-web · webgpu'], {
    timeout: 45_000,
  });
  await sources.selectOption({ label: 'onnxruntime-web · webgpu' });
  await expect(page.getByTestId('chart-latency')).toContainText('Measured with onnxruntime-web · webgpu');
  await expect(page.getByTestId('compare-table')).toContainText(/p50 \(onnxruntime-web · webgpu\)/);
  await expect(page.getByTestId('compare-table').locator('tbody tr').first()).toContainText(/\d ms/);
  await page.screenshot({ path: `${SCREENSHOT_DIR}webgpu-compare.png`, fullPage: true });
  checkErrors();
});
