/**
 * The workspace files a page may fetch, decided once for both hosts: `onnx-studio serve`'s
 * `/<token>/workspace-files/...` route (serve-server.ts, behind its token and Host checks) and the Electron app's
 * `app://renderer/workspace-files/...` (electron/main/app-protocol.ts). Each host only turns the answer into its
 * response.
 *
 * - `<key>/<target>`: a workspace model's .onnx file, by workspace key and target (`original` or a variant id).
 * - `<key>/<target>/external-data`: the model's external data files (`WorkspaceExternalData`, JSON), as the
 *   engine lists them (inspect's `externalDataFiles`).
 * - `<key>/<target>/external-data/<location>`: one of those files, for onnxruntime-web to fetch.
 *
 * Only what a workspace knows is served, never a path from the request: the model by key and target, and of its
 * external data exactly the locations the model names, each resolved with the engine's rules
 * (`resolveExternalLocation`: inside the model's folder, or the folder its file links into; absolute and escaping
 * locations refused), again at each request.
 */
import fs from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, TensorProtoSchema } from 'onnx-buf';
import {
  ORIGINAL_TARGET,
  WORKSPACE_EXTERNAL_DATA_SEGMENT,
  type Workspace,
  type WorkspaceExternalData,
} from '../../shared/workspace.js';
import { StudioError } from '../engine/errors.js';
import { externalDataFiles } from '../engine/inspect/inspect-model.js';
import { resolveExternalLocation, type ExternalDataBase } from '../engine/onnx/external-data.js';
import { loadModel } from '../engine/onnx/load-model.js';
import { fileMayHaveExternalData } from '../engine/onnx/output-guard.js';
import type { WorkspaceStore } from '../engine/workspace/workspace-store.js';

/** What a host sends for a workspace-files request. */
export type WorkspaceFileAnswer =
  | { type: 'file'; file: string }
  | { type: 'json'; value: WorkspaceExternalData }
  | { type: 'error'; status: 400 | 404 | 422; message: string };

const NO_SUCH_MODEL = 'No such model in the workspace. Reload the workspace.';

/**
 * The answer to `workspace-files/<segments...>`: `segments` are the path's segments after `workspace-files`, still
 * URL-encoded (so a `/` inside a location, sent as `%2F`, stays in its segment).
 */
export async function answerWorkspaceFile(
  store: WorkspaceStore,
  segments: readonly string[],
): Promise<WorkspaceFileAnswer> {
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return { type: 'error', status: 400, message: 'Bad request.' };
  }
  const [key, target, dataSegment, location, ...extra] = decoded;
  const shapeOk =
    !!key &&
    !!target &&
    extra.length === 0 &&
    (dataSegment === undefined || (dataSegment === WORKSPACE_EXTERNAL_DATA_SEGMENT && location !== ''));
  if (!shapeOk) return { type: 'error', status: 404, message: 'Not found.' };
  const ws = await store.getByKey(key);
  const file = ws && modelFileOf(ws, target);
  if (!ws || !file) return { type: 'error', status: 404, message: NO_SUCH_MODEL };
  if (dataSegment === undefined) return { type: 'file', file };

  const stat = await fs.promises.stat(file).catch(() => undefined);
  if (!stat?.isFile()) return { type: 'error', status: 404, message: NO_SUCH_MODEL };
  let listed: ListedExternalData;
  try {
    listed = await listExternalData(ws, target, file, stat);
  } catch (error) {
    return refusal(error);
  }
  if (location === undefined) return { type: 'json', value: { files: listed.files } };
  // Only a location the model names, exactly as it writes it: anything else is no file of this model.
  if (!listed.base || !listed.files.some((f) => f.location === location))
    return {
      type: 'error',
      status: 404,
      message: `'${location}' is not an external data file of this model. Reload the workspace.`,
    };
  try {
    // Resolved again: a link changed since the listing is judged as it is now.
    return { type: 'file', file: resolveLocation(listed.base, location) };
  } catch (error) {
    return refusal(error);
  }
}

/** The .onnx file of `target` in the workspace, or undefined when it has no such model. */
function modelFileOf(ws: Workspace, target: string): string | undefined {
  return target === ORIGINAL_TARGET ? ws.model.path : ws.variants.find((v) => v.id === target)?.path;
}

/**
 * The engine's refusal to load the model or resolve a location (an unsafe location, a missing or short data file)
 * as the page's answer, with the engine's message; anything else is a fault of the host.
 */
function refusal(error: unknown): WorkspaceFileAnswer {
  if (error instanceof StudioError) return { type: 'error', status: 422, message: error.message };
  throw error;
}

interface ListedExternalData {
  /** Where the model's locations resolve (its folder, and the folder its file links into); none without data. */
  base?: ExternalDataBase;
  files: WorkspaceExternalData['files'];
}

/** Listings by model file, kept while the file's size, mtime and inode stay the same. */
const listings = new Map<string, { stamp: string; listing: Promise<ListedExternalData> }>();
const MAX_LISTINGS = 16;

/**
 * The model's external data files, as the engine lists them once it has loaded the model (which refuses unsafe
 * locations and missing or short data files). A whole model is never loaded here: parsing a 2 GB model in the
 * host's process (Electron's main process, serve) to find no external data would stall every window. So a model
 * the workspace recorded as whole (its recorded size is its .onnx file's: the original's inspect summary, a
 * variant's record) is taken at its word, and any other is first searched for an external-data location
 * (fileMayHaveExternalData, a read in chunks that keeps no model in memory) and loaded only when it names one.
 */
async function listExternalData(
  ws: Workspace,
  target: string,
  file: string,
  stat: fs.Stats,
): Promise<ListedExternalData> {
  if (recordedWhole(ws, target, stat.size)) return { files: [] };
  const stamp = `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
  const cached = listings.get(file);
  if (cached?.stamp === stamp) return cached.listing;
  const listing = (async (): Promise<ListedExternalData> => {
    if (!mayHaveExternalData(file)) return { files: [] };
    const model = await loadModel(file);
    if (model.externalDataBytes === 0) return { files: [] };
    const base: ExternalDataBase = {
      dir: model.dir,
      ...(model.linkedDir !== undefined ? { linkedDir: model.linkedDir } : {}),
    };
    const files = externalDataFiles(model).map((f) => ({
      ...f,
      fileBytes: fs.statSync(resolveLocation(base, f.location)).size,
    }));
    return { base, files };
  })();
  listings.delete(file);
  listings.set(file, { stamp, listing });
  if (listings.size > MAX_LISTINGS) listings.delete(listings.keys().next().value as string);
  // A refusal of the model itself (MODEL_INVALID: an unsafe location, a corrupt file) is kept, as a listing is,
  // while the file stays the same: each retry would load the model again to say the same. A data file's (IO:
  // missing, short, unreadable) is not: the user may put the data file back, which leaves the model as it was.
  listing.catch((error: unknown) => {
    if (error instanceof StudioError && error.code !== 'IO') return;
    if (listings.get(file)?.listing === listing) listings.delete(file);
  });
  return listing;
}

/** Whether the model `file` may name external data; when the file cannot be read, loading it says why. */
function mayHaveExternalData(file: string): boolean {
  try {
    return fileMayHaveExternalData(file);
  } catch {
    return true;
  }
}

/** Whether the workspace's record of `target` says its .onnx file of `size` bytes is the whole model. */
function recordedWhole(ws: Workspace, target: string, size: number): boolean {
  if (target === ORIGINAL_TARGET) {
    const summary = ws.model.summary;
    return summary !== undefined && summary.fileBytes === size && summary.externalDataBytes === 0;
  }
  return ws.variants.find((v) => v.id === target)?.fileBytes === size;
}

/** A location, as a model writes it, resolved by the engine's rules (the one function that loading uses). */
function resolveLocation(base: ExternalDataBase, location: string): string {
  const tensor = create(TensorProtoSchema, {
    name: location,
    externalData: [create(StringStringEntryProtoSchema, { key: 'location', value: location })],
  });
  return resolveExternalLocation(base, tensor);
}
