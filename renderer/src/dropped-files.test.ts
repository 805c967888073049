import { describe, expect, it, vi } from 'vitest';
import { droppedModelPath } from './dropped-files.js';
import type { StudioHost } from './host/studio-host.js';

const model = new File(['m'], 'ext model ü.onnx');
const data = new File(['w'], 'ext weights ü.bin');

describe('files dropped on the page', () => {
  it('uploads a model with the files dropped with it into one folder (serve), and opens the model', async () => {
    const uploadFiles = vi.fn(async (files: readonly File[]) => ({
      ok: true as const,
      value: { paths: files.map((f) => `/up/b/${f.name}`) },
    }));
    const uploadFile = vi.fn();
    const host = { getPathForFile: () => null, uploadFile, uploadFiles } as unknown as StudioHost;
    // The data file first: the model is found among them wherever it is.
    expect(await droppedModelPath(host, [data, model])).toEqual({ ok: true, path: '/up/b/ext model ü.onnx' });
    expect(uploadFiles).toHaveBeenCalledWith([data, model]);
    expect(uploadFile).not.toHaveBeenCalled();
  });

  it('opens the model where it is when the host knows its path (desktop)', async () => {
    const host = { getPathForFile: (f: File) => `/disk/${f.name}` } as unknown as StudioHost;
    expect(await droppedModelPath(host, [data, model])).toEqual({ ok: true, path: '/disk/ext model ü.onnx' });
  });

  it('says when no ONNX model was dropped', async () => {
    const host = { getPathForFile: () => null } as unknown as StudioHost;
    const one = await droppedModelPath(host, [new File(['x'], 'notes.txt')]);
    expect(one).toMatchObject({ ok: false, title: 'notes.txt is not an ONNX model' });
    const two = await droppedModelPath(host, [data, new File(['x'], 'notes.txt')]);
    expect(two).toMatchObject({ ok: false, title: 'ext weights ü.bin, notes.txt are not ONNX models' });
  });
});
