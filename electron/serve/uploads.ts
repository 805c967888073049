/**
 * `POST /<token>/upload?name=…[&batch=…]`: a file the page dropped, stored under the data folder's uploads.
 * Files of one drop share a `batch` (16 to 32 hex digits the page picks) and so one folder, under their own
 * names: a model with external data finds the data file dropped with it, by the name the model records
 * (`ext weights ü.bin`), so names keep every letter of every script. Only a base name is ever used, never a
 * folder from the request, and a file already in the folder is not replaced.
 */
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { UploadResponse } from '../../shared/ws-protocol.js';
import { placeNew, removeQuietly, tempPathFor } from '../engine/onnx/atomic-files.js';

/** Bytes, not characters: file systems limit a name to 255 bytes, and 'ü' takes 2 of them in UTF-8. */
const MAX_NAME_BYTES = 200;

/**
 * Control characters, the bidi marks, embeddings, overrides and isolates that can disguise a name, and what
 * Windows forbids in names. Other format characters stay: ZWNJ and ZWJ are part of Persian and Indic names, and
 * a data file the model names with one must be found under that name.
 */
const UNSAFE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069<>:"/\\|?*]/gu;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

/**
 * A file name from an upload request, reduced to something safe to create: no folders, no dot files. NFC,
 * because a Mac hands the browser decomposed names ('u' + '¨') while the name a model records is almost always
 * composed, and Linux compares names byte for byte.
 */
export function safeUploadName(raw: string | null): string | null {
  if (!raw) return null;
  const base = raw.split(/[\\/]/).pop() ?? '';
  let cleaned = base
    .normalize('NFC')
    .replace(UNSAFE, '_')
    .replace(/^[.\s]+/, '');
  // Cut whole characters until the name fits (one pass over them, not one per cut).
  if (Buffer.byteLength(cleaned) > MAX_NAME_BYTES) {
    let bytes = 0;
    const kept: string[] = [];
    for (const char of cleaned) {
      bytes += Buffer.byteLength(char);
      if (bytes > MAX_NAME_BYTES) break;
      kept.push(char);
    }
    cleaned = kept.join('');
  }
  cleaned = cleaned.replace(/[.\s]+$/, '');
  if (cleaned === '') return null;
  return WINDOWS_RESERVED.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** The folder name of a batch from the request, or null when it is not one the page makes. */
export function uploadBatch(raw: string | null): string | null {
  return raw !== null && /^[0-9a-f]{16,32}$/.test(raw) ? raw : null;
}

export interface UploadAnswer {
  status: number;
  body: UploadResponse;
}

function refused(status: number, code: 'BAD_REQUEST' | 'IO', message: string): UploadAnswer {
  return { status, body: { ok: false, error: { code, message } } };
}

/** Stores the request's body under `uploadsDir` and says where, or why not. */
export async function receiveUpload(
  req: IncomingMessage,
  url: URL,
  uploadsDir: string,
): Promise<UploadAnswer> {
  const name = safeUploadName(url.searchParams.get('name'));
  if (!name)
    return refused(400, 'BAD_REQUEST', 'The upload needs a file name: POST /<token>/upload?name=model.onnx.');
  const rawBatch = url.searchParams.get('batch');
  const batch = rawBatch === null ? randomBytes(6).toString('hex') : uploadBatch(rawBatch);
  if (!batch)
    return refused(
      400,
      'BAD_REQUEST',
      'The upload batch must be 16 to 32 hex digits. Reload the page and drop the files again.',
    );
  const dir = path.join(uploadsDir, batch);
  await fs.promises.mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  // Two dropped files of one name (from two folders) would otherwise replace each other.
  if (fs.existsSync(target))
    return refused(
      409,
      'BAD_REQUEST',
      `Two of the dropped files are named ${name}. Drop a model with its own data files only, or open it by its path on the server with Open….`,
    );
  const temp = tempPathFor(target);
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  try {
    await pipeline(req, fs.createWriteStream(temp, { flags: 'wx' }));
    // The name only if it is still free: another upload of one name may have taken it meanwhile (EEXIST).
    placeNew(temp, target);
  } catch (error) {
    removeQuietly(temp);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return refused(
        409,
        'BAD_REQUEST',
        `Two of the dropped files are named ${name}. Drop a model with its own data files only.`,
      );
    return refused(500, 'IO', `The upload of ${name} failed: ${(error as Error).message}. Try again.`);
  }
  removeQuietly(temp);
  return { status: 200, body: { ok: true, value: { path: target, bytes } } };
}
