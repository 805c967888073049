import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../engine/errors.js';
import { loadModel } from '../../engine/onnx/load-model.js';
import {
  checkOutputPath,
  refuseOutputsOverInputs,
  refuseOverwritingInput,
} from '../../engine/onnx/output-guard.js';
import { saveModel } from '../../engine/onnx/save-model.js';
import { refuseUnwritableFolder } from '../../engine/onnx/unwritable-folder.js';
import { copyFileAtomic, outputExists } from '../../engine/onnx/atomic-files.js';
import { refuseNonOnnxOutput } from '../output-path.js';

/*
 * `tune --collect DIR -o OUT`: the sweep's chosen variant written to OUT as a local `tune -o OUT` writes it.
 * OUT is checked as every output is (a .onnx name, not a folder, in a folder that exists, never over a file the
 * sweep reads), before anything is merged; a variant with external data is saved again, so that its data file
 * is named after OUT (the trial's `variant.onnx` names `variant.onnx.data`, which a copy would leave dangling).
 */

/** Refuses an OUT that cannot or must not be written, before the sweep is read; returns it resolved. */
export function checkCollectOutput(outputArg: string, sweepDir: string, force: boolean): string {
  refuseNonOnnxOutput(outputArg);
  const output = path.resolve(outputArg);
  const sweepFiles = filesUnder(sweepDir).map((file) => ({
    path: file,
    what: `the sweep's ${path.relative(sweepDir, file)}`,
  }));
  refuseOutputsOverInputs(
    [
      { path: output, what: 'OUT' },
      { path: `${output}.data`, what: "OUT's data file" },
    ],
    sweepFiles,
  );
  if (fs.statSync(output, { throwIfNoEntry: false })?.isDirectory())
    throw new StudioError('BAD_REQUEST', `-o ${output} is a folder: give the path of a .onnx file.`);
  if (fs.existsSync(output) && !force) throw outputExists(output);
  refuseUnwritableFolder(path.dirname(output), `-o ${output}`, { mustExist: true });
  return output;
}

/**
 * Writes the chosen variant to OUT (checked by checkCollectOutput), through a temp file put in place last: without
 * `force`, a file that appeared at OUT since the check is refused, as the check refuses one.
 */
export async function writeCollectedChoice(
  variant: string,
  output: string,
  force: boolean,
  signal: AbortSignal,
): Promise<void> {
  checkOutputPath(variant, output);
  const model = await loadModel(variant);
  if (model.externalDataBytes === 0) {
    await copyFileAtomic(variant, output, {
      replace: force,
      exists: outputExists,
      signal,
      cancelled: 'Collecting was cancelled; nothing was written.',
    });
    return;
  }
  refuseOverwritingInput(model, output, { writesDataFile: true });
  await saveModel(model.proto, output, {
    sourceDir: model,
    force,
    signal,
    externalData: { thresholdBytes: 1024 },
  });
}

/** Every file in a folder, recursively (a sweep folder holds tens of files). */
function filesUnder(dir: string): string[] {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}
