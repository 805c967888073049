import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

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
 * The sha256 of the variant's files read one after the other: the .onnx file, then its external data files by
 * name. With no external data it is the .onnx file's own sha256 (what `sha256sum` prints); with some, what
 * `cat v.onnx v.onnx.data | sha256sum` prints.
 */
export async function variantSha256(variantPath: string): Promise<string> {
  return sha256OfFiles([variantPath, ...(await variantDataFiles(variantPath))]);
}

/**
 * The sha256 of files read one after the other, streamed in chunks: a multi-GB model or data file is never
 * in memory at once.
 */
export async function sha256OfFiles(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
