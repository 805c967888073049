/**
 * The bundled sample, declared once: its files, its input spec and what it is. The backend finds it on disk
 * (electron/engine/jobs/sample-model.ts) and the mock host serves the same description at a made-up folder,
 * both through {@link sampleInFolder}. Paths inside a layout use `/`; callers join with their own separator.
 */
import type { SampleModelInfo } from './ipc-contract.js';

/** The files of a trained sample and what it is. */
export interface SampleLayout {
  /** Where it lives in the source tree, from the repository root (`/`-separated). */
  sourceDir: string;
  model: string;
  /** `.npy` of labelled test inputs and their labels: the evaluation set. */
  inputs: string;
  labels: string;
  /** `.npy` of calibration inputs (no labels); without one the test set calibrates too. */
  calibration?: string;
  /** One sample per run: the input spec the sample's experiment starts with. */
  shapes: Record<string, number[]>;
  description: string;
}

/**
 * The product's sample: a ResNet-style CNN of 2.6 MB on 32x32 handwritten digits, trained by
 * `electron/sample/digits-resnet/train_sample.py` (figures in its `sample.json`). It is big enough for int8 and
 * fp16 to pay off on a CPU, which the first, 16 KB sample was not.
 */
export const PRODUCT_SAMPLE: SampleLayout = {
  sourceDir: 'electron/sample/digits-resnet',
  model: 'digits-resnet.onnx',
  inputs: 'test-inputs.npy',
  labels: 'test-labels.npy',
  calibration: 'calib-inputs.npy',
  shapes: { image: [1, 1, 32, 32] },
  description:
    'A trained ResNet-style CNN (2.6 MB, 690,970 parameters) that reads 32x32 handwritten digits, 99.4% accurate on ' +
    'its 360 labelled test images, with 128 calibration images: quantize it, benchmark the variants and compare.',
};

/** The files a layout needs, for packaging and for finding it. */
export function sampleFiles(layout: SampleLayout): string[] {
  return [layout.model, layout.inputs, layout.labels, ...(layout.calibration ? [layout.calibration] : [])];
}

/** A sample's model and data in `dir`, described for the contract; `join` is the host's path join. */
export function sampleInFolder(dir: string, layout: SampleLayout, join: (dir: string, file: string) => string): SampleModelInfo {
  const inputsPath = join(dir, layout.inputs);
  const labelsPath = join(dir, layout.labels);
  const calibrationPath = layout.calibration ? join(dir, layout.calibration) : undefined;
  return {
    modelPath: join(dir, layout.model),
    inputsPath,
    labelsPath,
    data: { spec: { kind: 'npy', path: inputsPath, labels: labelsPath }, baseDir: dir },
    ...(calibrationPath
      ? { calibrationPath, calibration: { spec: { kind: 'npy', path: calibrationPath }, baseDir: dir } }
      : {}),
    inputs: { shapes: layout.shapes },
    description: layout.description,
  };
}
