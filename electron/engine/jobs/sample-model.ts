import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SampleModelInfo } from '../../../shared/ipc-contract.js';

/** Overrides where the sample model's folder is (packaged apps set it to their resources folder). */
export const SAMPLE_DIR_ENV = 'ONNX_STUDIO_SAMPLE_DIR';

const MODEL = 'digits.onnx';
const INPUTS = 'test-inputs.npy';
const LABELS = 'test-labels.npy';
/** Where the sample lives in the source tree (and, relative to the resources folder, in packaged apps). */
const SOURCE_DIR = path.join('electron', 'engine', 'testing', 'fixtures', 'digits');
export const PACKAGED_SAMPLE_DIR = path.join('sample', 'digits');

function complete(dir: string): boolean {
  return [MODEL, INPUTS, LABELS].every((f) => fs.existsSync(path.join(dir, f)));
}

/**
 * The folder of the bundled digits classifier: `$ONNX_STUDIO_SAMPLE_DIR`, the packaged app's
 * `resources/sample/digits`, or the source tree's fixture (found by walking up from this module, which works
 * from both `electron/` sources and the compiled `out/electron/`).
 */
export function findSampleDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env[SAMPLE_DIR_ENV]) candidates.push(path.resolve(env[SAMPLE_DIR_ENV]));
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources) candidates.push(path.join(resources, PACKAGED_SAMPLE_DIR));
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    candidates.push(path.join(dir, SOURCE_DIR));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return candidates.find(complete);
}

/** The sample model and its labelled test data, or undefined when it is not installed. */
export function sampleModel(env: NodeJS.ProcessEnv = process.env): SampleModelInfo | undefined {
  const dir = findSampleDir(env);
  if (!dir) return undefined;
  const inputsPath = path.join(dir, INPUTS);
  const labelsPath = path.join(dir, LABELS);
  return {
    modelPath: path.join(dir, MODEL),
    inputsPath,
    labelsPath,
    data: { spec: { kind: 'npy', path: inputsPath, labels: labelsPath }, baseDir: dir },
    inputs: { shapes: { input: [1, 1, 8, 8] } },
    description:
      'A small trained classifier of 8x8 handwritten digits (10 classes, 97.5% accuracy) with its 360 labelled test images: ' +
      'quantize it, benchmark the variants and compare their accuracy.',
  };
}
