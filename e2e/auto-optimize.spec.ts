/**
 * Auto-optimize against a real `onnx-studio serve`: on the sample, a tune job runs the search of `onnx-studio
 * tune` with the experiment's datasets; its trials stream into the panel (chart and table), the chosen variant
 * joins the variants, and a cancelled run keeps its finished trials. Screenshots go to out/e2e/screenshots.
 */
import { expect, test, type Page } from '@playwright/test';
import { SCREENSHOT_DIR, failOnPageErrors } from './support/page-errors.js';
import { startServe, type ServeProcess } from './support/serve-process.js';

let server: ServeProcess;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  server = await startServe();
});
test.afterAll(async () => {
  await server?.stop();
});
failOnPageErrors();

async function openAutoOptimize(page: Page): Promise<void> {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await expect(page.getByRole('heading', { name: 'digits-resnet.onnx' })).toBeVisible({ timeout: 20_000 });
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await expect(page.getByTestId('auto-optimize')).toBeVisible();
}

test('Auto-optimize finds a variant within 0.5 points and keeps it as a variant', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await openAutoOptimize(page);
  const panel = page.getByTestId('auto-optimize');
  await expect(panel.getByLabel('Max accuracy drop')).toHaveValue('0.5');
  await panel.getByLabel('Max trials').fill('3');
  await panel.getByRole('button', { name: 'Start Auto-optimize' }).click();
  const run = panel.getByTestId('tune-run');
  await expect(run.getByTestId('tune-trials').locator('tbody tr').first()).toBeVisible({ timeout: 60_000 });
  await expect(run).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(run.getByTestId('tune-chosen')).toContainText(/Chosen: tuned: int8-static .*0\.2\d\d× size/);
  await expect(run).toContainText('digits test set (sample)');
  await expect(panel.locator('.recharts-scatter-symbol').first()).toBeVisible();
  const rows = await run.getByTestId('tune-trials').locator('tbody tr').count();
  expect(rows).toBeGreaterThanOrEqual(1);
  expect(rows).toBeLessThanOrEqual(3);
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOT_DIR}auto-optimize-1440.png`, fullPage: true });
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}auto-optimize-1024.png`, fullPage: true });
  // The chosen variant is an ordinary variant: Compare lists it.
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('compare-table')).toContainText('tuned: int8-static');
});

test('Cancel keeps the finished trials', async ({ page }) => {
  await openAutoOptimize(page);
  const panel = page.getByTestId('auto-optimize');
  await panel.getByLabel('Max trials').fill('8');
  await panel.getByLabel('Objective').selectOption('size');
  await panel.getByRole('button', { name: 'Start Auto-optimize' }).click();
  const run = panel
    .getByTestId('tune-run')
    .filter({ has: page.locator('[data-status="running"]') })
    .or(panel.getByTestId('tune-run'));
  await expect(panel.getByTestId('tune-run')).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await expect(panel.getByTestId('tune-trials').locator('tbody tr').first()).toBeVisible({ timeout: 60_000 });
  await panel.getByRole('button', { name: 'Cancel Auto-optimize' }).click();
  await expect(run).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });
  await expect(panel.getByTestId('tune-run')).toContainText('Cancelled: the finished trials are kept.');
  expect(await panel.getByTestId('tune-trials').locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
});
