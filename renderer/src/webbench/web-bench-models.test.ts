/**
 * The page's side of a browser benchmark of a model with external data: it asks the host for the model's data
 * files and hands onnxruntime-web their URLs (the worker fetches them), instead of the .onnx file alone.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkspaceExternalData } from '../../../shared/workspace.js';
import { loadWebBenchModel } from './web-bench-models.js';

const BASE = 'http://127.0.0.1:5173/TOKEN/';

/** A host that answers each URL (relative to BASE) with a response; anything else is a 404. */
function stubHost(answers: Record<string, () => Response>): string[] {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    asked.push(url);
    const answer = answers[url.slice(BASE.length)];
    return answer ? answer() : new Response('Not found.', { status: 404 });
  });
  return asked;
}

const listing: WorkspaceExternalData = {
  files: [{ location: 'weights/w.bin', bytes: 2048, tensors: 3, fileBytes: 2051 }],
};

describe('loading a model for the browser benchmark', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('gives the model its external data files as absolute URLs of the host, with their sizes', async () => {
    const asked = stubHost({
      'workspace-files/k1/v-1/external-data': () => Response.json(listing),
      'workspace-files/k1/v-1': () => new Response(new Uint8Array(100)),
    });
    const loaded = await loadWebBenchModel('k1', 'v-1', 'int8', { baseUrl: BASE });
    expect(loaded).toEqual({
      ok: true,
      model: {
        name: 'int8',
        bytes: new Uint8Array(100),
        externalData: [
          {
            path: 'weights/w.bin',
            url: `${BASE}workspace-files/k1/v-1/external-data/weights%2Fw.bin`,
            bytes: 2051,
          },
        ],
      },
      // The .onnx file and the weights it reads, as the engine's benchmark records a model's size.
      modelBytes: 100 + 2048,
    });
    // The data file itself is not fetched by the page: onnxruntime-web fetches it in the worker.
    expect(asked).toEqual([`${BASE}workspace-files/k1/v-1/external-data`, `${BASE}workspace-files/k1/v-1`]);
  });

  it('gives a whole model no external data', async () => {
    stubHost({
      'workspace-files/k1/original/external-data': () => Response.json({ files: [] }),
      'workspace-files/k1/original': () => new Response(new Uint8Array(10)),
    });
    const loaded = await loadWebBenchModel('k1', 'original', 'original', { baseUrl: BASE });
    expect(loaded.ok && loaded.model).toEqual({ name: 'original', bytes: new Uint8Array(10) });
  });

  it("says why the host refused the model's data files, in the engine's words", async () => {
    const refusal =
      "Refusing external-data location '../w.bin' of tensor 'W': it points outside the model's folder.";
    stubHost({
      'workspace-files/k1/original/external-data': () => new Response(refusal, { status: 422 }),
    });
    expect(await loadWebBenchModel('k1', 'original', 'original', { baseUrl: BASE })).toEqual({
      ok: false,
      message: `Could not load original into the page (HTTP 422): ${refusal}`,
    });
  });
});
