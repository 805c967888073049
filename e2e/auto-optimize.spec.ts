/**
 * Auto-optimize against a real `onnx-studio serve`: on the sample, a tune job runs the search of `onnx-studio
 * tune` with the experiment's datasets; its trials stream into the panel (chart and table), the chosen variant
 * joins the variants, and a cancelled run keeps its finished trials. Screenshots go to out/e2e/screenshots.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outlierSweepFlags, writeOutlierMlpCase } from '../electron/engine/testing/tune-fixtures.js';
import { REPO_ROOT } from './support/static-renderer.js';
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
const pageErrors = failOnPageErrors();

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
  // Why it stopped and what it left out, as `onnx-studio tune` says (the outcome's stoppedBy and notes).
  await expect(run).toContainText(/Done: \d+ trials? in [\d.]+ s; the search stopped because/);
  await expect(run.getByTestId('tune-notes')).toContainText('Not int8-dynamic:');
  await expect(run.getByTestId('tune-notes')).toContainText('Not fp16:');
  // Every point names its trial: on the chart, or in the note under it where no place was free.
  await expect(panel.locator('.trial-label').first()).toHaveText(/^#\d+(, #\d+)*$/);
  const points = await panel.locator('.trial-point').count();
  const labelled = await panel.locator('.trial-label').count();
  if (labelled < points) await expect(panel.getByTestId('tune-trials-note')).toContainText('No room on the chart for the label of');
  const rows = await run.getByTestId('tune-trials').locator('tbody tr').count();
  expect(rows).toBeGreaterThanOrEqual(1);
  expect(rows).toBeLessThanOrEqual(3);
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOT_DIR}auto-optimize-1440.png`, fullPage: true });
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}auto-optimize-1024.png`, fullPage: true });
  await page.setViewportSize({ width: 800, height: 600 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}auto-optimize-800.png`, fullPage: true });
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

test("a cluster sweep's results open in the app, merged as tune --collect does", async ({ page }) => {
  // A sweep run the way a cluster runs it: emitted, then one `trial` per index (here one after the other).
  const dir = mkdtempSync(join(tmpdir(), 'onnx-studio-e2e-sweep-'));
  try {
    const files = writeOutlierMlpCase(dir);
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'onnx-studio.js'), ...args], { encoding: 'utf8' });
    const sweep = join(dir, 'sweep');
    const emitted = cli('tune', files.model, '--emit', 'slurm', sweep, ...outlierSweepFlags(files), '--json');
    expect(emitted.status, emitted.stderr).toBe(0);
    const trials = (JSON.parse(emitted.stdout) as { trials: unknown[] }).trials.length;
    for (let i = 0; i < trials - 1; i++) expect(cli('trial', sweep, '--index', String(i)).status).toBe(0);

    await openAutoOptimize(page);
    const results = page.getByTestId('sweep-results');
    await results.locator('summary').click();
    await results.getByTestId('sweep-dir').fill(sweep);
    await results.getByRole('button', { name: 'Open sweep results' }).click();
    // The last index was not run: it is listed as missing, and the others are still compared and chosen from.
    await expect(results.getByTestId('sweep-summary')).toContainText(
      `${trials} trials, ${trials - 1} finished; missing (not run, running or killed): ${trials - 1}`,
    );
    await expect(results.getByTestId('tune-chosen')).toContainText(/Its file: .*results\/\d+\/variant\.onnx/);
    await expect(results.getByTestId('tune-trials').locator('tbody tr')).toHaveCount(trials - 1);
    await page.screenshot({ path: `${SCREENSHOT_DIR}sweep-results-1440.png`, fullPage: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a serve killed during the search: the run says the connection is lost, not "Searching…"', async ({ page }) => {
  // Its own serve, killed without a word (as a crash): the page kept "Searching…" until it was reloaded.
  const own = await startServe();
  // The page's reconnect attempts to the dead serve fail in its console; those are expected here.
  pageErrors.watch(page, [/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/]);
  try {
    await page.goto(own.url);
    await page.getByRole('button', { name: 'Try the sample model' }).click();
    await expect(page.getByRole('heading', { name: 'digits-resnet.onnx' })).toBeVisible({ timeout: 20_000 });
    await page.getByRole('tab', { name: 'Optimize' }).click();
    const panel = page.getByTestId('auto-optimize');
    await panel.getByLabel('Max trials').fill('8');
    await panel.getByRole('button', { name: 'Start Auto-optimize' }).click();
    const run = panel.getByTestId('tune-run');
    await expect(run).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
    await expect(run).toContainText('Searching…');
    own.kill();
    await expect(run).toContainText('Lost the connection to onnx-studio serve', { timeout: 10_000 });
    await expect(run).not.toContainText('Searching…');
    await run.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOT_DIR}auto-optimize-serve-killed.png` });
  } finally {
    await own.stop();
  }
});
