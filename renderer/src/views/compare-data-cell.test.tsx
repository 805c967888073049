/**
 * The Compare table's Data cell says how an image folder was read from the evaluation's structured `imageReading`
 * (it used to parse the engine's text, and silently showed nothing after a wording change), with the values the
 * user did not give marked; an evaluation recorded before `imageReading` existed shows what its text says, unmarked.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ImageReading } from '../../../shared/image-reading.js';
import type { EvalRecord } from '../../../shared/workspace.js';
import { compareRows } from '../state/compare-data.js';
import { initialState, studioReducer } from '../state/studio-state.js';
import { GUESSED_READING, SUMMARY, variant, workspace } from '../state/test-fixtures.js';
import { deriveVariants } from '../state/variants.js';
import { DataCell } from './compare-data-cell.js';

const IMGS = { name: 'digits_imgs', samples: 360, sha256: 'f'.repeat(64) };
const TEXT =
  '/t/digits_imgs (360 images in 10 classes; 32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32)';
/** As the engine records an image folder read with --size 32 and nothing else given: the size is not marked. */
const READING: ImageReading = {
  ...GUESSED_READING,
  defaulted: (({ size: _size, ...given }) => given)(GUESSED_READING.defaulted),
};

const evaluation = (target: string, imageReading?: ImageReading): EvalRecord =>
  ({
    id: `e-${target}`,
    createdAt: '2026-01-01T00:00:00Z',
    target,
    dataset: IMGS,
    report: {
      model: target,
      data: TEXT,
      samples: 360,
      accuracy: 0.99,
      notes: [],
      ...(imageReading ? { imageReading } : {}),
    },
  }) as unknown as EvalRecord;

function cellsOf(evaluations: EvalRecord[]): string[] {
  const ws = workspace({ variants: [variant('v1', 'int8-static', 1000)], evaluations });
  const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
  const rows = compareRows(
    deriveVariants(state),
    { engine: 'onnxruntime-node', provider: 'cpu' },
    'accuracy',
  );
  return rows.map((row) =>
    renderToStaticMarkup(
      <table>
        <tbody>
          <tr>
            <DataCell row={row} datasetLabel={(d) => d.name} />
          </tr>
        </tbody>
      </table>,
    ),
  );
}

describe('the Data cell of Compare', () => {
  it("shows the evaluation's image reading, the guessed values marked with where they came from", () => {
    const [original, int8] = cellsOf([evaluation('original', READING), evaluation('v1', READING)]);
    for (const cell of [original!, int8!]) {
      // The tag: the first group, the size the user gave unmarked, and a sign that more follows.
      expect(cell).toContain('read as 32x32 · …');
      expect(cell).toContain(
        'title="Images read as 32x32 · gray nchw (model input) · stretch (bilinear), scale 1/255, mean 0, std 1 (defaults) · float32 (model input)"',
      );
    }
    // Nothing given: the size is marked as the model's too, in the tag itself.
    const guessedSize = { ...READING, defaulted: { ...READING.defaulted, size: 'model' as const } };
    expect(cellsOf([evaluation('original', guessedSize)])[0]).toContain(
      'read as 32x32 gray nchw (model input) · …',
    );
  });

  it('shows an older evaluation, recorded without it, read as its description says, with nothing marked', () => {
    const [original] = cellsOf([evaluation('original')]);
    expect(original).toContain('digits_imgs');
    expect(original).toContain('read as 32x32 gray nchw, …');
    expect(original).toContain(
      'title="Images read as 32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32"',
    );
    expect(original).not.toContain('model input');
  });
});
