import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInputSpecs } from '../runtime/input-specs.js';
import { buildSpeechGateModel } from '../testing/awkward-models.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { encodeNpyArray } from './npy-format.js';
import { encodeNpz } from './npz-writer.js';
import { openDataset } from './open-dataset.js';

/** Audio of 640 samples per row, `rows` rows, beside a model that also takes a sample rate `sr`. */
describe('data without an input whose values the input spec sets', () => {
  const tmp = makeTempDir('onnx-studio-spec-filled-');
  afterAll(() => tmp.cleanup());
  const rows = 3;
  const audio = encodeNpyArray(new Float32Array(rows * 640).fill(0.25), 'float32', [rows, 640]);
  const npy = path.join(tmp.dir, 'audio.npy');
  const npz = path.join(tmp.dir, 'audio.npz');
  fs.writeFileSync(npy, audio);
  fs.writeFileSync(npz, encodeNpz({ audio }));
  const model = buildSpeechGateModel();

  async function srOf(file: string, values?: number) {
    const { inputs } = resolveInputSpecs(model, {
      dims: { samples: 640 },
      ...(values !== undefined ? { values: { sr: { kind: 'constant', value: values } } } : {}),
    });
    const source = await openDataset(
      file.endsWith('.npz') ? { kind: 'npz', path: file } : { kind: 'npy', path: file },
      inputs,
    );
    const fed: bigint[] = [];
    for await (const sample of source.samples()) {
      expect(sample.inputs.audio?.dims).toEqual([1, 640]);
      fed.push(...(sample.inputs.sr?.data as BigInt64Array));
    }
    return { fed, notes: source.notes };
  }

  it('feeds every sample the value the user set, from a .npy or a .npz, and says so', async () => {
    for (const file of [npy, npz]) {
      const { fed, notes } = await srOf(file, 8000);
      expect(fed).toEqual([8000n, 8000n, 8000n]);
      expect(notes).toContain(
        "the data has no array for 'sr' (= 8000): every sample feeds it the value the input spec sets.",
      );
    }
  });

  it('never fills it with a guess: without a value the user set, the data is refused, naming what to set', async () => {
    await expect(srOf(npy)).rejects.toThrow(
      /audio\.npy holds one array, but the model has 2 inputs \('audio', 'sr'\)\..*or set the values of the inputs it does not hold \(--value NAME=V/,
    );
    await expect(srOf(npz)).rejects.toThrow(/no data for input 'sr'/);
  });
});
