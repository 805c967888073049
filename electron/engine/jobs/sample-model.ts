import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SampleModelInfo } from '../../../shared/ipc-contract.js';

/** Overrides where the sample model's folder is (packaged apps set it to their resources folder). */
export const SAMPLE_DIR_ENV = 'ONNX_STUDIO_SAMPLE_DIR';

/** The files of a trained sample and what it is: one description per sample, read by {@link sampleInFolder}. */
export interface SampleLayout {
  /** Where it lives in the source tree, from the repository root. */
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
  sourceDir: path.join('electron', 'sample', 'digits-resnet'),
  model: 'digits-resnet.onnx',
  inputs: 'test-inputs.npy',
  labels: 'test-labels.npy',
  calibration: 'calib-inputs.npy',
  shapes: { image: [1, 1, 32, 32] },
  description:
    'A trained ResNet-style CNN (2.6 MB, 690,970 parameters) that reads 32x32 handwritten digits, 99.4% accurate on ' +
    'its 360 labelled test images, with 128 calibration images: quantize it, benchmark the variants and compare.',
};

/** Where packaged apps keep the sample, relative to their resources folder. */
export const PACKAGED_SAMPLE_DIR = path.join('sample', 'digits-resnet');

/** The files a layout needs, for packaging and for the search below. */
export function sampleFiles(layout: SampleLayout): string[] {
  return [layout.model, layout.inputs, layout.labels, ...(layout.calibration ? [layout.calibration] : [])];
}

function complete(dir: string, layout: SampleLayout): boolean {
  return sampleFiles(layout).every((f) => fs.existsSync(path.join(dir, f)));
}

/**
 * The folder of the bundled sample: `$ONNX_STUDIO_SAMPLE_DIR`, the packaged app's `resources/sample/...`, or the
 * source tree's copy (found by walking up from this module, which works from both `electron/` sources and the
 * compiled `out/electron/`).
 */
export function findSampleDir(env: NodeJS.ProcessEnv = process.env, layout: SampleLayout = PRODUCT_SAMPLE): string | undefined {
  const candidates: string[] = [];
  if (env[SAMPLE_DIR_ENV]) candidates.push(path.resolve(env[SAMPLE_DIR_ENV]));
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources) candidates.push(path.join(resources, PACKAGED_SAMPLE_DIR));
  return [...candidates, ...sourceCandidates(layout)].find((dir) => complete(dir, layout));
}

export function sourceCandidates(layout: SampleLayout): string[] {
  const found: string[] = [];
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    found.push(path.join(dir, layout.sourceDir));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return found;
}

/** A sample's model and data in `dir`, described for the contract. */
export function sampleInFolder(dir: string, layout: SampleLayout): SampleModelInfo {
  const inputsPath = path.join(dir, layout.inputs);
  const labelsPath = path.join(dir, layout.labels);
  const calibrationPath = layout.calibration ? path.join(dir, layout.calibration) : undefined;
  return {
    modelPath: path.join(dir, layout.model),
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

/** The sample model and its labelled test data, or undefined when it is not installed. */
export function sampleModel(env: NodeJS.ProcessEnv = process.env): SampleModelInfo | undefined {
  const dir = findSampleDir(env);
  return dir === undefined ? undefined : sampleInFolder(dir, PRODUCT_SAMPLE);
}
