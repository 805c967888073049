/**
 * Does the page stay responsive while the engine works? Starts `onnx-studio serve` on a free port, opens the
 * app in Chromium, and records every long task (main-thread work over 50 ms, from the browser's Long Tasks
 * API) while jobs run: quantize + benchmark + evaluate of the sample model, then (after opening Compare, a
 * phase of its own) a longer streamed benchmark, then a browser (onnxruntime-web, wasm) benchmark. Page load
 * and opening the sample are a phase of their own too.
 *
 * Run (after building out/electron and out/renderer):
 *   npx tsx e2e/scripts/measure-renderer-long-tasks.ts [--runs 3000] [--profile DIR]
 * With --profile, each phase's main-thread CPU profile is written to DIR/<phase>.cpuprofile (open it in
 * Chromium's DevTools Performance panel; build the renderer with `--minify false` for readable names).
 * Prints one JSON object: per phase, the number of long tasks and the longest (ms). A figure, not a test:
 * it depends on the machine. Results are recorded in docs/renderer.md.
 */
import { type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  launchChromium,
  phaseProfiler,
  startServe,
  summarizeTasks as summary,
  takeLongTasks as longTasks,
  watchLongTasks,
} from './measure-support.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3000;
const profileArg = process.argv.indexOf('--profile');
const PROFILE_DIR = profileArg > 0 ? process.argv[profileArg + 1] : undefined;

/** The Compare view lists running jobs only: wait until one appeared and the list is gone. */
async function activeJobsDone(page: Page): Promise<void> {
  const active = '[role="tabpanel"]:not([hidden]) [data-testid="job"]';
  await page.waitForSelector(active, { timeout: 30_000 });
  await page.waitForFunction((selector) => document.querySelectorAll(selector).length === 0, active, {
    timeout: 300_000,
  });
}

const dataDir = await mkdtemp(join(tmpdir(), 'onnx-studio-longtasks-'));
const serve = await startServe(dataDir);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await watchLongTasks(page);
  await page.goto(serve.url);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await page.getByRole('heading', { name: 'digits.onnx' }).waitFor();
  await page.waitForTimeout(500);
  const load = await longTasks(page);
  const profiler = await phaseProfiler(page, PROFILE_DIR);
  await profiler.start();

  await page.getByRole('tab', { name: 'Optimize' }).click();
  await page.getByRole('checkbox', { name: /int8-dynamic/ }).check();
  await page.getByTestId('queue-jobs').click();
  const panel = page.locator('[role="tabpanel"]:not([hidden])');
  for (const title of ['Quantize: int8-dynamic', 'Evaluate int8-dynamic']) {
    await panel
      .getByTestId('job')
      .filter({ hasText: title })
      .and(page.locator('[data-status="done"]'))
      .waitFor({ timeout: 120_000 });
  }
  await panel
    .getByTestId('job')
    .filter({ hasText: /^Benchmark/ })
    .and(page.locator('[data-status="done"]'))
    .waitFor({ timeout: 120_000 });
  const optimize = await longTasks(page);
  await profiler.stop('optimize');
  await profiler.start();

  // Opening Compare is a navigation, measured on its own: its first chart runs recharts' code for the
  // first time (the Model view's charts are plain SVG).
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByTestId('chart-pareto').locator('svg').first().waitFor();
  await page.waitForTimeout(1000);
  const openCompare = await longTasks(page);
  await profiler.stop('open-compare');
  await profiler.start();
  await page.getByLabel('Runs', { exact: true }).first().fill(String(RUNS));
  await page.getByRole('button', { name: /Benchmark 2 models/ }).click();
  await activeJobsDone(page);
  const stream = await longTasks(page);
  await profiler.stop('stream');
  await profiler.start();

  await page.getByLabel('Runs', { exact: true }).nth(1).fill('200');
  await page.getByRole('button', { name: 'Run in this browser (wasm)' }).click();
  await activeJobsDone(page);
  const web = await longTasks(page);
  await profiler.stop('web');

  console.log(
    JSON.stringify(
      {
        machine: `${process.platform} ${process.arch}, Chromium ${browser.version()}`,
        pageLoad: summary(load),
        quantizeBenchEvaluate: summary(optimize),
        openCompare: summary(openCompare),
        [`streamedBenchmark${RUNS}Runs`]: summary(stream),
        browserWasmBenchmark200Runs: summary(web),
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  serve.stop();
  await rm(dataDir, { recursive: true, force: true });
}
