/**
 * What to open when files are dropped on the page: the `.onnx` among them. In the desktop app it opens from
 * where it is (its data files are beside it already). A browser page of `serve` cannot name a path on the
 * server, so it uploads the model with every file dropped with it into one folder of the server (the host's
 * `uploadFiles`): a model with external data opens when dropped together with its data file.
 */
import type { Result, StudioErrorInfo } from '../../shared/errors.js';
import type { StudioHost } from './host/studio-host.js';

/** The serve host's upload of several files into one server folder (host/ws-host.ts). */
type MultiUpload = (files: readonly File[]) => Promise<Result<{ paths: string[] }>>;

export type DroppedModel = { ok: true; path: string } | { ok: false; title: string; error: StudioErrorInfo };

export async function droppedModelPath(host: StudioHost, files: readonly File[]): Promise<DroppedModel> {
  const model = files.find((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (!model) {
    const names = files.map((f) => f.name).join(', ');
    const one = files.length === 1;
    return {
      ok: false,
      title: `${names} ${one ? 'is not an ONNX model' : 'are not ONNX models'}`,
      error: {
        code: 'BAD_REQUEST',
        message: `ONNX Studio opens .onnx files; ${one ? `${names} is not one` : `none of ${names} is one`}.`,
      },
    };
  }
  const local = host.getPathForFile(model);
  if (local !== null) return { ok: true, path: local };
  const uploadFiles = (host as StudioHost & { uploadFiles?: MultiUpload }).uploadFiles;
  if (uploadFiles && files.length > 1) {
    const uploaded = await uploadFiles(files);
    if (!uploaded.ok) return { ok: false, title: `Could not upload ${model.name}`, error: uploaded.error };
    return { ok: true, path: uploaded.value.paths[files.indexOf(model)]! };
  }
  if (host.uploadFile) {
    const uploaded = await host.uploadFile(model);
    if (!uploaded.ok) return { ok: false, title: `Could not upload ${model.name}`, error: uploaded.error };
    return { ok: true, path: uploaded.value.path };
  }
  return {
    ok: false,
    title: `Could not open ${model.name}`,
    error: {
      code: 'BAD_REQUEST',
      message: `${model.name} has no location on disk (it may have been dragged from a browser or an archive). Save it to a folder first, then open it from there.`,
    },
  };
}
