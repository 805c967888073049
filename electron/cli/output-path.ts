import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../engine/errors.js';

/**
 * A model's output path must end in .onnx: `tune` refused `-o x.bin` while `quantize -o odir/model.int8` wrote
 * a model file no tool opens by its name (the app's Export and a recipe's export step refuse one too). Exit 2.
 */
export function refuseNonOnnxOutput(output: string): void {
  // A folder is said to be one (tune ran its whole search, then failed to write over one).
  if (isFolder(output))
    throw new StudioError(
      'BAD_REQUEST',
      `${output} is a folder. Give the output a file name ending in .onnx, inside it or beside it.`,
    );
  // `.onnx` alone is a hidden file with no name, which a user looking for the model does not see.
  if (!output.toLowerCase().endsWith('.onnx') || path.basename(output).toLowerCase() === '.onnx')
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
