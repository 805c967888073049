/**
 * A sweep folder written by hand (what `tune --emit` writes, with no trial run yet), for tests that only need
 * a valid folder to open: its model, a sweep.json whose data is synthetic, and one trial file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tuneOptionsSchema } from '../../../shared/options/tune-options.js';
import { sha256File } from '../recipe/file-hash.js';
import {
  INPUTS_DIR,
  RESULTS_DIR,
  SWEEP_FILE,
  SWEEP_VERSION,
  type Sweep,
  trialFile,
} from '../sweep/sweep-format.js';

export async function writeEmptySweep(dir: string, modelPath: string): Promise<void> {
  fs.mkdirSync(path.join(dir, INPUTS_DIR), { recursive: true });
  fs.mkdirSync(path.join(dir, RESULTS_DIR), { recursive: true });
  fs.mkdirSync(path.dirname(trialFile(dir, 0)), { recursive: true });
  const name = path.basename(modelPath);
  fs.copyFileSync(modelPath, path.join(dir, INPUTS_DIR, name));
  const synthetic = { spec: { kind: 'synthetic' as const, samples: 4, seed: 0 }, files: [] };
  const sweep: Sweep = {
    version: SWEEP_VERSION,
    model: { name, sha256: await sha256File(modelPath) },
    calibration: synthetic,
    evaluation: synthetic,
    labelled: false,
    options: tuneOptionsSchema.parse({ minCosine: 0.99, objective: 'size' }),
    budget: { kind: 'min-cosine', cosine: 0.99 },
    trials: 1,
    createdBy: 'test',
  };
  fs.writeFileSync(path.join(dir, SWEEP_FILE), JSON.stringify(sweep));
  fs.writeFileSync(
    trialFile(dir, 0),
    JSON.stringify({
      index: 0,
      name: 'fp16',
      recipe: { kind: 'quantize', method: 'fp16', common: {}, options: {} },
    }),
  );
}
