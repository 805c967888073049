/**
 * The charts read at a glance, checked on what the page draws: the built renderer with the mock host's
 * `charts` scenario (renderer/src/host/mock-charts-scenario.ts: p50s of 0.09-0.17 ms beside p99s of up to
 * 8 ms, accuracies of 98-99% beside a one-shot prune at 44%, nine op types). Each test looks at one of the
 * problems users saw: bars flattened by whiskers, an accuracy axis to 107%, two categories in one colour,
 * ticks at 146.5 KiB, labels on top of each other or against the top of the plot. Screenshots of Compare
 * and of the Model view at 1440x900 and 1024x700 are kept in out/e2e/screenshots (charts-*.png).
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { useStaticRenderer } from './support/static-renderer.js';
import { SCREENSHOT_DIR, failOnPageErrors } from './support/page-errors.js';
import { screenshotAtTwoSizes, shown } from './support/views.js';

const server = useStaticRenderer();

const pageErrors = failOnPageErrors();

const SIZES = [
  [1440, 900],
  [1024, 700],
] as const;

async function openCompare(page: Page, width = 1440, height = 900): Promise<void> {
  await page.setViewportSize({ width, height });
  await page.goto(`${server.origin}/index.html?host=mock&scenario=charts`);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await expect(page.getByRole('heading', { name: 'digits-resnet.onnx' })).toBeVisible();
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('chart-latency').locator('.recharts-bar-rectangle')).toHaveCount(6);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
}

/** Page-space boxes of the elements (texts or shapes) that match `selector` inside `scope`. */
async function boxes(scope: Locator, selector: string): Promise<Box[]> {
  return scope.locator(selector).evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, text: el.textContent ?? '' };
    }),
  );
}

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function expectNoOverlaps(list: Box[], what: string): void {
  const shown = list.filter((b) => b.width > 0 && b.text.trim() !== '');
  for (let i = 0; i < shown.length; i++)
    for (let j = i + 1; j < shown.length; j++)
      expect(overlap(shown[i]!, shown[j]!), `${what}: "${shown[i]!.text}" overlaps "${shown[j]!.text}"`).toBe(
        false,
      );
}

/** The labelled value-axis ticks of a recharts chart (bars are horizontal: the x axis), left to right. */
async function valueTicks(chart: Locator, axis: 'x' | 'y' = 'x'): Promise<Box[]> {
  const ticks = await boxes(chart, `.recharts-${axis}Axis-tick-labels .recharts-cartesian-axis-tick-value`);
  return ticks.filter((t) => t.text.trim() !== '').sort((a, b) => (axis === 'x' ? a.x - b.x : b.y - a.y));
}

test.describe('charts at a glance', () => {
  for (const [width, height] of SIZES) {
    test(`Compare at ${width}x${height}: bars not flattened, accuracy to 100%, one colour per op, no overlaps`, async ({
      page,
    }) => {
      await openCompare(page, width, height);

      // Latency: the axis fits the bars, not the 8 ms whiskers; the longest bar spans more than half the plot.
      const latency = page.getByTestId('chart-latency');
      const ticks = await valueTicks(latency);
      expect(Number.parseFloat(ticks.at(-1)!.text), ticks.map((t) => t.text).join(', ')).toBeLessThan(1);
      for (const t of ticks) expect(t.text).toMatch(/^\d+(\.\d{1,2})? ms$/);
      const plot = (await boxes(latency, '.recharts-xAxis .recharts-cartesian-axis-line'))[0]!;
      const bars = await boxes(latency, '.recharts-bar-rectangle path');
      expect(bars).toHaveLength(6);
      const longest = Math.max(...bars.map((b) => b.width));
      expect(longest / plot.width, 'the longest p50 bar against the axis').toBeGreaterThan(0.5);
      expect(Math.min(...bars.map((b) => b.width)), 'the shortest bar is plain to see').toBeGreaterThan(
        plot.width * 0.25,
      );
      // Whiskers past the axis stop at its end, with an arrow, and the chart says so.
      await expect(latency.locator('.latency-whiskers')).toHaveCount(6);
      await expect(latency.locator('.whisker-clipped')).not.toHaveCount(0);
      for (const w of await boxes(latency, '.latency-whiskers'))
        expect(w.x + w.width).toBeLessThanOrEqual(plot.x + plot.width + 2);
      await expect(latency).toContainText('stop at its end with an arrow');
      expectNoOverlaps(await boxes(latency, '.recharts-yAxis-tick-labels tspan'), 'latency names and figures');

      // Accuracy: the axis ends at 100%.
      const quality = page.getByTestId('chart-quality');
      expect((await valueTicks(quality)).at(-1)!.text).toBe('100%');
      for (const t of await valueTicks(page.getByTestId('chart-pareto'), 'y'))
        expect(Number.parseFloat(t.text)).toBeLessThanOrEqual(100);
      expect((await valueTicks(page.getByTestId('chart-pareto'), 'y')).at(-1)!.text).toBe('100%');

      // The distribution of a variant is drawn in that variant's colour (its size bar's).
      const sizeFills = await page.getByTestId('chart-size').locator('.recharts-bar-rectangle path').evaluateAll((els) => els.map((e) => e.getAttribute('fill')));
      const shownVariant = await page.getByTestId('chart-histogram').locator('select').evaluate((s: HTMLSelectElement) => s.selectedIndex);
      const histogramFill = await page.getByTestId('chart-histogram').locator('.histogram-bar').first().getAttribute('fill');
      expect(histogramFill).toBe(sizeFills[shownVariant]);

      // Sizes: round ticks (0 KiB, 100 KiB, 200 KiB...).
      const size = page.getByTestId('chart-size');
      for (const t of await valueTicks(size)) expect(t.text).toMatch(/^\d+(\.\d)? (B|KiB|MiB)$/);

      // Value labels after the bars: on one line, inside the chart, none on another.
      for (const id of ['size', 'quality']) {
        const chart = page.getByTestId(`chart-${id}`);
        const svg = (await boxes(chart, 'svg.recharts-surface'))[0]!;
        const labels = await boxes(chart, '.chart-value-label');
        expect(labels).toHaveLength(6);
        for (const l of labels) {
          expect(l.x + l.width, `${id}: "${l.text}" runs out of the chart`).toBeLessThanOrEqual(
            svg.x + svg.width,
          );
          expect(l.height, `${id}: "${l.text}" wraps`).toBeLessThan(20);
        }
        expectNoOverlaps(labels, `${id} value labels`);
        expectNoOverlaps(await boxes(chart, '.recharts-yAxis-tick-labels tspan'), `${id} names`);
      }
      for (const id of ['size', 'latency', 'quality', 'pareto', 'op-breakdown'])
        expectNoOverlaps(
          await boxes(page.getByTestId(`chart-${id}`), '.recharts-cartesian-axis-tick-value'),
          `${id} axis labels`,
        );

      // Per-op time: every op type its own colour, "other" grey.
      const legend = page.getByRole('list', { name: 'Time per operator type: legend' });
      const entries = await legend.locator('li').evaluateAll((lis) =>
        lis.map((li) => ({
          label: li.textContent?.trim() ?? '',
          color: getComputedStyle(li.querySelector('.chart-swatch')!).backgroundColor,
        })),
      );
      expect(entries.map((e) => e.label)).toContain('other');
      expect(new Set(entries.map((e) => e.color)).size).toBe(entries.length);
      const other = entries.find((e) => e.label === 'other')!;
      const [r, g, b] = other.color.match(/\d+/g)!.map(Number);
      expect(Math.max(r!, g!, b!) - Math.min(r!, g!, b!), `"other" is ${other.color}`).toBeLessThan(16);

      // The pruned variant's loss is beside it.
      await expect(
        page.getByTestId('compare-table').locator('tr[data-variant="structured 50%"]'),
      ).toContainText('−55.1 pts accuracy');
      await expect(page.getByTestId('accuracy-drop')).toHaveCount(1);

      await page.screenshot({ path: `${SCREENSHOT_DIR}charts-compare-${width}.png`, fullPage: true });
    });
  }

  test('a latency ratio is printed with the original p50 it divides by, where that is not the original row', async ({
    page,
  }) => {
    await openCompare(page);
    // Time the original alone: its row now shows this run, while each variant's ratio stays against the
    // original of its own (interleaved) run. Without the base beside it, "×0.70" under an original that is
    // now several times slower contradicts the figures.
    const picks = page.getByRole('group', { name: 'Variants to measure' });
    for (const box of await picks.getByRole('checkbox').all()) await box.uncheck();
    await picks.getByRole('checkbox', { name: 'original' }).check();
    await page.getByRole('button', { name: 'Benchmark 1 model' }).click();
    const table = page.getByTestId('compare-table');
    const originalP50 = table.locator('tr[data-variant="original"] td').nth(1);
    const ms = (text: string | null) => Number.parseFloat(text ?? '');
    // The scenario's original ran at about 0.17 ms; the mock engine times the sample at about 1.1 ms.
    await expect.poll(async () => ms(await originalP50.textContent()), { timeout: 20_000 }).toBeGreaterThan(0.5);
    await expect(table.locator('tr[data-variant="original"] .tag.live')).toHaveCount(0);
    const shownOriginal = ms(await originalP50.textContent());
    const ratios = table.getByTestId('latency-ratio');
    await expect(ratios).toHaveCount(5);
    for (const text of await ratios.allTextContents()) {
      const match = /^×([\d.]+) of the original's ([\d.]+) ms$/.exec(text);
      expect(match, `"${text}" names the original p50 it is against`).not.toBeNull();
      expect(Number(match![2])).not.toBe(shownOriginal);
    }
    // Each figure, its ratio and its base agree: p50 / base = ratio (to the printed digits).
    for (const row of await table.locator('tbody tr:not([data-variant="original"])').all()) {
      const cell = (await row.locator('td').nth(1).textContent()) ?? '';
      const [, p50, ratio, base] = /^([\d.]+) ms ×([\d.]+) of the original's ([\d.]+) ms/.exec(cell)!;
      expect(Math.abs(Number(p50) / Number(base) - Number(ratio)), cell).toBeLessThan(0.02);
    }
    await expect(page.getByTestId('ratio-note')).toBeVisible();
    const latency = page.getByTestId('chart-latency');
    // The chart does not set p50s of different runs side by side: each bar is normalised to the original's
    // row (its ratio × that p50), says so, and prints the p50 it measured under it; whole, on no other text.
    await expect(latency).toContainText("so each bar is normalised to the original's");
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      const lines = await boxes(latency, '.recharts-yAxis-tick-labels tspan');
      expect(lines.filter((t) => /^measured [\d.]+ ms$/.test(t.text))).toHaveLength(5);
      // A variant's bar is its ratio × the original's row: "0.765 ms ×0.70" beside an original of 1.09 ms.
      for (const t of lines.filter((l) => /^[\d.]+ ms ×[\d.]+$/.test(l.text))) {
        const [, p50, ratio] = /^([\d.]+) ms ×([\d.]+)$/.exec(t.text)!;
        expect(Math.abs(Number(p50) / shownOriginal - Number(ratio)), t.text).toBeLessThan(0.02);
      }
      for (const t of lines) expect(t.text, `at ${width}: a caption cut short`).not.toMatch(/…$/);
      expectNoOverlaps(lines, `latency names and figures at ${width}`);
    }
    // Each size once the chart has redrawn for it (its axis labels back): a shot taken mid-redraw cut it short.
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await expect(latency.locator('.recharts-xAxis-tick-labels')).toBeVisible();
      // Away from the window's bottom edge, where the fixed Jobs bar would cover the axis in the picture.
      await latency.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await latency.screenshot({ path: `${SCREENSHOT_DIR}charts-ratio-base-${width}.png` });
      await page.locator('.table-card').screenshot({ path: `${SCREENSHOT_DIR}charts-ratio-table-${width}.png` });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  test('benchmarks that failed are said to have failed, not to be missing', async ({ page }) => {
    // The browser benchmark loads each model over HTTP first: refused, the job fails with its message (and
    // Chromium logs the refused request, which is the point here).
    pageErrors.watch(page, [/workspace-files\//, /status of 500/]);
    await page.route('**/workspace-files/**', (route) => route.fulfill({ status: 500 }));
    await page.goto(`${server.origin}/index.html?host=mock`);
    await page.getByRole('button', { name: 'Try the sample model' }).click();
    await page.getByRole('tab', { name: 'Compare' }).click();
    await page.getByLabel('Provider', { exact: true }).selectOption('wasm');
    await page.getByRole('button', { name: 'Run in this browser (wasm)' }).click();
    const latency = page.getByTestId('chart-latency');
    await expect(latency.getByTestId('benchmark-failed')).toContainText(
      'The benchmark ran and failed, so there are no latencies to show: Could not load original into the page (HTTP 500)',
    );
    await expect(latency).toContainText('“Jobs” at the bottom of the window has the details');
    await expect(latency).not.toContainText('Run a benchmark to see latencies here');
    const histogram = page.getByTestId('chart-histogram');
    await expect(histogram).toContainText('No timed runs: the benchmark failed.');
    await expect(histogram).not.toContainText('0 timed runs');
    await expect(histogram.getByTestId('benchmark-failed')).toContainText('HTTP 500');
    // A second failure in a row is counted.
    await page.getByRole('button', { name: 'Run in this browser (wasm)' }).click();
    await expect(latency.getByTestId('benchmark-failed')).toContainText('The last 2 benchmarks ran and failed');
    await screenshotAtTwoSizes(page, 'charts-benchmark-failed', { restore: { width: 1440, height: 900 } });
  });

  test('evaluations that failed are said to have failed, not to be missing', async ({ page }) => {
    await page.goto(`${server.origin}/index.html?host=mock`);
    await page.getByRole('button', { name: 'Try the sample model' }).click();
    await page.getByRole('tab', { name: 'Compare' }).click();
    const compare = shown(page);
    // Data that passes the check but breaks mid-run (the mock fails an evaluation of a `corrupt` path).
    const path = compare.getByTestId('dataset-path');
    const good = await path.inputValue();
    await path.fill('/data/corrupt-inputs.npy');
    await compare.getByTestId('evaluate-models').click();
    const quality = page.getByTestId('chart-quality');
    await expect(quality.getByTestId('evaluation-failed')).toContainText(
      'The evaluation ran and failed, so there is no accuracy or fidelity to show: Sample 212 of corrupt-inputs.npy holds NaN values',
    );
    // The job's name is labelled as such, and what to do is said in the app's terms.
    await expect(quality.getByTestId('failed-job')).toHaveText(
      'Job: Evaluate original. “Jobs” at the bottom of the window has the details.',
    );
    await expect(quality.getByTestId('failed-what-to-do')).toContainText('Do what the message above says');
    await expect(quality).not.toContainText('CLI');
    await expect(quality).not.toContainText('Evaluate the variants on a dataset');
    await screenshotAtTwoSizes(page, 'charts-evaluation-failed', { restore: { width: 1440, height: 900 } });
    // Good data: figures, and the failure is old news.
    await path.fill(good);
    await compare.getByTestId('evaluate-models').click();
    await expect(quality.locator('.recharts-bar-rectangle')).toHaveCount(1);
    await expect(quality.getByTestId('evaluation-failed')).toHaveCount(0);
    // Failing twice after that: the figure stays, said to be from an earlier evaluation, the failures counted.
    await path.fill('/data/corrupt-inputs.npy');
    await compare.getByTestId('evaluate-models').click();
    // The earlier figure says its data and when it was measured.
    await expect(quality.getByTestId('evaluation-failed')).toContainText(
      /The evaluation ran and failed, so the figure of original is from an earlier evaluation \(test-inputs\.npy \+ test-labels\.npy, \d+ \w{3} \d\d:\d\d\) \(marked “earlier”\)/,
    );
    await compare.getByTestId('evaluate-models').click();
    await expect(quality.getByTestId('evaluation-failed')).toContainText('The last 2 evaluations ran and failed');
    await expect(quality.locator('.recharts-bar-rectangle')).toHaveCount(1);
    await quality.scrollIntoViewIfNeeded();
    await screenshotAtTwoSizes(page, 'charts-evaluation-failed-earlier', {
      selector: '[data-testid="chart-quality"]',
      restore: { width: 1440, height: 900 },
    });
  });

  test('a latency a later benchmark failed to replace is marked earlier, on its bar and in the table; others are not', async ({
    page,
  }) => {
    // The browser benchmark loads each model over HTTP first: refused (below), the job fails with its
    // message; Chromium logs the refused request, which is the point here.
    pageErrors.watch(page, [/workspace-files\//, /status of 500/]);
    await openCompare(page);
    const compare = shown(page);
    const picks = compare.getByRole('group', { name: 'Variants to measure' });
    const pickOnly = async (names: string[]) => {
      for (const pick of await picks.getByRole('checkbox').all()) await pick.uncheck();
      for (const name of names) await picks.getByRole('checkbox', { name, exact: true }).check();
    };
    const runInBrowser = compare.getByRole('button', { name: 'Run in this browser (wasm)' });
    // Latencies measured in this page (the charts scenario has only the engine's): three models, one run.
    await pickOnly(['original', 'int8-dynamic', 'fp16']);
    await compare.getByLabel('Provider', { exact: true }).selectOption('wasm');
    await compare.getByLabel('Runs', { exact: true }).nth(1).fill('30');
    await runInBrowser.click();
    await page.getByTestId('status-jobs').click();
    const panel = page.getByTestId('jobs-panel');
    await expect(
      panel.getByTestId('job').filter({ hasText: 'Browser benchmark original + int8-dynamic + fp16' }),
    ).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    await panel.getByRole('button', { name: 'Close' }).click();
    const latency = page.getByTestId('chart-latency');
    await latency.getByLabel('Latency measured with').selectOption({ label: 'onnxruntime-web · wasm' });
    await expect(latency.locator('.recharts-bar-rectangle')).toHaveCount(3);
    await expect(latency).not.toContainText('(live)');
    await expect(latency.getByTestId('benchmark-failed')).toHaveCount(0);
    await expect(latency.locator('.bar-earlier')).toHaveCount(0);

    // fp16 again, in the same page: its model cannot be loaded, so the benchmark fails.
    await page.route('**/workspace-files/**', (route) => route.fulfill({ status: 500 }));
    await pickOnly(['fp16']);
    await runInBrowser.click();
    const failed = latency.getByTestId('benchmark-failed');
    await expect(failed).toContainText(
      'The benchmark ran and failed, so the figure of fp16 is from an earlier benchmark (marked “earlier”): Could not load fp16 into the page (HTTP 500)',
    );
    await expect(failed.getByTestId('failed-job')).toContainText(
      'Job: Browser benchmark fp16 (onnxruntime-web, wasm).',
    );
    // fp16's figure, the one the failed benchmark was to replace, is marked as old: its name's caption (and
    // the caption's tooltip), its faded bar, its table cell. The original's and int8-dynamic's are not.
    const ticks = latency.locator('.recharts-yAxis-tick-labels title');
    await expect(ticks).toHaveText([/^original: /, /^int8-dynamic: /, /^fp16: /]);
    await expect(ticks.filter({ hasText: '(earlier)' })).toHaveText([
      /^fp16: [\d.]+ ms ×[\d.]+ \(earlier\)$/,
    ]);
    const captions = latency.locator('.recharts-yAxis-tick-labels tspan', { hasText: '(earlier)' });
    await expect(captions).toHaveText([/^[\d.]+ ms ×[\d.]+ \(earlier\)$/]);
    await expect(latency.locator('.bar-earlier')).toHaveCount(1);
    await expect(latency.locator('.recharts-bar-rectangle').nth(2).locator('.bar-earlier')).toHaveCount(1);
    const table = page.getByTestId('compare-table');
    await expect(table).toContainText('p50 (onnxruntime-web · wasm)');
    const fp16Mark = table.locator('tr[data-variant="fp16"]').getByTestId('latency-earlier');
    await expect(fp16Mark).toHaveText('(earlier)');
    await expect(fp16Mark).toHaveAttribute(
      'title',
      'From an earlier benchmark: the latest one of this variant failed',
    );
    await expect(table.getByTestId('latency-earlier')).toHaveCount(1);
    // The Pareto chart places fp16 by that earlier latency, and says so in its legend; whether fp16 is on the
    // front depends on this page's timings, but where it is, its tag says the place rests on the earlier figure.
    const paretoLegend = page.getByTestId('chart-pareto').locator('.chart-legend li');
    // A run this page timed may also be called noisy on a busy machine (a 30-run wasm benchmark): its tag stays.
    await expect(paretoLegend.filter({ hasText: '(earlier)' })).toHaveText([/^fp16( \(noisy run\))? \(earlier\)$/]);
    const fp16Pareto = table.locator('tr[data-variant="fp16"]').getByTestId('pareto-tag');
    const onFront = await fp16Pareto.count();
    if (onFront > 0) await expect(fp16Pareto).toHaveText('Pareto (earlier)');
    await expect(table.getByTestId('pareto-tag').filter({ hasText: '(earlier)' })).toHaveCount(onFront);
    // At 1024x700 the card is taller than the window: the status bar, kept over the window's bottom edge,
    // would cover a row of bars in the picture. Hidden while it is taken.
    const statusBar = page.getByTestId('status-bar');
    await statusBar.evaluate((el) => {
      el.style.visibility = 'hidden';
    });
    await latency.scrollIntoViewIfNeeded();
    await screenshotAtTwoSizes(page, 'charts-benchmark-failed-earlier', {
      selector: '[data-testid="chart-latency"]',
      restore: { width: 1440, height: 900 },
    });
    await statusBar.evaluate((el) => {
      el.style.visibility = '';
    });
    // The engine's figures were not what the failed benchmark was to replace: none of them is marked.
    await latency.getByLabel('Latency measured with').selectOption({ label: 'onnxruntime-node · cpu' });
    await expect(latency.locator('.recharts-bar-rectangle')).toHaveCount(6);
    await expect(failed).toHaveCount(0);
    await expect(latency.locator('.bar-earlier')).toHaveCount(0);
    await expect(latency.locator('.recharts-yAxis-tick-labels')).not.toContainText('(earlier)');
    await expect(table.getByTestId('latency-earlier')).toHaveCount(0);
    await expect(table.getByTestId('pareto-tag').filter({ hasText: '(earlier)' })).toHaveCount(0);
    await expect(paretoLegend.filter({ hasText: '(earlier)' })).toHaveCount(0);
  });

  test("a failed first benchmark on an engine with no figures is said on the card showing another engine's", async ({
    page,
  }) => {
    pageErrors.watch(page, [/workspace-files\//, /status of 500/]);
    await openCompare(page);
    const compare = shown(page);
    await page.route('**/workspace-files/**', (route) => route.fulfill({ status: 500 }));
    await compare.getByLabel('Provider', { exact: true }).selectOption('wasm');
    await compare.getByRole('button', { name: 'Run in this browser (wasm)' }).click();
    // No wasm figure exists to select: the card, showing the engine's, says what failed, and marks nothing.
    const latency = page.getByTestId('chart-latency');
    await expect(latency.getByTestId('benchmark-failed')).toContainText(
      "The benchmark ran and failed, so there are no onnxruntime-web · wasm figures; these are onnxruntime-node · cpu's:",
    );
    await expect(latency.getByTestId('benchmark-failed')).toContainText('HTTP 500');
    await expect(latency.locator('.bar-earlier')).toHaveCount(0);
    await expect(page.getByTestId('compare-table').getByTestId('latency-earlier')).toHaveCount(0);
    await latency.scrollIntoViewIfNeeded();
    await screenshotAtTwoSizes(page, 'charts-benchmark-failed-elsewhere', {
      selector: '[data-testid="chart-latency"]',
      restore: { width: 1440, height: 900 },
    });
  });

  test('a failed evaluation stays said, on its variant, when another variant is evaluated after it', async ({ page }) => {
    await openCompare(page);
    const compare = shown(page);
    const picks = compare.getByRole('group', { name: 'Variants to measure' });
    for (const pick of await picks.getByRole('checkbox').all()) await pick.uncheck();
    await picks.getByRole('checkbox', { name: 'fp16' }).check();
    const path = compare.getByTestId('dataset-path');
    const good = await path.inputValue();
    await path.fill('/data/corrupt-inputs.npy');
    await compare.getByTestId('evaluate-models').click();
    const quality = page.getByTestId('chart-quality');
    const failed = quality.getByTestId('evaluation-failed');
    // fp16's earlier figure is the seeded one, on the digits test set: named, with no time (its record has none).
    await expect(failed).toContainText(
      'The evaluation ran and failed, so the figure of fp16 is from an earlier evaluation (digits test set (sample)) (marked “earlier”): Sample 212',
    );
    // int8-dynamic evaluated since, on good data: that says nothing about fp16, whose failure stands.
    await picks.getByRole('checkbox', { name: 'fp16' }).uncheck();
    await picks.getByRole('checkbox', { name: 'int8-dynamic' }).check();
    await path.fill(good);
    await compare.getByTestId('evaluate-models').click();
    await page.getByTestId('status-jobs').click();
    const panel = page.getByTestId('jobs-panel');
    await expect(panel.getByTestId('job').filter({ hasText: 'Evaluate int8-dynamic' })).toHaveAttribute('data-status', 'done');
    // One heading names the list: the panel's own, not a "Jobs" heading under "All jobs".
    await expect(panel.getByRole('heading', { name: 'All jobs' })).toHaveCount(1);
    await expect(panel.getByRole('heading', { name: 'Jobs', exact: true })).toHaveCount(0);
    await expect(panel.getByRole('button', { name: 'Clear finished' })).toBeVisible();
    // The failure the status bar points at comes first, above the newer job that succeeded.
    await expect(panel.getByTestId('job').first()).toHaveAttribute('data-status', 'failed');
    await expect(panel.getByTestId('job').first()).toContainText('Evaluate fp16');
    // Clear finished and Close share the title's row, at 800px too.
    for (const width of [1440, 800]) {
      await page.setViewportSize({ width, height: width === 800 ? 600 : 900 });
      const clear = await panel.getByRole('button', { name: 'Clear finished' }).boundingBox();
      const close = await panel.getByRole('button', { name: 'Close' }).boundingBox();
      const title = await panel.getByRole('heading', { name: 'All jobs' }).boundingBox();
      expect(Math.abs(clear!.y - close!.y)).toBeLessThan(4);
      expect(clear!.x).toBeLessThan(close!.x);
      expect(Math.abs(clear!.y + clear!.height / 2 - (title!.y + title!.height / 2))).toBeLessThan(12);
    }
    await screenshotAtTwoSizes(page, 'jobs-panel-failure-first', { restore: { width: 1440, height: 900 } });
    await panel.getByRole('button', { name: 'Close' }).click();
    await expect(failed).toContainText('The evaluation ran and failed, so the figure of fp16 is from an earlier');
    await expect(failed.getByTestId('failed-job')).toContainText('Job: Evaluate fp16.');
    // fp16's old figure is marked as old, on the card and in the table alike; int8-dynamic's new one is not.
    await expect(quality.locator('.chart-value-label', { hasText: /\(earlier\)$/ })).toHaveCount(1);
    await expect(quality.locator('.bar-earlier')).toHaveCount(1);
    const table = page.getByTestId('compare-table');
    await expect(table.locator('tr[data-variant="fp16"]').getByTestId('quality-earlier')).toHaveText('(earlier)');
    await expect(table.getByTestId('quality-earlier')).toHaveCount(1);
    // fp16 evaluated again, on good data: now the failure is old news.
    await picks.getByRole('checkbox', { name: 'fp16' }).check();
    await compare.getByTestId('evaluate-models').click();
    await expect(failed).toHaveCount(0);
    await expect(quality.locator('.bar-earlier')).toHaveCount(0);
    await expect(page.getByTestId('compare-table').getByTestId('quality-earlier')).toHaveCount(0);
    // And the status bar no longer counts it; the list says the failure was made good, below what stands.
    // It says the failure was made good, and counts no failure that stands.
    await expect(page.getByTestId('status-jobs')).toContainText('1 failed, then succeeded');
    await expect(page.getByTestId('status-jobs')).not.toHaveText(/\d+ failed(?!, then succeeded)/);
    await page.getByTestId('status-jobs').click();
    await expect(panel.locator('[data-resolved="true"]')).toContainText('Ran again later and succeeded');
    await expect(panel.getByTestId('job').first()).not.toHaveAttribute('data-status', 'failed');
    await screenshotAtTwoSizes(page, 'jobs-panel-failure-resolved', { restore: { width: 1440, height: 900 } });
    await panel.getByRole('button', { name: 'Close' }).click();
    // At 800x600 the status bar stays over the page's bottom edge: whatever is scrolled into view is kept clear
    // of it (a card's last line, a focused field), never left under the bar.
    await page.setViewportSize({ width: 800, height: 600 });
    const bar = page.getByTestId('status-bar');
    await expect(bar).toBeVisible();
    for (const id of ['chart-quality', 'chart-latency']) {
      await page.getByTestId(id).evaluate((el) => el.scrollIntoView({ block: 'end' }));
      const cardBottom = await page.getByTestId(id).evaluate((el) => el.getBoundingClientRect().bottom);
      const barTop = await bar.evaluate((el) => el.getBoundingClientRect().top);
      expect(cardBottom, `${id} ends under the status bar`).toBeLessThanOrEqual(barTop + 0.5);
    }
  });

  test('Export preselects the best variant, labels each figure, and suggests the file its command writes', async ({
    page,
  }) => {
    await openCompare(page);
    await page.getByRole('tab', { name: 'Export' }).click();
    // The last made is magnitude 30% (0.9 pts of accuracy lost); the best, as the report picks it, is not.
    const best = page.locator('.variant-option', { has: page.locator('.tag', { hasText: 'best' }) });
    await expect(best).toHaveCount(1);
    // The badge says what the variant is best at (best: fastest, best: fast + small, best: smallest).
    const bestName = (await best.locator('.variant-name').innerText()).replace(/\s*best: [a-z +]+$/, '');
    expect(bestName).not.toBe('magnitude 30%');
    await expect(best.getByRole('radio')).toBeChecked();
    await expect(page.getByTestId('export-preselected')).toContainText(
      `${bestName} is preselected as the best variant: the fastest variant (then the smallest) with at most 0.5 pts of accuracy lost`,
    );
    // Each figure says what it is.
    const figures = page.getByTestId('variant-figures');
    await expect(figures).toHaveCount(5);
    for (const text of await figures.allInnerTexts()) expect(text).toMatch(/ · accuracy \d+\.\d\d% on \S/);
    // The suggested file is named as the command shown below names it; the bundled sample's folder is the
    // app's own (read-only when installed), so it goes to the home folder (the mock's is /).
    const cli = await page.getByTestId('cli-command').innerText();
    const output = /-o (\S+)/.exec(cli)?.[1];
    expect(output).toMatch(/\/digits-resnet-[\w-]+\.onnx$/);
    const inHome = (path: string) => `/${path.split('/').at(-1)}`;
    await expect(page.getByTestId('export-destination')).toHaveValue(inHome(output!));
    // Another choice: the hint goes, the name follows that variant's command.
    await page.getByRole('radio', { name: /^structured 50%/ }).check();
    await expect(page.getByTestId('export-preselected')).toHaveCount(0);
    await expect(page.getByTestId('cli-command')).toContainText('-o ');
    const pruned = /-o (\S+)/.exec(await page.getByTestId('cli-command').innerText())?.[1];
    expect(pruned).toMatch(/digits-resnet-structured50\.onnx$/);
    await expect(page.getByTestId('export-destination')).toHaveValue(inHome(pruned!));
    await page.getByRole('radio', { name: new RegExp(`^${bestName}`) }).check();
    await screenshotAtTwoSizes(page, 'charts-export-best', { restore: { width: 1440, height: 900 } });
  });

  test('at 800x600 the page never scrolls sideways: the figures table scrolls inside its card', async ({ page }) => {
    await openCompare(page, 800, 600);
    const table = page.getByTestId('compare-table');
    await expect(table.locator('tbody tr')).toHaveCount(6);
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
    }));
    expect(widths.page, 'the page is wider than the window').toBeLessThanOrEqual(widths.viewport);
    // A variant's name breaks only between its words: "int8-static" broke after its hyphen at this width.
    const nameLines = await table
      .locator('th[scope="row"] .word')
      .evaluateAll((words) => words.map((w) => [w.textContent, w.getClientRects().length] as const));
    expect(nameLines.some(([word]) => word?.includes('-'))).toBe(true);
    for (const [word, lines] of nameLines) expect(lines, `"${word}" is broken over lines`).toBe(1);
    const scroller = page.getByTestId('compare-table-scroll');
    const inner = await scroller.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    const card = (await boxes(page.locator('.compare'), '.table-card'))[0]!;
    const tableBox = (await boxes(page.locator('.compare'), '[data-testid="compare-table-scroll"]'))[0]!;
    expect(tableBox.x + tableBox.width).toBeLessThanOrEqual(card.x + card.width + 0.5);
    // At this width the columns need more than the card: the wrapper scrolls them (not the page).
    expect(inner.scroll).toBeGreaterThanOrEqual(inner.client);
    // And it says so: a hint above the table and a fade at the clipped edge (user test: at 800 px the right
    // columns were cut off with nothing to say the table scrolls).
    const cues = page.locator('.hscroll', { has: scroller });
    const hint = page.getByTestId('compare-table-scroll-hint');
    await expect(hint).toHaveText('Scroll for more columns →');
    await expect(cues).toHaveAttribute('data-more-right', 'true');
    await expect(cues.locator('.hscroll-fade')).toHaveCSS('opacity', '1');
    await page.screenshot({ path: `${SCREENSHOT_DIR}charts-compare-800-cue.png` });
    // Scrolled to its end, the last column is there in full, inside the wrapper's visible box.
    await scroller.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    await expect(cues).toHaveAttribute('data-more-right', 'false');
    await expect(hint).toHaveText('← Back to the first columns');
    const ends = await scroller.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const cells = [...el.querySelectorAll('tr > :last-child')].map((c) => c.getBoundingClientRect().right);
      // The variant names stay in view, at the box's left edge, while the figures scroll past them.
      const names = [...el.querySelectorAll('tr > :first-child')].map((c) => c.getBoundingClientRect().left);
      return { box: box.right, left: box.left, cells, names };
    });
    expect(ends.cells.length).toBeGreaterThan(0);
    for (const right of ends.cells) expect(right, 'the last column is cut off').toBeLessThanOrEqual(ends.box + 0.5);
    for (const left of ends.names)
      expect(Math.abs(left - ends.left), 'the variant column scrolled away').toBeLessThan(1);
    await page.screenshot({ path: `${SCREENSHOT_DIR}charts-compare-800.png`, fullPage: true });
    // The hint asks for a scroll only where there is one: wide enough, the table fits and nothing is said.
    await page.setViewportSize({ width: 1440, height: 900 });
    await expect(cues).toHaveAttribute('data-overflows', 'false');
    await expect(hint).toHaveCount(0);
  });

  test('the pruned variant shows its accuracy drop in the Optimize view too', async ({ page }) => {
    await openCompare(page);
    await page.getByRole('tab', { name: 'Optimize' }).click();
    const pipeline = page.getByTestId('pipeline').filter({ hasText: 'structured 50%' });
    await expect(pipeline.getByTestId('accuracy-drop')).toHaveText('−55.1 pts accuracy');
    await pipeline.screenshot({ path: `${SCREENSHOT_DIR}charts-pipeline.png` });
  });

  test('Model view charts: round byte ticks, value labels inside the chart', async ({ page }) => {
    for (const [width, height] of SIZES) {
      await openCompare(page, width, height);
      await page.getByRole('tab', { name: 'Model' }).click();
      const dtype = page.getByTestId('chart-dtype-bytes');
      await expect(dtype.locator('.bar-rect')).not.toHaveCount(0);
      const ticks = (await boxes(dtype, 'svg text:not(.bar-label):not(.bar-value)')).map((t) => t.text);
      for (const t of ticks) expect(t).toMatch(/^\d+(\.\d)? (B|KiB|MiB|GiB)$/);
      const svg = (await boxes(dtype, 'svg.chart-svg'))[0]!;
      for (const v of await boxes(dtype, '.bar-value'))
        expect(v.x + v.width).toBeLessThanOrEqual(svg.x + svg.width + 0.5);
      await page.screenshot({ path: `${SCREENSHOT_DIR}charts-model-${width}.png`, fullPage: true });
    }
  });
});

test.describe('what the quality and Pareto charts compare is said on them', () => {
  test('Pareto: points at the same place are each seen, counted and said to overlap (user test 2.7)', async ({ page }) => {
    // The scenario's original and magnitude 30% have the same speed, nearly the same accuracy and the same size:
    // the one drawn second hid the other entirely.
    for (const [width, height] of [
      [1440, 900],
      [800, 600],
    ] as const) {
      await openCompare(page, width, height);
      const pareto = page.getByTestId('chart-pareto');
      const symbols = pareto.locator('.recharts-scatter-symbol');
      await expect(symbols).toHaveCount(6);
      const centres = (await boxes(pareto, '.recharts-scatter-symbol')).map((b) => ({
        x: b.x + b.width / 2,
        y: b.y + b.height / 2,
      }));
      for (let i = 0; i < centres.length; i++)
        for (let j = i + 1; j < centres.length; j++) {
          const d = Math.hypot(centres[i]!.x - centres[j]!.x, centres[i]!.y - centres[j]!.y);
          expect(d, `at ${width}: points ${i} and ${j} drawn ${d.toFixed(1)} px apart`).toBeGreaterThanOrEqual(6);
        }
      // Every bubble inside the plot (the y axis line spans it), the one spread up from the top place too: the
      // axis ended at its last tick, and a bubble there stuck out above the plot, cut by the chart's edge.
      const axis = (await boxes(pareto, '.recharts-yAxis .recharts-cartesian-axis-line'))[0]!;
      for (const c of await boxes(pareto, '.pareto-point circle')) {
        expect(c.y, `at ${width}: a bubble above the plot`).toBeGreaterThanOrEqual(axis.y - 0.5);
        expect(c.y + c.height, `at ${width}: a bubble below the plot`).toBeLessThanOrEqual(
          axis.y + axis.height + 0.5,
        );
      }
      await expect(pareto.locator('.pareto-count')).toHaveText('2 models here');
      await expect(pareto).toContainText('Overlapping points: original and magnitude 30% sit at nearly one place');
      await pareto.scrollIntoViewIfNeeded();
      await pareto.screenshot({ path: `${SCREENSHOT_DIR}charts-pareto-overlap-${width}.png` });
    }
  });

  test('Quality: a figure on other data than the original is marked on its bar and named under the chart (user test 2.4)', async ({
    page,
  }) => {
    await openCompare(page);
    const compare = shown(page);
    const quality = page.getByTestId('chart-quality');
    await expect(quality.getByTestId('quality-data')).toHaveText(/^ ?Data: digits test set \(sample\) \(360 samples\)\.$/);
    await expect(quality.locator('.bar-other-data')).toHaveCount(0);
    const picks = compare.getByRole('group', { name: 'Variants to measure' });
    for (const pick of await picks.getByRole('checkbox').all()) await pick.uncheck();
    await picks.getByRole('checkbox', { name: 'fp16' }).check();
    await compare.getByTestId('dataset-path').fill('/data/other-inputs.npy');
    await compare.getByTestId('evaluate-models').click();
    await expect(quality.locator('.bar-other-data')).toHaveCount(1);
    // Named with its labels file, which the form kept from the sample's data (the same inputs with other labels are
    // other data).
    await expect(quality.getByTestId('quality-data')).toContainText(
      "fp16: other-inputs.npy + test-labels.npy (360 samples): other data than the original's",
    );
    // Its figure says so after the bar, with no ratio to an original measured on other data.
    await expect(quality.locator('.chart-value-label', { hasText: 'other data' })).toHaveText(/^\d+\.\d\d% · other data$/);
    for (const [width, height] of [
      [1440, 900],
      [800, 600],
    ] as const) {
      await page.setViewportSize({ width, height });
      await expect(quality.locator('.bar-other-data')).toHaveCount(1);
      const svg = (await boxes(quality, 'svg.recharts-surface'))[0]!;
      for (const label of await boxes(quality, '.chart-value-label'))
        expect(label.x + label.width, `"${label.text}" runs out of the chart at ${width}`).toBeLessThanOrEqual(svg.x + svg.width + 0.5);
      expectNoOverlaps(await boxes(quality, '.chart-value-label'), `quality labels at ${width}`);
      await quality.scrollIntoViewIfNeeded();
      await quality.screenshot({ path: `${SCREENSHOT_DIR}charts-quality-other-data-${width}.png` });
    }
  });
});
