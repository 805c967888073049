import fs from 'node:fs';
import path from 'node:path';
import { sha256File } from '../recipe/file-hash.js';

/*
 * A variant's files on disk: its .onnx file and the external data files saved beside it. The engine names
 * external data after the model file (`<variant>.onnx.data`, save-model.ts), and variant files start with the
 * variant's unique id, so the files whose names start with the .onnx file's name are that variant's and no
 * other's.
 */

/** The external data files of the variant at `variantPath`: the files beside it named after it, by name. */
export async function variantDataFiles(variantPath: string): Promise<string[]> {
  const dir = path.dirname(variantPath);
  const own = path.basename(variantPath);
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  return names
    .filter((name) => name !== own && name.startsWith(own))
    .sort()
    .map((name) => path.join(dir, name));
}

/**
 * The sha256 of a single-file variant (what `sha256sum` prints), or undefined for one with external data: its
 * .onnx file names its data file after the variant's own id, so two variants of the same weights never have
 * the same bytes, and a hash would never tell them the same (nor match an exported copy, renamed). Such
 * variants are told apart by recipe and size, as before hashes.
 */
export async function variantSha256(variantPath: string): Promise<string | undefined> {
  if ((await variantDataFiles(variantPath)).length > 0) return undefined;
  return sha256File(variantPath);
}
