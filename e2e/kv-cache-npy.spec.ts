/**
 * A decoder with a KV cache evaluated on token ids in a `.npy`, against a real `onnx-studio serve`, as a user test
 * did it: the Model view saves the spec (a past of 0, the mask = 1, positions from 0), then Optimize queues int4
 * with the ids as evaluation data. Before, the Optimize view's data check refused it ("ids.npy holds one array, but
 * the model has 9 inputs ... set the values of the inputs it does not hold (--value NAME=V, ...)"), although the
 * Model view had set them, while the CLI took the same data with `--value`; only a .npz worked in the app.
 */
import { expect, test, type Page } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeNpyArray } from '../electron/engine/datasets/npy-format.js';
import { buildKvCacheLm } from '../electron/engine/testing/kv-cache-lm.js';
import { modelBytes } from '../electron/engine/testing/model-fixtures.js';
import { patternIds } from '../electron/engine/testing/tied-lm.js';
import { failOnPageErrors } from './support/page-errors.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { screenshotAtTwoSizes, shown } from './support/views.js';

const VOCAB = 32;
let server: ServeProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  server = await startServe();
  await writeFile(
    join(server.outDir, 'decoder_with_past_model.onnx'),
    modelBytes(buildKvCacheLm({ vocab: VOCAB, positionIds: true })),
  );
  await writeFile(
    join(server.outDir, 'decoder_model_merged.onnx'),
    modelBytes(buildKvCacheLm({ vocab: VOCAB, positionIds: true, merged: true })),
  );
  await writeFile(
    join(server.outDir, 'ids.npy'),
    encodeNpyArray(patternIds(16, 12, VOCAB), 'int64', [16, 12]),
  );
});

test.afterAll(async () => {
  await server?.stop();
});

failOnPageErrors();

/** Opens a model the way a user of `serve` does: Open model…, type its path, Enter. */
async function openByPath(page: Page, file: string): Promise<void> {
  await page
    .getByRole('button', { name: /Open model/ })
    .first()
    .click();
  await expect(page.getByTestId('fs-path')).not.toHaveAttribute('placeholder', 'Loading…');
  await page.getByTestId('fs-path').fill(join(server.outDir, file));
  await page.getByTestId('fs-path').press('Enter');
  await expect(page.getByRole('heading', { name: file })).toBeVisible({ timeout: 20_000 });
}

/** Saves the Model view's spec as it is prefilled: a past of 0, the mask = 1, positions from 0. */
async function saveSpec(page: Page): Promise<void> {
  const spec = page.getByTestId('input-spec');
  await expect(spec.getByLabel('past_sequence_length', { exact: true }).first()).toHaveValue('0');
  await expect(spec).toContainText('a mask: every position on');
  await expect(spec).toContainText('positions 0..n-1 along the sequence');
  await page.getByTestId('save-input-spec').click();
  await expect(page.getByTestId('input-spec-summary')).toContainText('position_ids');
}

/** Optimize -> int4 -> Evaluation data: NumPy .npy ids.npy -> Queue job. */
async function queueInt4OnIds(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Optimize' }).click();
  await shown(page).getByRole('checkbox', { name: /^int4/ }).check();
  const evaluation = shown(page).getByTestId('dataset-evaluation');
  await evaluation.getByLabel('Kind').selectOption('npy');
  await evaluation.getByTestId('dataset-path').fill(join(server.outDir, 'ids.npy'));
  await shown(page).getByTestId('queue-jobs').click();
}

test('token ids in a .npy evaluate a KV-cache decoder with the Model view spec: checked, queued, graded', async ({
  page,
}) => {
  await page.goto(server.url);
  await openByPath(page, 'decoder_with_past_model.onnx');
  await saveSpec(page);
  await queueInt4OnIds(page);
  const pipeline = shown(page).getByTestId('pipeline');
  await expect(pipeline).toHaveCount(1, { timeout: 30_000 });
  await expect(shown(page).getByTestId('data-check-error')).toHaveCount(0);
  await expect(pipeline).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  // Every step done: make, benchmark, and the evaluations of the original and the variant on the ids.
  await expect(pipeline.locator('.pipeline-step:not([data-status="done"])')).toHaveCount(0);
  await expect(pipeline.locator('.pipeline-step', { hasText: /^. Evaluate/ })).toHaveCount(2);
  await screenshotAtTwoSizes(page, 'kv-npy-optimize', { restore: { width: 1440, height: 900 } });
  // Graded on its own ids, the original and the variant.
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(shown(page).getByText('Next-token accuracy', { exact: true }).first()).toBeVisible({
    timeout: 20_000,
  });
  await screenshotAtTwoSizes(page, 'kv-npy-compare', { restore: { width: 1440, height: 900 } });
});

test("a merged export's cache switch is filled from the spec too", async ({ page }) => {
  await page.goto(server.url);
  await openByPath(page, 'decoder_model_merged.onnx');
  await saveSpec(page);
  await queueInt4OnIds(page);
  const pipeline = shown(page).getByTestId('pipeline');
  await expect(pipeline).toHaveCount(1, { timeout: 30_000 });
  await expect(shown(page).getByTestId('data-check-error')).toHaveCount(0);
  await expect(pipeline).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});
