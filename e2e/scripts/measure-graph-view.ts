/**
 * How fast does the Graph view show a 5,000-node model, and does the page stay responsive? Builds the model
 * (electron/engine/testing/graph-fixtures.ts: 500 transformer-like blocks of 10 nodes, fan-out, fan-in,
 * residual edges, an If every 50 blocks), starts `onnx-studio serve` with its folder as home, opens it through
 * the in-page file browser, then clicks the Graph tab and times, from the page's performance marks
 * (renderer/src/views/graph-view.tsx, graph-canvas.tsx):
 *   - request: from the click until the graph JSON reached the page (serve reads the model and builds it);
 *   - firstPaint: from the click until the first frame of the drawn graph (request + worker layout + draw);
 *   - layout: the worker's layout time, as the view reports it;
 *   - long tasks (over 50 ms) on the page from the click until the graph is drawn, then while panning and
 *     zooming (60 wheel and drag steps) and expanding an If.
 * The targets: first paint under 2 s, no main-thread task over 50 ms.
 *
 * Run (after `npm run build && npm run build:renderer`):
 *   npx tsx e2e/scripts/measure-graph-view.ts [--runs 3] [--blocks 500] [--profile DIR] [--screenshots DIR]
 * Each run reloads the page. Prints one JSON object; a figure, not a test. Results are in docs/renderer.md.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBranchyGraph, NODES_PER_BLOCK } from '../../electron/engine/testing/graph-fixtures.js';
import {
  launchChromium,
  median,
  modelHome,
  numberArg,
  phaseProfiler,
  startServe,
  stringArg,
  summarizeTasks,
  takeLongTasks,
  watchLongTasks,
} from './measure-support.js';

const RUNS = numberArg('--runs', 3);
const BLOCKS = numberArg('--blocks', 500);
const PROFILE_DIR = stringArg('--profile');
const SHOT_DIR = stringArg('--screenshots');

const fileName = `branchy-${BLOCKS * NODES_PER_BLOCK}.onnx`;
const { work, home, fileBytes } = await modelHome(
  'onnx-studio-graph-',
  fileName,
  buildBranchyGraph({ blocks: BLOCKS }),
);

const serve = await startServe(join(work, 'data'), { HOME: home });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await watchLongTasks(page);
  const profiler = await phaseProfiler(page, PROFILE_DIR);
  const runs: {
    requestMs: number;
    firstPaintMs: number;
    layoutMs: number;
    longTasksOpening: number[];
    longTasksInteracting: number[];
  }[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'Open model…' }).first().click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: new RegExp(fileName) })
      .click();
    await page.getByRole('heading', { name: fileName }).waitFor({ timeout: 120_000 });
    await page.waitForTimeout(500);
    await takeLongTasks(page);
    if (run === 0) await profiler.start();
    const clicked = await page.evaluate(() => performance.now());
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByTestId('graph-canvas').waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => performance.getEntriesByName('studio:graph-drawn').length > 0, null, {
      timeout: 120_000,
    });
    const [received, drawn] = await page.evaluate(() =>
      ['studio:graph-received', 'studio:graph-drawn'].map(
        (name) => performance.getEntriesByName(name).at(-1)?.startTime ?? Number.NaN,
      ),
    );
    const counts = (await page.getByTestId('graph-counts').textContent()) ?? '';
    await page.waitForTimeout(300);
    if (run === 0) await profiler.stop('graph-open');
    const longTasksOpening = (await takeLongTasks(page)).map(Math.round);

    // Pan, zoom, expand: what a user does next.
    const canvas = page.getByTestId('graph-canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 30; i++) await page.mouse.wheel(0, -120);
    await page.mouse.down();
    for (let i = 0; i < 30; i++)
      await page.mouse.move(box.x + box.width / 2 + i * 10, box.y + box.height / 2 + i * 10);
    await page.mouse.up();
    await page.getByRole('searchbox').fill('b49_if');
    await page.getByRole('searchbox').press('Enter');
    await page.getByTestId('graph-details').waitFor();
    // Search centred the If: a double-click on it expands it (a new layout in the worker).
    await canvas.dblclick();
    await page.waitForTimeout(1500);
    const longTasksInteracting = (await takeLongTasks(page)).map(Math.round);
    if (SHOT_DIR && run === 0) {
      await mkdir(SHOT_DIR, { recursive: true });
      await page.screenshot({ path: join(SHOT_DIR, 'graph-5000-expanded.png') });
      await page.getByRole('button', { name: 'Fit' }).click();
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(SHOT_DIR, 'graph-5000-fit.png') });
    }
    runs.push({
      requestMs: Math.round(received! - clicked),
      firstPaintMs: Math.round(drawn! - clicked),
      layoutMs: Number(/laid out in (\d+) ms/.exec(counts)?.[1] ?? Number.NaN),
      longTasksOpening,
      longTasksInteracting,
    });
  }
  console.log(
    JSON.stringify(
      {
        machine: `${process.platform} ${process.arch}, Chromium ${browser.version()}`,
        model: { file: fileName, bytes: fileBytes, nodes: BLOCKS * NODES_PER_BLOCK },
        medianRequestMs: median(runs.map((r) => r.requestMs)),
        medianFirstPaintMs: median(runs.map((r) => r.firstPaintMs)),
        medianLayoutMs: median(runs.map((r) => r.layoutMs)),
        longTasksWhileOpening: summarizeTasks(runs.flatMap((r) => r.longTasksOpening)),
        longTasksWhileInteracting: summarizeTasks(runs.flatMap((r) => r.longTasksInteracting)),
        runs,
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  serve.stop();
  await rm(work, { recursive: true, force: true });
}
