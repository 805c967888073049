import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { encodeNpz } from '../datasets/npz-writer.js';
import { buildKvCacheLayers } from '../testing/kv-cache-layers.js';
import { modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { patternIds } from '../testing/tied-lm.js';
import { evaluateModel } from './evaluate-model.js';
import { cacheOutputNames } from './no-top1-note.js';

/*
 * eval's notes on a decoder with the cache of 4 layers (8 cache inputs, 8 present outputs), graded on token ids
 * alone: the tester's notes named every cache input ("the data has no arrays for 'past_key_values.0.key' (empty:
 * ...), ...") and called the present outputs feature maps. They name the cache as its group, and say the present
 * outputs are the cache.
 */

describe("eval's notes on a decoder with a KV cache", () => {
  const tmp = makeTempDir('onnx-studio-kv-notes-');
  afterAll(() => tmp.cleanup());
  const model = path.join(tmp.dir, 'decoder_4_layers.onnx');
  const ids = path.join(tmp.dir, 'ids.npz');
  fs.writeFileSync(model, modelBytes(buildKvCacheLayers(4, { vocab: 32 })));
  fs.writeFileSync(ids, encodeNpz({ input_ids: encodeNpyArray(patternIds(6, 12, 32), 'int64', [6, 12]) }));

  it('names the empty cache inputs and the present outputs as their groups, and why they have no top-1', async () => {
    const report = await evaluateModel({
      model,
      reference: model,
      data: { kind: 'npz', path: ids },
      shapes: { values: { attention_mask: { kind: 'constant', value: 1 } } },
    });
    const notes = report.notes.join('\n');
    expect(notes).toContain(
      "the data has no arrays for 'attention_mask' (= 1) and past_key_values.0..3.key/value (8 inputs, each " +
        'empty: past_sequence_length 0): every sample feeds them the values the input spec sets',
    );
    expect(notes).toContain(
      'outputs present.0..3.key/value (8 outputs, each [1, 2, 12, 8]) have no top-1 agreement; for each, the same ' +
        'reason: a KV cache output: its values are compared, not argmaxed.',
    );
    expect(notes).not.toContain('feature map');
    expect(notes).not.toContain("'past_key_values.1.key'");
    // The figures are measured all the same: each cache output is compared by value.
    expect(report.fidelity!.outputs!.map((o) => o.output)).toContain('present.3.value');
  });

  it('tells the cache outputs from the model, by the cache inputs they mirror', () => {
    const graph = buildKvCacheLayers(4).graph!;
    expect([...cacheOutputNames(graph)].sort()).toEqual(
      [0, 1, 2, 3].flatMap((n) => [`present.${n}.key`, `present.${n}.value`]).sort(),
    );
    // Without the cache inputs they mirror, 4-dim outputs are no cache.
    const alone = { ...graph, input: graph.input.filter((i) => !i.name.startsWith('past_key_values')) };
    expect(cacheOutputNames(alone)).toEqual(new Set());
  });
});
