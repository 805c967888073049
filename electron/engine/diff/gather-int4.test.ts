/**
 * The diff of int4 on a decoder whose embedding and position tables no head shares: their Gathers become
 * GatherBlockQuantized, which the Graph view and `diff` must call int4 (they said float32, as if nothing happened).
 */
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { saveModel } from '../onnx/save-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { buildKvCacheLm } from '../testing/kv-cache-lm.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModels } from './diff-models.js';

const tmp = makeTempDir('onnx-studio-diff-gather-int4-');
afterAll(() => tmp.cleanup());

it('calls the lookups of 4-bit tables int4, and keeps the Gather of a shape', async () => {
  const original = path.join(tmp.dir, 'lm.onnx');
  const output = path.join(tmp.dir, 'lm.int4.onnx');
  await saveModel(buildKvCacheLm({ positionIds: true }), original);
  await quantizeModel({ input: original, output, method: 'int4', common: {} });
  const d = await diffModels(original, output);
  const gathers = d.nodes.list.filter((n) => n.opType === 'Gather');
  const lookups = gathers.filter((n) => n.variantOpType === 'GatherBlockQuantized');
  expect(lookups).toHaveLength(2);
  for (const n of lookups) expect(n).toMatchObject({ change: 'replaced', precision: 'int4' });
  // The past length read from the cache's shape is no table: that Gather is kept as it was.
  expect(gathers.find((n) => n.name === 'past_length')).toMatchObject({
    change: 'kept',
    variantOpType: 'Gather',
  });
});
