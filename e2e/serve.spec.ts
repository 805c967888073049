/**
 * The whole loop against a real `onnx-studio serve` (engine process, job manager, workspace on disk) in
 * Debian's Chromium: open the sample model, make an int8 variant and benchmark it, read real numbers off the
 * charts, cancel a running job, export the variant and run the exported file with onnxruntime-node.
 *
 * The server runs on a free port with a temporary data folder (support/serve-process.ts). Screenshots go to
 * out/e2e/screenshots.
 */
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { WebSocket } from 'ws';
import { wsUrlFor } from '../shared/ws-protocol.js';
import { shown } from './support/views.js';
import { SCREENSHOT_DIR, failOnPageErrors } from './support/page-errors.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { saveModel } from '../electron/engine/onnx/save-model.js';
import { buildMlp } from '../electron/engine/testing/model-fixtures.js';

let server: ServeProcess;
let serveUrl = '';
let outDir = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  server = await startServe();
  serveUrl = server.url;
  outDir = server.outDir;
  expect(serveUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[^/]+\/$/);
});

test.afterAll(async () => {
  await server?.stop();
});

const pageErrors = failOnPageErrors();

async function openSample(page: Page): Promise<void> {
  await page.goto(serveUrl);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await expect(page.getByRole('heading', { name: 'digits-resnet.onnx' })).toBeVisible({ timeout: 20_000 });
}

test('a request without the token is refused', async ({ page }) => {
  pageErrors.waive(); // the 401 is the point
  const url = new URL(serveUrl);
  const response = await page.goto(`${url.origin}/wrong-token/`);
  expect(response?.status()).toBe(401);
});

test('open the sample, make an int8 variant, benchmark and evaluate it, and read real numbers off the charts', async ({
  page,
}) => {
  await openSample(page);
  await expect(page.getByRole('table', { name: 'Inputs' })).toContainText('[batch, 1, 32, 32]');
  await expect(page.getByTestId('chart-op-histogram').locator('.bar-rect').first()).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-model.png`, fullPage: true });

  await page.getByRole('tab', { name: 'Optimize' }).click();
  await page.getByRole('checkbox', { name: /int8-static/ }).check();
  await expect(page.getByTestId('dataset-calibration').getByTestId('dataset-path')).toHaveValue(
    /calib-inputs\.npy$/,
  );
  await expect(page.getByTestId('dataset-evaluation').getByTestId('dataset-path')).toHaveValue(
    /test-inputs\.npy$/,
  );
  await page.getByTestId('queue-jobs').click();

  const jobs = shown(page).getByTestId('job');
  await expect(jobs.filter({ hasText: 'Quantize: int8-static' })).toHaveAttribute('data-status', 'done', {
    timeout: 60_000,
  });
  await expect(jobs.filter({ hasText: /^Benchmark original, int8-static/ })).toHaveAttribute(
    'data-status',
    'done',
    { timeout: 90_000 },
  );
  await expect(jobs.filter({ hasText: 'Evaluate original' })).toHaveAttribute('data-status', 'done', {
    timeout: 60_000,
  });
  await expect(jobs.filter({ hasText: 'Evaluate int8-static' })).toHaveAttribute('data-status', 'done', {
    timeout: 60_000,
  });
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-optimize.png`, fullPage: true });
  // The pipeline is the backend's: a reloaded page still shows it, finished, with every step done.
  await page.reload();
  await openSample(page);
  await page.getByRole('tab', { name: 'Optimize' }).click();
  const pipeline = page.getByTestId('pipeline').filter({ hasText: 'Quantize: int8-static' }).first();
  await expect(pipeline).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  await expect(pipeline.locator('.pipeline-step[data-status="done"]')).toHaveCount(4);

  await page.getByRole('tab', { name: 'Compare' }).click();
  const table = page.getByTestId('compare-table');
  const original = table.locator('tr[data-variant="original"]');
  const int8 = table.locator('tr[data-variant="int8-static"]');
  // The trained sample scores 99.44% on its 360 test digits (electron/sample/digits-resnet/sample.json).
  await expect(original).toContainText('99.44%');
  await expect(int8).toContainText(/9\d\.\d\d%/);
  await expect(int8).toContainText(/×0\.\d+/); // size ratio: int8 weights are smaller
  const p50 = await int8.locator('td').nth(1).textContent();
  expect(p50).toMatch(/\d+(\.\d+)? ms/);
  await expect(page.getByTestId('chart-size')).toContainText(/KiB ×0\.\d+/);
  await expect(page.getByTestId('chart-latency').locator('.recharts-bar-rectangle')).toHaveCount(2);
  await expect(page.getByTestId('chart-latency')).toContainText(/ms ×\d\.\d+/);
  await expect(page.getByTestId('chart-quality')).toContainText('99.44%');
  await expect(page.getByTestId('chart-pareto').locator('.recharts-scatter-symbol')).toHaveCount(2);
  await expect(page.getByTestId('chart-histogram').locator('.histogram-bar').first()).toBeVisible();
  await expect(
    page.getByTestId('chart-op-breakdown').locator('.recharts-bar-rectangle').first(),
  ).toBeVisible();
  // Why it is faster: the int8-static variant's time is mostly int8 kernels, from the real profiles.
  const explain = page.getByTestId('explain-panel');
  await expect(explain).toContainText(/int8-static: p50 [\d.]+ ms against [\d.]+ ms/);
  await expect(explain.getByRole('img', { name: /^int8-static: int8\/int4 work \d+%/ })).toBeVisible();
  await expect(explain.getByTestId('explain-advice').locator('li').first()).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-compare.png`, fullPage: true });
});

test('a running benchmark can be cancelled', async ({ page }) => {
  await openSample(page);
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Runs', { exact: true }).first().fill('2000000');
  await page.getByLabel('Profile operators').uncheck();
  await page.getByRole('button', { name: /Benchmark 2 models/ }).click();
  const job = shown(page).getByTestId('job').filter({ hasText: 'Benchmark original, int8-static' });
  await expect(job).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  // Samples stream in: the distribution shows the live run.
  await expect(page.getByTestId('chart-histogram').locator('.chart-subtitle')).toContainText(
    'updating live',
    { timeout: 30_000 },
  );
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-running.png`, fullPage: true });
  const title = await job.getAttribute('aria-label');
  expect(title).toMatch(/^Benchmark original, int8-static.* \(onnxruntime-node, cpu\)$/);
  // A reload mid-benchmark: the page finds the job under the same title and goes on drawing it live.
  await page.reload();
  // It reopens the model on the same view (Compare).
  await expect(page.getByRole('tab', { name: 'Compare' })).toHaveAttribute('aria-selected', 'true', { timeout: 20_000 });
  await expect(shown(page).getByTestId('job').filter({ hasText: 'Benchmark original, int8-static' })).toHaveAttribute(
    'aria-label',
    title!,
    { timeout: 30_000 },
  );
  await expect(page.getByTestId('chart-histogram').locator('.chart-subtitle')).toContainText('updating live', {
    timeout: 30_000,
  });
  // The latency bars are the live run's again (their tooltips say so), not the earlier results.
  await expect(page.locator('title', { hasText: '(live)' }).first()).toBeAttached({ timeout: 30_000 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-running-after-reload.png`, fullPage: true });
  await job.getByRole('button', { name: /^Cancel / }).click();
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await expect(
    shown(page).getByTestId('job').filter({ hasText: 'Benchmark original, int8-static' }).first(),
  ).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });
});

test('the variant is exported where the user says, never over a file without asking, and the file runs', async ({
  page,
}) => {
  await openSample(page);
  await page.getByRole('tab', { name: 'Export' }).click();
  await expect(page.getByRole('radio', { name: /int8-static/ })).toBeChecked();
  await expect(page.getByTestId('cli-command')).toContainText('onnx-studio quantize');
  await expect(page.getByTestId('cli-command')).toContainText('--method int8-static');

  const target = join(outDir, 'digits-int8.onnx');
  await page.getByTestId('export-destination').fill(target);
  await page.getByRole('button', { name: 'Save variant' }).click();
  await expect(page.getByTestId('export-saved')).toContainText(`to ${target}`, { timeout: 30_000 });
  const written = await stat(target);

  // Again: the file exists now, so the app asks; keeping it leaves the file alone.
  await page.getByRole('button', { name: 'Save variant' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replace the existing file?' });
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  expect((await stat(target)).mtimeMs).toBe(written.mtimeMs);
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-export.png`, fullPage: true });

  // A folder is not a destination: the app says it is one, and the job list gives the export's advice.
  await page.getByTestId('export-destination').fill(outDir);
  await page.getByRole('button', { name: 'Save variant' }).click();
  await expect(page.getByText(`${outDir} is a folder; add a file name ending in .onnx`)).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('status-jobs').click();
  const failed = page.getByTestId('jobs-panel').getByTestId('job').filter({ hasText: 'is a folder' });
  await expect(failed).toContainText(/Export int8-static.* to /);
  await expect(failed).toContainText('Check the destination path');
  await expect(failed).not.toContainText('files the job reads');
  await page.getByTestId('jobs-panel').getByRole('button', { name: 'Close' }).click();

  // The exported model runs: ten class scores for one 32x32 digit.
  const session = await ort.InferenceSession.create(target);
  try {
    const input = new ort.Tensor(
      'float32',
      Float32Array.from({ length: 1024 }, (_, i) => (i % 9) / 9),
      [1, 1, 32, 32],
    );
    const outputs = await session.run({ [session.inputNames[0]!]: input });
    const scores = outputs[session.outputNames[0]!]!;
    expect(scores.dims).toEqual([1, 10]);
    expect(Array.from(scores.data as Float32Array).every(Number.isFinite)).toBe(true);
  } finally {
    await session.release();
  }
});

test('the page benchmarks in the browser with onnxruntime-web (wasm) from the served files', async ({
  page,
}) => {
  await openSample(page);
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Runs', { exact: true }).nth(1).fill('50');
  await page.getByRole('button', { name: 'Run in this browser (wasm)' }).click();
  const sources = page.getByLabel('Latency measured with');
  await expect(sources.locator('option', { hasText: 'onnxruntime-web · wasm' })).toHaveCount(1, {
    timeout: 60_000,
  });
  await sources.selectOption({ label: 'onnxruntime-web · wasm' });
  await expect(
    page.getByTestId('compare-table').locator('tr[data-variant="int8-static"] td').nth(1),
  ).toContainText(/\d ms/);
});

test('a variant made from another is stacked by the engine, renamed and removed, and the workspace keeps it so', async ({
  page,
}) => {
  await openSample(page);
  const optimize = shown(page);
  const jobs = optimize.getByTestId('job');
  // Prune first (no follow-ups, to keep it short)...
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await page.getByRole('checkbox', { name: /^magnitude/ }).check();
  await page.getByLabel(/^Benchmark each new variant/).uncheck();
  await page.getByLabel(/^Evaluate each new variant/).uncheck();
  await page.getByTestId('queue-jobs').click();
  await expect(jobs.filter({ hasText: /^Prune: magnitude/ })).toHaveAttribute('data-status', 'done', {
    timeout: 60_000,
  });

  // ...then quantize the pruned variant.
  await page.getByRole('tab', { name: 'Export' }).click();
  await page.getByRole('radio', { name: /^magnitude/ }).check();
  await page.getByRole('button', { name: 'Make a variant from it…' }).click();
  await expect(optimize.getByLabel('Start from').locator('option:checked')).toHaveText('magnitude 30%');
  await page.getByRole('checkbox', { name: /^magnitude/ }).uncheck();
  await page.getByRole('checkbox', { name: /^int8-dynamic/ }).check();
  await page.getByTestId('queue-jobs').click();
  await expect(jobs.filter({ hasText: 'Quantize: int8-dynamic (from magnitude 30%)' })).toHaveAttribute(
    'data-status',
    'done',
    { timeout: 60_000 },
  );

  await page.getByRole('tab', { name: 'Export' }).click();
  // Export preselects the best variant, which may be another one: this one is chosen by hand.
  await page.getByRole('radio', { name: /^magnitude 30% \+ int8-dynamic/ }).check();
  const stacked = page.getByRole('group', { name: 'Manage magnitude 30% + int8-dynamic' });
  await expect(stacked).toContainText('Made from magnitude 30%.');
  // The command makes the pruned model, then quantizes that file.
  const cli = page.getByTestId('cli-command');
  await expect(cli).toContainText(
    /onnx-studio prune \S+digits-resnet\.onnx -o (\S+)[^\n]*--method magnitude/,
  );
  await expect(cli).toContainText(/\nonnx-studio quantize \S+ -o \S+ --method int8-dynamic/);

  await stacked.getByRole('button', { name: 'Rename…' }).click();
  await stacked.getByLabel('New name').fill('pruned, then int8');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('radio', { name: /^pruned, then int8/ })).toBeChecked();

  // The workspace is on the server: a new page sees the name, and a removal.
  await openSample(page);
  await page.getByRole('tab', { name: 'Export' }).click();
  await page.getByRole('radio', { name: /^pruned, then int8/ }).check();
  await page
    .getByRole('group', { name: 'Manage pruned, then int8' })
    .getByRole('button', { name: 'Remove…' })
    .click();
  await page
    .getByRole('dialog', { name: 'Remove pruned, then int8?' })
    .getByRole('button', { name: 'Remove' })
    .click();
  await expect(page.getByRole('status')).toContainText('Removed pruned, then int8 and its results.');
  await openSample(page);
  await page.getByRole('tab', { name: 'Export' }).click();
  await expect(page.getByRole('radio', { name: /^magnitude/ })).toHaveCount(1);
  await expect(page.getByRole('radio', { name: /^pruned, then int8/ })).toHaveCount(0);
});

test('a benchmark started in one tab is listed in another, live, and that tab can cancel it', async ({ page }) => {
  // The second tab is open first: what it shows comes from the events, not from its first job listing.
  const other = await page.context().newPage();
  await openSample(other);
  await other.getByRole('tab', { name: 'Optimize' }).click();
  await openSample(page);
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Runs', { exact: true }).first().fill('2000000');
  await page.getByLabel('Profile operators').uncheck();
  await page.getByRole('button', { name: /^Benchmark \d+ models?/ }).click();
  const mine = shown(page).getByTestId('job').filter({ hasText: /^Benchmark/ }).first();
  await expect(mine).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  const title = (await mine.getAttribute('aria-label'))!;
  // Before the fix the other tab listed only its own jobs: this one never showed there.
  const listed = shown(other).locator(`[data-testid="job"][aria-label="${title}"]`).first();
  await expect(listed).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await other.setViewportSize({ width: 1440, height: 900 });
  await other.screenshot({ path: `${SCREENSHOT_DIR}serve-other-tab-job-1440.png`, fullPage: true });
  await other.setViewportSize({ width: 800, height: 600 });
  await other.screenshot({ path: `${SCREENSHOT_DIR}serve-other-tab-job-800.png`, fullPage: true });
  await listed.getByRole('button', { name: /^Cancel / }).click();
  await expect(listed).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await expect(shown(page).locator(`[data-testid="job"][aria-label="${title}"]`).first()).toHaveAttribute(
    'data-status',
    'cancelled',
    { timeout: 30_000 },
  );
  await other.close();
});

test('a model with external data opens when dropped together with its data file, names kept', async ({ page }) => {
  const dir = join(outDir, 'drop ext');
  await mkdir(dir, { recursive: true });
  await saveModel(buildMlp(), join(dir, 'ext model ü.onnx'), {
    externalData: { thresholdBytes: 64, fileName: 'ext weights ü.bin' },
    force: true,
  });
  const files = await Promise.all(
    ['ext weights ü.bin', 'ext model ü.onnx'].map(async (name) => ({
      name,
      bytes: [...(await readFile(join(dir, name)))],
    })),
  );
  await page.goto(serveUrl);
  const dataTransfer = await page.evaluateHandle((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return transfer;
  }, files);
  await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer });
  await expect(page.getByRole('heading', { name: 'ext model ü.onnx' })).toBeVisible({ timeout: 20_000 });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-drop-ext-data-1440.png` });
  await page.setViewportSize({ width: 800, height: 600 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-drop-ext-data-800.png` });
});

test('a model with external data dropped alone says to drop it with its data file, and leaves no upload behind', async ({
  page,
}) => {
  // The model the test above wrote: its initializers' data_location is EXTERNAL, in 'ext weights ü.bin'.
  const dir = join(outDir, 'drop ext');
  const bytes = [...(await readFile(join(dir, 'ext model ü.onnx')))];
  await page.goto(serveUrl);
  const dataTransfer = await page.evaluateHandle((model) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(model)], 'ext model ü.onnx'));
    return transfer;
  }, bytes);
  const uploadsBefore = await readdir(join(server.dataDir, 'uploads'));
  await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer });
  const error = page.getByRole('alert').filter({ hasText: 'Could not open ext model ü.onnx' });
  // Before: "Keep the data file beside the model (…/uploads/<batch>)", and a What to do about permissions.
  await expect(error).toContainText(
    "ext model ü.onnx keeps its weights in an external data file, 'ext weights ü.bin', which was not dropped with it. Drop ext model ü.onnx again together with 'ext weights ü.bin' (select both files), or use Open model… to open it by its path on the server.",
    { timeout: 20_000 },
  );
  await expect(error).not.toContainText('allowed to read');
  expect(await readdir(join(server.dataDir, 'uploads'))).toEqual(uploadsBefore);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-drop-ext-alone-1440.png` });
  await page.setViewportSize({ width: 800, height: 600 });
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-drop-ext-alone-800.png` });
});

test('the page benchmarks a model with external data in the browser: onnxruntime-web fetches its data file from serve', async ({
  page,
}) => {
  // A fixed batch, so the browser benchmark needs no input spec; names with a space and a non-ASCII letter.
  const dir = join(outDir, 'web ext');
  await mkdir(dir, { recursive: true });
  const model = join(dir, 'web model ü.onnx');
  await saveModel(buildMlp({ batch: 1 }), model, {
    externalData: { thresholdBytes: 64, fileName: 'web weights ü.bin' },
    force: true,
  });
  await page.goto(serveUrl);
  await page
    .getByRole('button', { name: /Open model/ })
    .first()
    .click();
  await page.getByTestId('fs-path').fill(model);
  await page.getByTestId('fs-path').press('Enter');
  await expect(page.getByRole('heading', { name: 'web model ü.onnx' })).toBeVisible({ timeout: 20_000 });
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Runs', { exact: true }).nth(1).fill('20');
  // The data file is fetched by onnxruntime-web in the benchmark's worker, by its location in the model.
  const fetched: string[] = [];
  page.on('request', (request) => {
    const match = /\/external-data\/([^/?]+)$/.exec(request.url());
    if (match) fetched.push(decodeURIComponent(match[1]!));
  });
  await page.getByRole('button', { name: 'Run in this browser (wasm)' }).click();
  // Before: "it keeps its weights in an external data file, which the browser benchmark cannot load".
  const status = page.getByTestId('web-bench-status');
  await expect(status).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(status).toContainText('Done: 1 model measured');
  expect(fetched).toEqual(['web weights ü.bin']);
});

test('queueing sent before a reload is listed by the reloaded page, which can cancel it', async ({ page }) => {
  await openSample(page);
  await page.getByRole('tab', { name: 'Optimize' }).click();
  // The page before the reload, as the backend sees it: a socket that sent pipeline.start with a checkId. Its
  // data never arrives (a named pipe nobody writes to), so the check runs until it is cancelled.
  const never = join(outDir, 'never-inputs.npy');
  execFileSync('mkfifo', [never]);
  const before = new WebSocket(wsUrlFor(serveUrl));
  await new Promise((resolve, reject) => before.once('open', resolve).once('error', reject));
  const answers = new Map<number, (response: unknown) => void>();
  before.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; id?: number; response?: unknown };
    if (message.type === 'response') answers.get(message.id!)?.(message.response);
  });
  let nextId = 1;
  const request = (channel: string, payload: unknown) =>
    new Promise<{ ok: boolean; value?: unknown }>((resolve) => {
      const id = nextId++;
      answers.set(id, resolve as (response: unknown) => void);
      before.send(JSON.stringify({ type: 'request', id, channel, payload }));
    });
  const info = (await request('studio:app.info', {})).value as { sample: { modelPath: string } };
  const pipeline = {
    make: { kind: 'quantize', modelPath: info.sample.modelPath, method: 'int8-dynamic', common: {}, options: {} },
    evaluate: { data: { spec: { kind: 'npy', path: never } } },
  };
  const started = request('studio:pipeline.start', {
    pipelines: [pipeline, { ...pipeline, title: 'int8 again' }],
    checkId: 'sent-before-reload',
  });
  // The reload reopens the model on the view that was open (Optimize).
  await page.reload();
  const inFlight = shown(page).getByTestId('start-in-flight');
  // Before, the reloaded page showed nothing of it, and nothing could stop it.
  await expect(inFlight).toContainText(
    'Queueing 2 recipes, sent before this page was loaded or from another tab: checking the data of Quantize: int8-dynamic (1 of 2).',
    { timeout: 20_000 },
  );
  await page.setViewportSize({ width: 1440, height: 900 });
  await inFlight.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-start-in-flight-1440.png` });
  await page.setViewportSize({ width: 800, height: 600 });
  await inFlight.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOT_DIR}serve-start-in-flight-800.png` });
  await inFlight.getByRole('button', { name: 'Cancel queueing' }).click();
  expect(await started).toEqual({ ok: true, value: { started: [], failed: [], cancelled: true } });
  await expect(inFlight).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId('pipeline').filter({ hasText: 'int8 again' })).toHaveCount(0);
  before.close();
});
