/**
 * The page's side of loading a workspace model for the browser benchmark: the list of its external data files
 * from the host, then its .onnx bytes. The data files are not fetched here: onnxruntime-web fetches each from its
 * URL when it creates a session (`externalDataOption`), in the benchmark's worker, so gigabytes of weights never
 * pass through the page or its messages to the worker.
 */
import {
  workspaceExternalDataUrlPath,
  workspaceFileUrlPath,
  type WorkspaceExternalData,
} from '../../../shared/workspace.js';
import { pageLoadFailure } from '../state/page-load-failure.js';
import type { WebBenchModel } from './ort-web-bench.js';

export type LoadedWebBenchModel =
  /** `modelBytes`: the .onnx file and the external data it reads, as the engine's benchmark records a model. */
  { ok: true; model: WebBenchModel; modelBytes: number } | { ok: false; message: string };

export async function loadWebBenchModel(
  workspaceKey: string,
  target: string,
  name: string,
  options: { baseUrl: string; signal?: AbortSignal },
): Promise<LoadedWebBenchModel> {
  const url = (path: string) => new URL(path, options.baseUrl).href;
  const init = options.signal ? { signal: options.signal } : {};
  const listed = await fetch(url(workspaceExternalDataUrlPath(workspaceKey, target)), init);
  if (!listed.ok) {
    const detail = await listed.text().catch(() => '');
    return { ok: false, message: pageLoadFailure(name, listed.status, detail) };
  }
  const { files } = (await listed.json()) as WorkspaceExternalData;
  const response = await fetch(url(workspaceFileUrlPath(workspaceKey, target)), init);
  if (!response.ok) return { ok: false, message: pageLoadFailure(name, response.status) };
  const bytes = new Uint8Array(await response.arrayBuffer());
  const externalData = files.map((f) => ({
    path: f.location,
    url: url(workspaceExternalDataUrlPath(workspaceKey, target, f.location)),
    bytes: f.fileBytes,
  }));
  return {
    ok: true,
    model: { name, bytes, ...(externalData.length > 0 ? { externalData } : {}) },
    modelBytes: bytes.byteLength + files.reduce((sum, f) => sum + f.bytes, 0),
  };
}
