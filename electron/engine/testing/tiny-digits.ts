import path from 'node:path';
import type { SampleModelInfo } from '../../../shared/ipc-contract.js';
import { sampleInFolder, type SampleLayout } from '../../../shared/sample.js';
import { findSourceDir } from '../jobs/sample-model.js';

/**
 * The first sample, kept as a test fixture: a 16 KB digits classifier on 8x8 images with its 360 labelled test
 * images (`fixtures/digits`, made by its `train_digits.py`). Tests that need any small trained model use it: it
 * quantizes and evaluates in milliseconds, where the product's sample takes seconds.
 */
const TINY_DIGITS: SampleLayout = {
  sourceDir: 'electron/engine/testing/fixtures/digits',
  model: 'digits.onnx',
  inputs: 'test-inputs.npy',
  labels: 'test-labels.npy',
  shapes: { input: [1, 1, 8, 8] },
  description:
    'A small trained classifier of 8x8 handwritten digits (10 classes, 97.5% accuracy) with its 360 labelled test images.',
};

/** The tiny digits classifier and its test set, in the shape the backend gives the bundled sample. */
export function tinyDigits(): SampleModelInfo {
  const dir = findSourceDir(TINY_DIGITS);
  if (!dir) throw new Error('The tiny digits fixture is missing from electron/engine/testing/fixtures/digits.');
  return sampleInFolder(dir, TINY_DIGITS, path.join);
}
