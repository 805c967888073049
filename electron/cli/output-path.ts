import fs from 'node:fs';
import { StudioError } from '../engine/errors.js';

/**
 * A model's output path must end in .onnx: `tune` refused `-o x.bin` while `quantize -o odir/model.int8` wrote
 * a model file no tool opens by its name (the app's Export and a recipe's export step refuse one too). Exit 2.
 */
export function refuseNonOnnxOutput(output: string): void {
  // A folder is refused by the engine's output guard, whose message says what it is.
  if (isFolder(output)) return;
  if (!output.toLowerCase().endsWith('.onnx'))
    throw new StudioError(
      'BAD_REQUEST',
      `OUT must end in .onnx, got ${output}: name the model file like model.int8.onnx.`,
    );
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
