/**
 * The experiment against a real `onnx-studio serve`, with the models users really open: a text-line model
 * with input `x [?, 3, 48, ?]` (the app asks for the width, the benchmark feeds it, the table shows it; a width
 * changed after benchmarking flags the figure in Compare until it is benchmarked again, a browser benchmark's
 * too; one recipe run twice makes the same file, and Compare says so), a
 * speech model with an int64 sample rate and a length that must be a multiple of 64 (it benchmarks once its
 * inputs are set; a wrong length fails with an error naming the inputs, visible from Compare), a decoder with a KV
 * cache (a guessed sequence follows the past within its position table; a typed one is kept, and the error says
 * what fits), the sample's
 * data staying with the sample, and a wrong labels file refused before anything is queued.
 */
import { expect, test, type Page } from '@playwright/test';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeNpyArray } from '../electron/engine/datasets/npy-format.js';
import { awkwardModelFiles, buildCustomOpModel } from '../electron/engine/testing/awkward-models.js';
import { buildKvCacheLm } from '../electron/engine/testing/kv-cache-lm.js';
import { modelBytes } from '../electron/engine/testing/model-fixtures.js';
import { screenshotAtTwoSizes, shown } from './support/views.js';
import { failOnPageErrors } from './support/page-errors.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { DIGITS_DIR } from './support/static-renderer.js';

let server: ServeProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  server = await startServe();
  for (const [name, bytes] of Object.entries(awkwardModelFiles())) await writeFile(join(server.outDir, name), bytes);
  await copyFile(join(DIGITS_DIR, 'digits.onnx'), join(server.outDir, 'digits.onnx'));
  await copyFile(join(DIGITS_DIR, 'test-inputs.npy'), join(server.outDir, 'inputs.npy'));
  // Labels of another task: class ids up to 99 for a 10-class model.
  const wrong = BigInt64Array.from({ length: 360 }, (_, i) => BigInt(i % 100));
  await writeFile(join(server.outDir, 'wrong-labels.npy'), encodeNpyArray(wrong, 'int64', [360]));
  await writeFile(join(server.outDir, 'custom_op.onnx'), modelBytes(buildCustomOpModel()));
  await writeFile(join(server.outDir, 'flat.npy'), encodeNpyArray(new Float32Array(2 * 64), 'float32', [2, 64]));
  // position_ids index a 256-row table.
  await writeFile(join(server.outDir, 'kv-lm.onnx'), modelBytes(buildKvCacheLm({ positionIds: true })));
});

test.afterAll(async () => {
  await server?.stop();
});

failOnPageErrors();

/** Opens a model the way a user of `serve` does: Open model…, type its path, Enter. */
async function openByPath(page: Page, file: string): Promise<void> {
  await page.getByRole('button', { name: /Open model/ }).first().click();
  const path = join(server.outDir, file);
  // Wait for the folder listing: when it lands it writes its path into the field, and a fill racing it (select
  // all, then the listing, then the insert) ended up as that folder followed by the typed path (seen in CI).
  await expect(page.getByTestId('fs-path')).not.toHaveAttribute('placeholder', 'Loading…');
  await page.getByTestId('fs-path').fill(path);
  await page.getByTestId('fs-path').press('Enter');
  await expect(page.getByRole('heading', { name: file })).toBeVisible({ timeout: 20_000 });
}

test('a model with open dims asks for them, and the benchmark feeds and shows the given shape', async ({ page }) => {
  await page.goto(server.url);
  await openByPath(page, 'text-line.onnx');
  const spec = page.getByTestId('input-spec');
  await expect(spec).toContainText('width of a 48-pixel-high text line');
  await screenshotAtTwoSizes(page, 'experiment-ask', { restore: { width: 1440, height: 900 } });

  // Nothing runs on a guessed shape: Optimize and Compare say so and keep their buttons off.
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('input-spec-required')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Benchmark 1 model/ })).toBeDisabled();

  await page.getByRole('tab', { name: 'Model' }).click();
  await spec.getByLabel('dim 3').fill('256');
  await page.getByTestId('save-input-spec').click();
  await expect(page.getByTestId('input-spec-summary')).toHaveText('1x3x48x256');

  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('input-spec-required')).toHaveCount(0);
  await page.getByRole('button', { name: /^Benchmark 1 model/ }).click();
  await expect(shown(page).getByTestId('row-inputs').first()).toHaveText('1x3x48x256', { timeout: 60_000 });
  await expect(shown(page).getByTestId('off-spec-note')).toHaveCount(0);
  await screenshotAtTwoSizes(page, 'experiment-compare', { restore: { width: 1440, height: 900 } });

  // A wider spec after the benchmark: the figure at 256 is flagged, beside its inputs and above the charts.
  await page.getByRole('tab', { name: 'Model' }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await spec.getByLabel('dim 3').fill('320');
  await page.getByTestId('save-input-spec').click();
  await expect(page.getByTestId('input-spec-summary')).toHaveText('1x3x48x320');
  await page.getByRole('tab', { name: 'Compare' }).click();
  const note = shown(page).getByTestId('off-spec-note');
  await expect(note).toContainText(
    'Latency of original was measured at 1x3x48x256; the inputs are now 1x3x48x320. Benchmark again for figures at the new size.',
  );
  await expect(shown(page).getByTestId('off-spec')).toHaveText('inputs now 1x3x48x320');
  await screenshotAtTwoSizes(page, 'experiment-compare-off-spec', { restore: { width: 1440, height: 900 } });
  // Benchmarked again at the new width: the flag goes.
  await note.getByRole('button', { name: 'Benchmark again at 1x3x48x320' }).click();
  await expect(shown(page).getByTestId('row-inputs').first()).toHaveText('1x3x48x320', { timeout: 60_000 });
  await expect(note).toHaveCount(0);
  await expect(shown(page).getByTestId('off-spec')).toHaveCount(0);

  // A browser benchmark records the shapes the page fed, so its figure is flagged alike once the spec changes.
  await shown(page).getByLabel('Runs', { exact: true }).nth(1).fill('20');
  await shown(page).getByRole('button', { name: 'Run in this browser (wasm)' }).click();
  const browser = async () => {
    const sources = shown(page).getByLabel('Latency measured with');
    await expect(sources.locator('option', { hasText: 'onnxruntime-web · wasm' })).toHaveCount(1, { timeout: 60_000 });
    await sources.selectOption({ label: 'onnxruntime-web · wasm' });
    await expect(shown(page).getByTestId('compare-table')).toContainText('p50 (onnxruntime-web · wasm)');
  };
  await browser();
  await expect(shown(page).getByTestId('row-inputs').first()).toHaveText('1x3x48x320', { timeout: 60_000 });
  await expect(note).toHaveCount(0);
  await page.getByRole('tab', { name: 'Model' }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await spec.getByLabel('dim 3').fill('256');
  await page.getByTestId('save-input-spec').click();
  await expect(page.getByTestId('input-spec-summary')).toHaveText('1x3x48x256');
  await page.getByRole('tab', { name: 'Compare' }).click();
  await browser();
  await expect(note).toContainText(
    'Latency of original was measured at 1x3x48x320; the inputs are now 1x3x48x256. Benchmark again for figures at the new size.',
  );
  await expect(shown(page).getByTestId('off-spec')).toHaveText('inputs now 1x3x48x256');
  // Browser figures are run again from Measure: the banner's button runs the engine, so it offers none.
  await expect(note.getByTestId('off-spec-rerun')).toHaveCount(0);
});

// Runs after the first test (serial): it uses the width that test saved for text-line.onnx. Run alone, Queue
// stays disabled with "Set the model's input shapes" (that, not a defect, was last session's 'regression').
test('one recipe run twice makes the same file, and Compare says so', async ({ page }) => {
  await page.goto(server.url);
  await openByPath(page, 'text-line.onnx');
  await page.getByRole('tab', { name: 'Optimize' }).click();
  for (const run of [1, 2]) {
    await shown(page).getByRole('checkbox', { name: /^int8-dynamic/ }).check();
    // The second time the button says what it does: the same selection has run and is queued again on purpose.
    await expect(shown(page).getByTestId('queue-jobs')).toHaveText(run === 1 ? 'Queue job' : 'Queue again');
    await shown(page).getByTestId('queue-jobs').click();
    await expect(shown(page).getByTestId('pipeline')).toHaveCount(run);
    await expect(shown(page).locator('[data-testid="pipeline"]:not([data-status="done"])')).toHaveCount(0, {
      timeout: 90_000,
    });
  }
  await page.getByRole('tab', { name: 'Compare' }).click();
  const table = shown(page).getByTestId('compare-table');
  await expect(table.locator('tr[data-variant="int8-dynamic (2)"]').getByTestId('same-file')).toHaveText(
    'same file as int8-dynamic',
  );
  await expect(table.getByTestId('same-file')).toHaveCount(1);
  // Export shows the hash beside the size, the same for both.
  await page.getByRole('tab', { name: 'Export' }).click();
  const hashes = await shown(page).getByTestId('variant-sha256').locator('code').allInnerTexts();
  expect(hashes).toHaveLength(2);
  expect(hashes[0]).toMatch(/^[0-9a-f]{12}$/);
  expect(hashes[1]).toBe(hashes[0]);
});

test('an int64 input benchmarks once its value is set; a wrong length fails visibly from Compare', async ({ page }) => {
  await page.goto(server.url);
  await openByPath(page, 'speech-gate.onnx');
  const spec = page.getByTestId('input-spec');
  await expect(spec.getByLabel('Value', { exact: true })).toHaveValue('16000');
  // The length beside the sample rate is prefilled with one second of audio at that rate, and says why.
  await expect(spec.getByLabel('samples')).toHaveValue('16000');
  await expect(spec).toContainText("one second at the 16000 Hz of 'sr'");
  // The form says what its fields hold: suggestions, each with where it comes from (not "guesses").
  await expect(spec).toContainText('Each open field starts at a suggested value and says where it comes from');
  await expect(spec).not.toContainText('prefilled with guesses');
  await screenshotAtTwoSizes(page, 'experiment-audio-guess', { restore: { width: 1440, height: 900 } });
  // 100 samples cannot be framed in 64s: onnxruntime's Reshape fails; the error names what was fed.
  await spec.getByLabel('samples').fill('100');
  await page.getByTestId('save-input-spec').click();
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByRole('button', { name: /^Benchmark 1 model/ }).click();
  const status = page.getByTestId('status-jobs');
  await expect(status).toContainText('1 failed', { timeout: 60_000 });
  await status.click();
  const panel = page.getByTestId('jobs-panel');
  await expect(panel.getByTestId('job').first()).toHaveAttribute('data-status', 'failed');
  await expect(panel).toContainText('speech-gate.onnx');
  await expect(panel).toContainText('audio float32 [1, 100], sr int64 [1]');
  await expect(panel).toContainText('Model view');
  await expect(panel).not.toContainText('bug in ONNX Studio');
  await screenshotAtTwoSizes(page, 'experiment-failed-from-compare', { restore: { width: 1440, height: 900 } });
  await panel.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('tab', { name: 'Model' }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await spec.getByLabel('samples').fill('16000');
  await page.getByTestId('save-input-spec').click();
  await expect(page.getByTestId('input-spec-summary')).toHaveText('audio 1x16000, sr [1]');
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByRole('button', { name: /^Benchmark 1 model/ }).click();
  // The row says the value sr was fed too: a run at another rate has the same shapes.
  await expect(shown(page).getByTestId('row-inputs').first()).toHaveText('audio 1x16000, sr [1]=16000', {
    timeout: 60_000,
  });
});

// The user test: a past set beside the guessed 128 new tokens ran the positions past their table, marked position_ids
// red and blocked saving, where `--dim past_sequence_length=...` cut the sequence to the rows left.
test('a decoder with a KV cache: a guessed sequence follows the past within its position table, a typed one is kept', async ({
  page,
}) => {
  await page.goto(server.url);
  await openByPath(page, 'kv-lm.onnx');
  const spec = page.getByTestId('input-spec');
  const sequence = spec.getByLabel('sequence_length', { exact: true }).first();
  const past = spec.getByLabel('past_sequence_length', { exact: true }).first();
  await expect(sequence).toHaveValue('128');
  await past.fill('130');
  await expect(sequence).toHaveValue('126');
  await expect(spec).toContainText(
    "at most 126: positions 130..255 of the 256 rows of 'embed_positions.weight'",
  );
  await expect(spec).toContainText('positions from 130, after the past of 130');
  await expect(spec.getByRole('alert')).toHaveCount(0);
  await screenshotAtTwoSizes(page, 'experiment-kv-past', { restore: { width: 1440, height: 900 } });
  // A sequence the user typed stays, and the error says what to do.
  await past.fill('0');
  await sequence.fill('');
  await sequence.pressSequentially('128');
  await past.fill('130');
  await expect(sequence).toHaveValue('128');
  await expect(spec.getByRole('alert')).toContainText(
    'At most 126 tokens after a past of 130: set sequence_length to 126 or less, or the past lower.',
  );
  await expect(page.getByTestId('save-input-spec')).toBeDisabled();
  await sequence.fill('126');
  await page.getByTestId('save-input-spec').click();
  await expect(page.getByTestId('input-spec-summary')).toContainText('input_ids 1x126');
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByRole('button', { name: /^Benchmark 1 model/ }).click();
  await expect(shown(page).getByTestId('row-inputs').first()).toContainText(
    'position_ids 1x126=positions from 130',
    { timeout: 60_000 },
  );
});

test("the sample's data stays with the sample, and a wrong labels file is refused before queueing", async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Open model…' }).first().waitFor();
  await page.getByRole('button', { name: 'Try the sample model' }).first().click();
  await expect(page.getByRole('heading', { name: 'digits-resnet.onnx' })).toBeVisible({ timeout: 20_000 });
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await shown(page).getByRole('checkbox', { name: /^int8-static/ }).check();
  // Its own data by role: calibration images to calibrate, the labelled test set to evaluate.
  await expect(shown(page).getByTestId('dataset-calibration').getByTestId('dataset-path')).toHaveValue(/calib-inputs\.npy$/);
  await expect(shown(page).getByTestId('dataset-evaluation').getByTestId('dataset-path')).toHaveValue(/test-inputs\.npy$/);
  await screenshotAtTwoSizes(page, 'experiment-sample-datasets', { restore: { width: 1440, height: 900 } });

  // Another model gets none of it.
  await openByPath(page, 'text-line.onnx');
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await shown(page).getByRole('checkbox', { name: /^int8-dynamic/ }).check();
  await expect(shown(page).getByTestId('dataset-evaluation').getByLabel('Kind')).toHaveValue('synthetic');

  // A copy of the digits model with labels of another task: one message on the form, nothing queued.
  await openByPath(page, 'digits.onnx');
  await page.getByRole('tab', { name: 'Model' }).click();
  if (await page.getByTestId('save-input-spec').isVisible()) await page.getByTestId('save-input-spec').click();
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await shown(page).getByRole('checkbox', { name: /^int8-dynamic/ }).check();
  const evaluation = shown(page).getByTestId('dataset-evaluation');
  await evaluation.getByLabel('Kind').selectOption('npy');
  await evaluation.getByTestId('dataset-path').fill(join(server.outDir, 'inputs.npy'));
  await evaluation.getByLabel('Labels (optional .npy)', { exact: true }).fill(join(server.outDir, 'wrong-labels.npy'));
  await shown(page).getByTestId('queue-jobs').click();
  const refusal = shown(page).getByTestId('data-check-error');
  await expect(refusal).toContainText('wrong-labels.npy holds class labels from 0 to 99, but the model scores 10 classes');
  await expect(shown(page).getByTestId('pipeline')).toHaveCount(0);
  await screenshotAtTwoSizes(page, 'experiment-wrong-labels', { restore: { width: 1440, height: 900 } });
});

test('a model onnxruntime cannot load is said when it opens, with onnxruntime\'s reason', async ({ page }) => {
  await page.goto(server.url);
  await openByPath(page, 'custom_op.onnx');
  const warning = page.getByTestId('model-load-warning');
  await expect(warning).toContainText('onnxruntime cannot load this model', { timeout: 20_000 });
  await expect(warning).toContainText("FancyAct of domain 'com.acme', a custom operator onnxruntime does not know");
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await expect(page.getByTestId('load-check-optimize')).toContainText('the benchmark and evaluation steps will fail');
  // A model it loads says nothing.
  await openByPath(page, 'digits.onnx');
  await page.getByRole('tab', { name: 'Model' }).click();
  await expect(page.getByTestId('input-spec').or(page.getByRole('table', { name: 'Inputs' })).first()).toBeVisible();
  await expect(page.getByTestId('model-load-warning')).toHaveCount(0);
});

test('data that does not fit quotes the shape the input spec gives, not the model\'s open dims', async ({ page }) => {
  await page.goto(server.url);
  await openByPath(page, 'text-line.onnx');
  const spec = page.getByTestId('input-spec');
  if (await page.getByTestId('save-input-spec').count()) {
    await spec.getByLabel('dim 3').fill('200');
    await page.getByTestId('save-input-spec').click();
  }
  await expect(page.getByTestId('input-spec-summary')).toHaveText(/^1x3x48x\d+$/);
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await page.getByRole('checkbox', { name: /int8-dynamic/ }).check();
  const evaluation = page.getByTestId('dataset-evaluation');
  await evaluation.getByLabel('Kind').selectOption('npy');
  await evaluation.getByTestId('dataset-path').fill(join(server.outDir, 'flat.npy'));
  await page.getByTestId('queue-jobs').click();
  await expect(page.getByTestId('data-check-error')).toContainText(
    /the model expects float32 \[1, 3, 48, \d+\] \(dims 0 and 3 set by the input spec; the model declares \[\S+, 3, 48, \S+\]\), but flat\.npy has float32 samples of shape \[64\]/,
    { timeout: 20_000 },
  );
});
