/**
 * The Graph view against a real `onnx-studio serve`: open the sample, read its graph (counts, search, a
 * node's details with weight statistics), make an int8-dynamic variant, switch the overlays and read the
 * diff table, whose counts must equal the engine's diff of the same two files; then the same overlays on the
 * variant's own graph. Screenshots at 1440x900, 1024x700 and 800x600 go to tmp/ (git-ignored) to be looked at.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PruneReportInfo } from '../shared/job-reports.js';
import type { Workspace } from '../shared/workspace.js';
import { shown } from './support/views.js';
import { failOnPageErrors } from './support/page-errors.js';
import { startServe, type ServeProcess } from './support/serve-process.js';

const SHOTS = join(import.meta.dirname, '../tmp/');
let server: ServeProcess;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  server = await startServe();
});
test.afterAll(async () => {
  await server?.stop();
});
failOnPageErrors();

/** The zoom the canvas last drew at (graph-canvas.tsx writes it). */
async function drawnScale(canvas: Locator): Promise<number> {
  return Number(await canvas.getAttribute('data-scale'));
}

/** Whether two boxes on the page overlap. */
async function overlap(a: Locator, b: Locator): Promise<boolean> {
  const [p, q] = [(await a.boundingBox())!, (await b.boundingBox())!];
  return p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height;
}

/**
 * The canvas ends above the status bar (when there is one) and inside the window. Polled: after the window is
 * resized the stage follows on the next layout (a ResizeObserver), not at once.
 */
async function expectCanvasInWindow(page: Page): Promise<void> {
  const overshoot = async () => {
    const stage = (await page.locator('.graph-stage').boundingBox())!;
    const bar = page.getByTestId('status-bar');
    const limit = (await bar.isVisible()) ? (await bar.boundingBox())!.y : page.viewportSize()!.height;
    return stage.y + stage.height - limit;
  };
  await expect.poll(overshoot, { timeout: 5000 }).toBeLessThanOrEqual(1);
}

async function onnxFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.onnx')).map((e) => join(e.parentPath, e.name));
}

test('the graph of the sample, its details, and a variant diffed on it', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await expect(page.getByRole('heading', { name: 'digits-resnet.onnx' })).toBeVisible({ timeout: 20_000 });
  const originalPath = (await page.locator('.summary .path').textContent())!.trim();

  await page.getByRole('tab', { name: 'Graph' }).click();
  await expect(page.getByTestId('graph-canvas')).toBeVisible({ timeout: 20_000 });
  // The sample has no If/Loop bodies: its count alone, without "(N in the main graph)".
  await expect(page.getByTestId('graph-counts')).toContainText(/^\d+ nodes; laid out in/);
  await expect(page.getByTestId('graph-legend')).toContainText('Conv');
  // It opens where its labels are readable (LABEL_SCALE draws them; READABLE_SCALE is a first view's
  // least), whole if it fits at that size, else at its inputs; the legend is beside the canvas, not on it.
  const canvas = page.getByTestId('graph-canvas');
  await expect.poll(() => drawnScale(canvas)).toBeGreaterThanOrEqual(0.75);
  expect(await overlap(page.getByTestId('graph-legend'), canvas)).toBe(false);
  await page.setViewportSize({ width: 800, height: 600 });
  await expect.poll(() => drawnScale(canvas)).toBeGreaterThanOrEqual(0.75);
  expect(await overlap(page.getByTestId('graph-legend'), canvas)).toBe(false);
  await expectCanvasInWindow(page);
  await page.screenshot({ path: `${SHOTS}graph-800.png` });
  await page.setViewportSize({ width: 1440, height: 900 });

  // Search selects the first match and shows its details, weights with their statistics.
  await page.getByRole('searchbox').fill('Conv');
  await page.getByRole('searchbox').press('Enter');
  const details = page.getByTestId('graph-details');
  await expect(details.getByRole('heading', { level: 2 })).toHaveText('Conv');
  await expect(details).toContainText(/weight float32 \[\d+, \d+, \d+, \d+\]/);
  await expect(details).toContainText(/min -?[\d.e+-]+, max [\d.e+-]+, mean/);
  await page.screenshot({ path: `${SHOTS}graph-1440.png` });

  const overlay = page.getByTestId('graph-overlay');
  await overlay.selectOption('precision');
  await expect(page.getByText('Make a variant in Optimize')).toBeVisible();

  // An int8-dynamic variant, made without benchmark or evaluation.
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await page.getByRole('checkbox', { name: /int8-dynamic/ }).check();
  await page.getByLabel(/^Benchmark each new variant/).uncheck();
  await page.getByLabel(/^Evaluate each new variant/).uncheck();
  await page.getByTestId('queue-jobs').click();
  await expect(shown(page).getByTestId('job').filter({ hasText: 'Quantize: int8-dynamic' })).toHaveAttribute(
    'data-status',
    'done',
    {
      timeout: 90_000,
    },
  );

  await page.getByRole('tab', { name: 'Graph' }).click();
  await overlay.selectOption('change');
  const diff = page.getByTestId('graph-diff');
  await expect(diff).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('graph-legend')).toContainText('replaced');

  // The table's counts are the engine's diff of the same two files.
  const variants = (await onnxFiles(server.dataDir)).filter((f) => f !== originalPath);
  expect(variants).toHaveLength(1);
  const built = pathToFileURL(join(import.meta.dirname, '../out/electron/engine/diff/diff-models.js')).href;
  const { diffModels } = (await import(built)) as typeof import('../electron/engine/diff/diff-models.js');
  const engine = await diffModels(originalPath, variants[0]!);
  for (const change of ['kept', 'replaced', 'fused', 'removed'] as const) {
    await expect(page.getByTestId(`graph-diff-${change}`)).toHaveText(String(engine.nodes.byChange[change]));
  }
  await expect(page.getByTestId('graph-diff-qdq')).toHaveText(
    `${engine.nodes.added.quantizeDequantize} Q/DQ`,
  );

  // A changed node from the table: selected, with the overlay's words in its details.
  await diff.getByRole('button').first().click();
  await expect(page.getByTestId('graph-details-mark')).toHaveText(/replaced by|fused into|kept|removed/);

  await overlay.selectOption('precision');
  await expect(page.getByTestId('graph-legend')).toContainText(`int8 (${engine.nodes.byPrecision.int8})`);
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.getByRole('button', { name: 'Fit' }).click();
  await page.screenshot({ path: `${SHOTS}graph-1024-precision.png` });
  await overlay.selectOption('change');
  await page.screenshot({ path: `${SHOTS}graph-1024-diff.png`, fullPage: true });

  // The variant's own graph: the overlays colour its nodes, with no second variant picker to disagree with
  // the graph on screen and no note sending the user back to the original.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByTestId('graph-target').selectOption({ index: 1 });
  await expect(page.getByTestId('graph-diff-variant')).toHaveCount(0);
  await expect(page.getByText(/the original's graph|choose “the original”/)).toHaveCount(0);
  await expect(page.getByTestId('graph-legend')).toContainText('added by the variant');
  await expect(diff).toBeVisible();
  await diff.getByRole('button').first().click();
  await expect(page.getByTestId('graph-details-mark')).toHaveText(
    /^(kept|replaced \w+|took the work of fused )/,
  );
  await overlay.selectOption('precision');
  // An int8-dynamic variant computes its quantized nodes in int8: some of the nodes on screen say so.
  await expect(page.getByTestId('graph-legend')).toContainText(/int8 \([1-9]\d*\)/);
  await expect(page.getByTestId('graph-details-mark')).toHaveText(
    /^(float32|float16|int8|int4|other|stayed)/,
  );
  await expectCanvasInWindow(page);
  await page.screenshot({ path: `${SHOTS}graph-variant-precision-1440.png` });

  // No sensitivity table: the note says what to do in the app, with no raw Markdown.
  await overlay.selectOption('sensitivity');
  const none = page.getByTestId('graph-sensitivity-none');
  await expect(none).toContainText('Start Auto-optimize');
  await expect(none).not.toContainText('`');
  await expectCanvasInWindow(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await expectCanvasInWindow(page);
  await page.screenshot({ path: `${SHOTS}graph-variant-sensitivity-1024.png` });
});

test('a structured-pruned variant: channels per node on the graph, and its notes after a reload', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await expect(page.getByRole('heading', { name: 'digits-resnet.onnx' })).toBeVisible({ timeout: 20_000 });
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await page.getByRole('checkbox', { name: /^structured/ }).check();
  await page.getByLabel(/^Benchmark each new variant/).uncheck();
  await page.getByLabel(/^Evaluate each new variant/).uncheck();
  await page.getByTestId('queue-jobs').click();
  await expect(shown(page).getByTestId('job').filter({ hasText: 'Prune: structured' })).toHaveAttribute(
    'data-status',
    'done',
    { timeout: 90_000 },
  );

  // The variant's name says the 7% of channels rounding to 8 left of the 10% asked (a user saw "structured 30%" on
  // a model pruned 25%). The pruner kept every node; the overlay tells the ones that lost channels, and a Conv's details say how
  // many, with the variant's weight shape beside the original's (a user test saw "kept" and [128, 64, 3, 3]).
  await page.getByRole('tab', { name: 'Graph' }).click();
  await page.getByTestId('graph-overlay').selectOption('change');
  await page.getByTestId('graph-diff-variant').selectOption({ label: 'structured 10% (pruned 7%)' });
  await expect(page.getByTestId('graph-legend')).toContainText(/kept, channels pruned \([1-9]\d*\)/, {
    timeout: 20_000,
  });
  await expect(page.getByTestId('graph-diff-pruned')).toContainText(/\d+ weights? lost channels/);
  await page.getByTestId('graph-diff').getByRole('button').first().click();
  await expect(page.getByTestId('graph-details-mark')).toHaveText(/^pruned: \d+ → \d+ (output|input) channels/);
  await expect(page.getByTestId('graph-weight-other').first()).toHaveText(
    /in the variant: float32 \[\d+(, \d+)*\] \(reshaped\)/,
  );
  await page.screenshot({ path: `${SHOTS}graph-pruned-1440.png` });

  // The report's notes, from the workspace: still there after a reload, with the list of what was left alone.
  const [workspaceFile] = (await readdir(server.dataDir, { recursive: true })).filter((f) =>
    f.endsWith('workspace.json'),
  );
  const workspace = JSON.parse(await readFile(join(server.dataDir, workspaceFile!), 'utf8')) as Workspace;
  const report = workspace.variants.find((v) => v.name === 'structured 10% (pruned 7%)')!.report as PruneReportInfo;
  expect(report.notes.length).toBeGreaterThan(0);
  await page.reload();
  await page.getByRole('tab', { name: 'Export' }).click({ timeout: 20_000 });
  await page.getByRole('radio', { name: /^structured 10%/ }).check();
  const notes = page.getByTestId('variant-notes');
  for (const note of report.notes) await expect(notes).toContainText(note);
  for (const skipped of report.skipped)
    await expect(notes.getByTestId('variant-notes-left-alone')).toContainText(`${skipped.name} (`);
  await notes.locator('summary', { hasText: 'Channels per layer' }).click();
  const layer = report.layers.find((l) => l.removed > 0)!;
  await expect(notes.getByTestId('variant-notes-layers')).toContainText(
    `${layer.total} → ${layer.total - layer.removed} channels`,
  );
  await page.setViewportSize({ width: 800, height: 600 });
  await notes.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}export-notes-800.png` });
});
