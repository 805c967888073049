/**
 * How fast does a large model open? Builds a ~100 MB model (a deep MLP: 400 layers of 256x256 float32
 * weights, 1,200 nodes, 800 initializers), starts `onnx-studio serve` with that model's folder as home, and
 * opens the model in Chromium the way a user does (Open model… → the in-page file browser → the file). The
 * page's performance marks (renderer/src/state/use-studio.ts) split each open into:
 *   - parse: from the click until the summary reached the page (serve reads and parses the file, then sends
 *     the summary over the WebSocket);
 *   - show: from the summary arriving until the Model view is in the DOM, and until the next frame is painted;
 *   - long tasks (over 50 ms) on the page from the click until the view is painted.
 * The target: the Model view shows in under 1 s after parsing.
 *
 * Run (after `npm run build && npm run build:renderer`):
 *   npx tsx e2e/scripts/measure-model-open.ts [--runs 5] [--layers 400] [--width 256] [--profile DIR]
 * Each run reloads the page, so every open is a first open. Prints one JSON object; a figure, not a test.
 * Results are recorded in docs/renderer.md.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDeepMlp } from '../../electron/engine/testing/model-fixtures.js';
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

const RUNS = numberArg('--runs', 5);
const LAYERS = numberArg('--layers', 400);
const WIDTH = numberArg('--width', 256);
const PROFILE_DIR = stringArg('--profile');

const fileName = `deep-mlp-${LAYERS}x${WIDTH}.onnx`;
const { work, home, fileBytes } = await modelHome(
  'onnx-studio-open-',
  fileName,
  buildDeepMlp({ layers: LAYERS, width: WIDTH }),
);

const serve = await startServe(join(work, 'data'), { HOME: home });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await watchLongTasks(page);
  const profiler = await phaseProfiler(page, PROFILE_DIR);
  const runs: { parseMs: number; inDomMs: number; paintedMs: number; longTasks: number[] }[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto(serve.url);
    await page.getByRole('button', { name: 'Open model…' }).first().click();
    const entry = page.getByRole('dialog').getByRole('button', { name: new RegExp(fileName) });
    await entry.waitFor();
    await takeLongTasks(page);
    // In the page: when the view's mark appears, the end of the next frame (rAF, then a task after the
    // paint) is when the user sees it. Timed there, so Playwright's polling adds nothing.
    await page.evaluate(() => {
      const w = window as unknown as { __painted?: Promise<number> };
      w.__painted = new Promise<number>((done) => {
        const observer = new PerformanceObserver((list) => {
          if (!list.getEntriesByName('studio:model-view-shown').length) return;
          observer.disconnect();
          requestAnimationFrame(() => setTimeout(() => done(performance.now())));
        });
        observer.observe({ type: 'mark' });
      });
    });
    if (run === 0) await profiler.start();
    await entry.click();
    await page.getByRole('heading', { name: fileName }).waitFor({ timeout: 120_000 });
    const painted = await page.evaluate(
      () => (window as unknown as { __painted: Promise<number> }).__painted,
    );
    await page.waitForTimeout(300);
    if (run === 0) await profiler.stop('model-open');
    // No named functions inside: tsx would wrap them in a helper the page does not have.
    const [open, parsed, shown] = await page.evaluate(() =>
      ['studio:open-model', 'studio:model-parsed', 'studio:model-view-shown'].map(
        (name) => performance.getEntriesByName(name).at(-1)?.startTime ?? Number.NaN,
      ),
    );
    const marks = { open: open!, parsed: parsed!, shown: shown! };
    runs.push({
      parseMs: Math.round(marks.parsed - marks.open),
      inDomMs: Math.round(marks.shown - marks.parsed),
      paintedMs: Math.round(painted - marks.parsed),
      longTasks: (await takeLongTasks(page)).map(Math.round),
    });
  }
  console.log(
    JSON.stringify(
      {
        machine: `${process.platform} ${process.arch}, Chromium ${browser.version()}`,
        model: { file: fileName, bytes: fileBytes, nodes: LAYERS * 3, initializers: LAYERS * 2 },
        medianParseMs: median(runs.map((r) => r.parseMs)),
        medianShownAfterParseMs: median(runs.map((r) => r.paintedMs)),
        longTasksWhileOpening: summarizeTasks(runs.flatMap((r) => r.longTasks)),
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
