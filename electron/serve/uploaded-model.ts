/**
 * A model the page uploaded (dropped on a `serve` page) that cannot be opened as it was uploaded. The engine
 * speaks of files on the server: a model dropped without its external data file got "Keep the data file beside
 * the model (/…/uploads/<batch>)" and a What to do about permissions, neither of which the user can act on
 * from a browser. Here that answer becomes what to do with the drop (drop the model again together with the
 * data file it names, or open it by its path on the server), and the upload, of no use to anyone now, is
 * removed from the uploads folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StudioErrorInfo } from '../../shared/errors.js';
import { missingDataFileOf } from '../engine/onnx/external-data.js';

/** Batch folders: the page's (16 to 32 hex digits) and those of single uploads (12). */
const BATCH = /^[0-9a-f]{12,32}$/;

/** The batch folder of an uploaded file (`<uploads>/<batch>/<name>`), or undefined for any other path. */
export function uploadBatchDir(uploadsDir: string, file: string): string | undefined {
  const relative = path.relative(path.resolve(uploadsDir), path.resolve(file));
  const parts = relative.split(path.sep);
  if (parts.length !== 2 || !BATCH.test(parts[0]!) || parts[1] === '' || parts[1] === '..') return undefined;
  return path.join(path.resolve(uploadsDir), parts[0]!);
}

/**
 * What the page is told when opening `file` failed with `error`: for an upload that cannot open as uploaded
 * (its external data was not dropped with it, or it is no usable model), what to do with the drop, the upload
 * removed. Any other error, or a file that is not an upload, is answered as it was.
 */
export async function explainUploadedModelError(
  uploadsDir: string,
  file: string,
  error: StudioErrorInfo,
): Promise<StudioErrorInfo> {
  const batch = uploadBatchDir(uploadsDir, file);
  if (!batch) return error;
  const missing = error.code === 'IO' ? missingDataFileOf(error.message) : undefined;
  // A model that does not parse or is not valid ONNX fails the same way next time: nothing to keep it for.
  if (missing === undefined && error.code !== 'MODEL_PARSE' && error.code !== 'MODEL_INVALID') return error;
  await removeUpload(batch, file);
  if (missing === undefined) return error;
  const name = path.basename(file);
  // `./weights.bin` is beside the model: a drop can bring it.
  const inFolder = /[\\/]/.test(missing.replace(/^(\.[\\/])+/, ''));
  return {
    code: 'BAD_REQUEST',
    message: inFolder
      ? `${name} keeps its weights in '${missing}', in a folder beside it, and a drop cannot bring folders. Use Open model… to open ${name} by its path on the server.`
      : `${name} keeps its weights in an external data file, '${missing}', which was not dropped with it. Drop ${name} again together with '${missing}' (select both files), or use Open model… to open it by its path on the server.`,
    // The engine's own words, folded away under the technical details.
    detail: error.message,
  };
}

/**
 * Removes the failed model from its batch, and the batch folder when nothing else is in it: files dropped with it
 * (another model, the data file of one that opened) may still be in use.
 */
async function removeUpload(batch: string, file: string): Promise<void> {
  await fs.promises.rm(file, { force: true });
  const left = await fs.promises.readdir(batch).catch(() => []);
  if (left.length === 0) await fs.promises.rm(batch, { recursive: true, force: true });
}
