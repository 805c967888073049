/**
 * Does the page stay responsive while the engine works? Starts `onnx-studio serve` on a free port, opens the
 * app in Chromium, and records every long task (main-thread work over 50 ms, from the browser's Long Tasks
 * API) while jobs run: quantize + benchmark + evaluate of the sample model, then a longer streamed benchmark,
 * then a browser (onnxruntime-web, wasm) benchmark. Page load and parsing are excluded: the window opens once
 * the Model view is on screen.
 *
 * Run (after building out/electron and out/renderer):
 *   npx tsx e2e/scripts/measure-renderer-long-tasks.ts [--runs 3000] [--profile DIR]
 * With --profile, each phase's main-thread CPU profile is written to DIR/<phase>.cpuprofile (open it in
 * Chromium's DevTools Performance panel; build the renderer with `--minify false` for readable names).
 * Prints one JSON object: per phase, the number of long tasks and the longest (ms). A figure, not a test:
 * it depends on the machine. Results are recorded in docs/renderer.md.
 */
import { chromium, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3000;
const profileArg = process.argv.indexOf('--profile');
const PROFILE_DIR = profileArg > 0 ? process.argv[profileArg + 1] : undefined;

async function startServe(dataDir: string) {
  const child = spawn(
    process.execPath,
    ['bin/onnx-studio.js', 'serve', '--port', '0', '--data-dir', dataDir, '--json'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  let text = '';
  const url = await new Promise<string>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    lines.on('line', (line) => {
      text += `${line}\n`;
      try {
        done((JSON.parse(text) as { url: string }).url);
      } catch {
        // incomplete
      }
    });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Starts the page's CPU profiler when --profile is given; `stop(phase)` writes what it recorded. */
async function phaseProfiler(page: Page) {
  if (!PROFILE_DIR) return { start: async () => {}, stop: async (_phase: string) => {} };
  await mkdir(PROFILE_DIR, { recursive: true });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  return {
    start: async () => {
      await cdp.send('Profiler.start');
    },
    stop: async (phase: string) => {
      const { profile } = await cdp.send('Profiler.stop');
      await writeFile(join(PROFILE_DIR, `${phase}.cpuprofile`), JSON.stringify(profile));
    },
  };
}

async function longTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] };
    const out = w.__longTasks.slice();
    w.__longTasks.length = 0;
    return out;
  });
}

/** The Compare view lists running jobs only: wait until one appeared and the list is gone. */
async function activeJobsDone(page: Page): Promise<void> {
  const active = '[role="tabpanel"]:not([hidden]) [data-testid="job"]';
  await page.waitForSelector(active, { timeout: 30_000 });
  await page.waitForFunction((selector) => document.querySelectorAll(selector).length === 0, active, {
    timeout: 300_000,
  });
}

function summary(tasks: number[]) {
  return { count: tasks.length, longestMs: tasks.length > 0 ? Math.round(Math.max(...tasks)) : 0 };
}

const dataDir = await mkdtemp(join(tmpdir(), 'onnx-studio-longtasks-'));
const serve = await startServe(dataDir);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(serve.url);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await page.getByRole('heading', { name: 'digits.onnx' }).waitFor();
  await page.waitForTimeout(500);
  const load = await longTasks(page);
  const profiler = await phaseProfiler(page);
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

  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Runs').first().fill(String(RUNS));
  await page.getByRole('button', { name: /Benchmark 2 models/ }).click();
  await activeJobsDone(page);
  const stream = await longTasks(page);
  await profiler.stop('stream');
  await profiler.start();

  await page.getByLabel('Runs').nth(1).fill('200');
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
