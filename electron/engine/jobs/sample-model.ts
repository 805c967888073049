import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SampleModelInfo } from '../../../shared/ipc-contract.js';
import { PRODUCT_SAMPLE, sampleFiles, sampleInFolder, type SampleLayout } from '../../../shared/sample.js';

export { PRODUCT_SAMPLE, sampleFiles, type SampleLayout };

/** Overrides where the sample model's folder is (packaged apps set it to their resources folder). */
export const SAMPLE_DIR_ENV = 'ONNX_STUDIO_SAMPLE_DIR';

/** Where packaged apps keep the sample, relative to their resources folder. */
export const PACKAGED_SAMPLE_DIR = path.join('sample', 'digits-resnet');

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

/** A layout's folder in the source tree (walking up from this module), or undefined. Test fixtures use it. */
export function findSourceDir(layout: SampleLayout): string | undefined {
  return sourceCandidates(layout).find((dir) => complete(dir, layout));
}

function sourceCandidates(layout: SampleLayout): string[] {
  const found: string[] = [];
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    found.push(path.join(dir, ...layout.sourceDir.split('/')));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return found;
}

/** The sample model and its labelled test data, or undefined when it is not installed. */
export function sampleModel(env: NodeJS.ProcessEnv = process.env): SampleModelInfo | undefined {
  const dir = findSampleDir(env);
  return dir === undefined ? undefined : sampleInFolder(dir, PRODUCT_SAMPLE, path.join);
}
