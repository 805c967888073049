import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { Workspace } from '../../../shared/workspace.js';
import { accuracyDropPoints, type CompareRow } from './compare-data.js';
import { dataPathOf, datasetLabels, experimentDataset, imagePreprocessingOf, inputSpecState, mixedDatasets } from './experiment.js';
import { imageReadingText, type ImageReading } from '../../../shared/image-reading.js';
import { GUESSED_READING } from './test-fixtures.js';

const summary = (inputs: ModelSummary['inputs']): ModelSummary =>
  ({ path: '/m/text.onnx', inputs, outputs: [] }) as unknown as ModelSummary;
const ws = (experiment: Workspace['experiment']): Workspace => ({ experiment }) as unknown as Workspace;

describe('the experiment in the page', () => {
  it('asks for a spec when a dim is open or an input is an integer, until one is confirmed', () => {
    const ocr = summary([{ name: 'x', dtype: 'float32', shape: [null, 3, 48, null] }]);
    const asked = inputSpecState(ocr, null);
    expect(asked).toMatchObject({ needed: true, ready: false, spec: { shapes: { x: [1, 3, 48, 320] } } });
    const saved = inputSpecState(ocr, ws({ inputs: { shapes: { x: [1, 3, 48, 640] } } }));
    expect(saved.ready).toBe(false);
    const confirmed = inputSpecState(ocr, ws({ inputs: { shapes: { x: [1, 3, 48, 640] } }, inputsConfirmedAt: '2026-12-05T00:00:00Z' }));
    expect(confirmed).toMatchObject({ ready: true, spec: { shapes: { x: [1, 3, 48, 640] } } });
    const fixed = summary([{ name: 'input', dtype: 'float32', shape: [1, 3, 8, 8] }]);
    expect(inputSpecState(fixed, null)).toMatchObject({ needed: false, ready: true });
    // One named dim at two sizes, saved before the form refused it: asked again (user test 3a, finding 2).
    const tokens = summary([
      { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    ]);
    const at = (mask: number[]) => ws({ inputs: { shapes: { input_ids: [1, 16], attention_mask: mask } }, inputsConfirmedAt: '2026-12-05T00:00:00Z' });
    expect(inputSpecState(tokens, at([1, 128])).ready).toBe(false);
    expect(inputSpecState(tokens, at([1, 16])).ready).toBe(true);
    const vad = summary([{ name: 'sr', dtype: 'int64', shape: [1] }]);
    expect(inputSpecState(vad, null)).toMatchObject({ needed: true, spec: { values: { sr: { kind: 'constant', value: 16000 } } } });
  });

  it('keeps datasets by role and flags figures from different datasets', () => {
    const w = ws({ datasets: { evaluation: { name: 'test.npy', data: { spec: { kind: 'npy', path: '/d/test.npy' } } } } });
    expect(experimentDataset(w, 'evaluation')?.name).toBe('test.npy');
    expect(experimentDataset(w, 'calibration')).toBeUndefined();
    const a = { name: 'a.npy', samples: 10, sha256: 'aa' };
    const b = { name: 'b.npy', samples: 10, sha256: 'bb' };
    expect(mixedDatasets([a, a, undefined])).toEqual([]);
    expect(mixedDatasets([a, b, a]).map((d) => d.name)).toEqual(['a.npy', 'b.npy']);
  });

  it('measures an accuracy drop in points against the original', () => {
    const original = { id: 'original', isOriginal: true, quality: 0.991 } as CompareRow;
    const pruned = { id: 'v', isOriginal: false, quality: 0.44 } as CompareRow;
    expect(accuracyDropPoints(pruned, original, 'accuracy')).toBeCloseTo(55.1, 5);
    expect(accuracyDropPoints(pruned, original, 'cosine')).toBeUndefined();
    expect(accuracyDropPoints(original, original, 'accuracy')).toBeUndefined();
  });

  it('tells apart datasets that read alike in one banner: by folder, else by content (user test d1.1)', () => {
    // "These accuracies were measured on different datasets: test-inputs.npy (360 samples), test-inputs.npy (360
    // samples)": one file with class labels, the same file with one-hot labels (records named before labels were).
    const classes = { name: 'test-inputs.npy', samples: 360, sha256: 'd4dbcd31'.repeat(8) };
    const oneHot = { name: 'test-inputs.npy', samples: 360, sha256: '48c887ee'.repeat(8) };
    const xU8 = { name: 'x_u8.npy', samples: 360, sha256: 'd7ae4d39'.repeat(8) };
    const labels = datasetLabels([
      { dataset: classes, data: '/t/fx/test-inputs.npy (labels /t/fx/test-labels.npy)' },
      { dataset: oneHot, data: '/t/fx/test-inputs.npy (labels /t/fx/labels_onehot.npy)' },
      { dataset: xU8, data: '/t/fx/x_u8.npy' },
    ]);
    expect([...labels.values()]).toEqual([
      'test-inputs.npy (360 samples, sha256 d4dbcd31)',
      'test-inputs.npy (360 samples, sha256 48c887ee)',
      'x_u8.npy (360 samples)',
    ]);
    // The same file name in two folders: the folders, as far up as they differ.
    const byFolder = datasetLabels([
      { dataset: classes, data: '/t/a/fx/test-inputs.npy' },
      { dataset: oneHot, data: '/t/b/fx/test-inputs.npy (labels /t/b/fx/y (2).npy)' },
      { dataset: classes },
    ]);
    expect([...byFolder.values()]).toEqual(['test-inputs.npy (360 samples, in …/a/fx)', 'test-inputs.npy (360 samples, in …/b/fx)']);
    // Names that differ are left as they are.
    expect(datasetLabels([{ dataset: classes }, { dataset: xU8 }]).get(classes.sha256)).toBe('test-inputs.npy (360 samples)');
  });

  it("reads the data file from the engine's description of the data (user test d1.13)", () => {
    expect(dataPathOf('/t/fx/x_u8.npy')).toBe('/t/fx/x_u8.npy');
    expect(dataPathOf('/t/my data (2)/x.npy (labels /t/my data (2)/y.npy)')).toBe('/t/my data (2)/x.npy');
    const images = '/t/fx/digits_imgs (360 images in 10 classes; 32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32)';
    expect(dataPathOf(images)).toBe('/t/fx/digits_imgs');
  });

  it("says the image preprocessing from the evaluation's imageReading, in the CLI's words with the guesses marked", () => {
    // Nothing given: the size, channels, layout and dtype are the model input's, the rest defaults.
    const guessed = GUESSED_READING;
    expect(imagePreprocessingOf(guessed)).toBe(
      '32x32 gray nchw (model input) · stretch (bilinear), scale 1/255, mean 0, std 1 (defaults) · float32 (model input)',
    );
    // The same words as the engine's description, less the marks: one declaration for both.
    expect(imageReadingText(guessed)).toBe('32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32');
    // ImageNet-style settings given: only what was not given is marked, where it stands.
    const given: ImageReading = {
      ...guessed,
      size: [224, 224],
      channels: 'rgb',
      resize: 'shorter-side-crop',
      cropFraction: 0.875,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      defaulted: { layout: 'model', dtype: 'model', interpolation: 'default', scale: 'default' },
    };
    expect(imagePreprocessingOf(given)).toBe(
      '224x224 rgb · nchw (model input) · shorter-side-crop 0.875 · bilinear, scale 1/255 (defaults) · ' +
        'mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225] · float32 (model input)',
    );
    // Other data: no line.
    expect(imagePreprocessingOf(undefined)).toBeUndefined();
    expect(imagePreprocessingOf(undefined, '/d/x.npy (labels /d/y.npy)')).toBeUndefined();
  });

  it('reads an evaluation recorded before imageReading from its description, unmarked (it says nothing of guesses)', () => {
    // Those records lost their "read as" tag when the app stopped parsing the description.
    const old = '/d/imgs (360 images in 10 classes; 32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32)';
    expect(imagePreprocessingOf(undefined, old)).toBe(
      '32x32 gray nchw, stretch (bilinear), scale 1/255, mean 0, std 1, float32',
    );
    expect(imagePreprocessingOf(undefined, '/d/imgs (12 images, unlabeled; 8x8 rgb nhwc, stretch (nearest), scale 1, mean 0, std 1, uint8)')).toBe(
      '8x8 rgb nhwc, stretch (nearest), scale 1, mean 0, std 1, uint8',
    );
  });
});
