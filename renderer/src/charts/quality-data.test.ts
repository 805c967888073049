import { describe, expect, it } from 'vitest';
import type { CompareRow } from '../state/compare-data.js';
import { GUESSED_READING } from '../state/test-fixtures.js';
import { dataMark, dataRelation, qualityDataCaption, qualityRatioText, sampleCountDrop } from './quality-data.js';

const digits200 = { name: 'bigcnn test', samples: 200, sha256: 'a'.repeat(64) };
const row = (id: string, quality: number, dataset = digits200, index = 0): CompareRow => ({
  id,
  label: id,
  isOriginal: id === 'original',
  index,
  quality,
  dataset,
});

// User test 2.4: structured 10% evaluated with "Use at most (samples)" = 50 (another sha256, same name), the
// others on 200: the chart said nothing, and its "−5.0 pts accuracy" badge vanished though it lost 4 points.
const original = row('original', 1);
const limited = row('structured 10%', 0.96, { name: 'bigcnn test', samples: 50, sha256: 'b'.repeat(64) }, 1);
const full = row('pruned+int8', 0.955, digits200, 2);

describe("figures on other data than the original's are flagged (user test 2.4)", () => {
  it('tells fewer samples of the same data from other data, and says nothing of the same data', () => {
    expect(dataRelation(limited, original)).toMatchObject({ kind: 'samples', samples: 50, baseSamples: 200 });
    expect(dataMark(dataRelation(limited, original)!)).toBe('50 samples');
    expect(dataRelation(full, original)).toBeUndefined();
    expect(dataRelation(original, original)).toBeUndefined();
    const other = row('fp16', 0.9, { name: 'other.npy', samples: 200, sha256: 'c'.repeat(64) });
    expect(dataRelation(other, original)).toMatchObject({ kind: 'other' });
    expect(dataMark(dataRelation(other, original)!)).toBe('other data');
  });

  it('names the data under the chart, and the row on fewer samples', () => {
    expect(qualityDataCaption([original, full])).toBe('Data: bigcnn test (200 samples).');
    expect(qualityDataCaption([original, limited, full])).toBe(
      'Data: bigcnn test (200 samples). structured 10%: 50 samples, the others 200: a figure on fewer samples is a rougher estimate.',
    );
    expect(qualityDataCaption([limited, full])).toBeUndefined();
  });

  it('keeps the accuracy-drop badge of a variant evaluated on fewer samples of the same data, saying so', () => {
    const drop = sampleCountDrop(limited, original, 'accuracy');
    expect(drop?.points).toBeCloseTo(4, 6);
    expect(drop).toMatchObject({ samples: 50, baseSamples: 200, dataName: 'bigcnn test' });
    // Not for a fidelity metric, nor for other data (no drop can be judged there), nor for a small loss.
    expect(sampleCountDrop(limited, original, 'cosine')).toBeUndefined();
    expect(sampleCountDrop(row('x', 0.5, { name: 'other', samples: 50, sha256: 'd'.repeat(64) }), original, 'accuracy')).toBeUndefined();
    expect(sampleCountDrop({ ...limited, quality: 0.995 }, original, 'accuracy')).toBeUndefined();
  });

  it('prints in the table what the chart prints: no ratio for a figure on other data, "other data" instead (user test 2)', () => {
    const other = { ...row('magnitude 30% + int8-static', 0.1, { name: 'cnn_eval.npz', samples: 200, sha256: 'e'.repeat(64) }, 3) };
    expect(qualityRatioText(other, original)).toBe('other data');
    expect(qualityRatioText({ ...full, qualityRatio: 0.955 }, original)).toBe('×0.95');
    // Fewer samples of the same data keep their ratio, as on the chart.
    expect(qualityRatioText({ ...limited, qualityRatio: 0.96 }, original)).toBe('×0.96');
  });

  it('says how the data was read and what the evaluations noted, beside the figures (user test d1.13)', () => {
    // The card said only "Data: digits_imgs (360 samples)": not the preprocessing the engine chose (gray, stretch,
    // scale 1/255), which workspace.json had. It comes from the evaluation's imageReading, the guesses marked.
    const imgs = { name: 'digits_imgs', samples: 360, sha256: 'f'.repeat(64) };
    const data = '/t/fx/digits_imgs (360 images in 10 classes; 32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32)';
    const imageReading = GUESSED_READING;
    const orig = { ...row('original', 0.9944, imgs), data, imageReading };
    const int8 = { ...row('int8-static', 0.9944, imgs, 1), data, imageReading, dataNotes: ['1 non-image entry skipped'] };
    expect(qualityDataCaption([orig, int8])).toBe(
      'Data: digits_imgs (360 samples), images read as 32x32 gray nchw (model input) · stretch (bilinear), scale 1/255, ' +
        'mean 0, std 1 (defaults) · float32 (model input). Evaluation notes: 1 non-image entry skipped.',
    );
    // Without labels the original is not evaluated (it is the reference): the variants' one dataset is named.
    expect(qualityDataCaption([{ ...orig, quality: 1, dataset: undefined }, int8])).toMatch(/^Data: digits_imgs \(360 samples\), images read as 32x32 gray/);
    // An evaluation recorded before imageReading existed: what its text says, with nothing marked.
    expect(qualityDataCaption([{ ...orig, imageReading: undefined }])).toBe(
      'Data: digits_imgs (360 samples), images read as 32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32.',
    );
  });

  it("tells the original's data from a variant's of the same name (user test d1.1)", () => {
    const classes = { name: 'test-inputs.npy', samples: 360, sha256: 'd4dbcd31'.repeat(8) };
    const oneHot = { name: 'test-inputs.npy', samples: 360, sha256: '48c887ee'.repeat(8) };
    expect(qualityDataCaption([row('original', 0.9944, classes), row('fp16', 0.15, oneHot, 1)])).toBe(
      'Data: test-inputs.npy (360 samples, sha256 d4dbcd31). fp16: test-inputs.npy (360 samples, sha256 48c887ee): ' +
        "other data than the original's, so no ratio to it.",
    );
    // Rows on the same other data are named once, together.
    const xU8 = { name: 'x_u8.npy + test-labels.npy', samples: 360, sha256: 'd7ae4d39'.repeat(8) };
    expect(qualityDataCaption([row('original', 0.9944, classes), row('fp16', 0.15, xU8, 1), row('int8-static', 0.1, xU8, 2)])).toBe(
      'Data: test-inputs.npy (360 samples). fp16, int8-static: x_u8.npy + test-labels.npy (360 samples): ' +
        "other data than the original's, so no ratio to it.",
    );
  });
});
