/**
 * What `onnx-studio explain` reads of its two models besides their profiles: how the variant was made (its
 * recorded last step), the channel counts structured pruning left, and the two sizes.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unalignedConvsOf } from '../../../shared/explain-prune.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { pruneModel } from '../prune/prune-model.js';
import '../prune/all-methods.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { withHalfPrecisionWeights } from '../testing/prune-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { buildUnnamedConvNet } from '../testing/unnamed-conv-net.js';
import { explainFacts } from './explain-facts.js';

let tmp: ReturnType<typeof makeTempDir>;
let net: string;
beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-explain-facts-');
  net = path.join(tmp.dir, 'net.onnx');
  await saveModel(buildUnnamedConvNet(), net);
});
afterAll(() => tmp.cleanup());

const facts = async (original: string, variant: string) =>
  explainFacts(await loadModel(original), await loadModel(variant));

describe('explainFacts', () => {
  it('reads a structured-pruned variant: its method, and the Convs it left with 13 and 26 channels', async () => {
    const output = path.join(tmp.dir, 'net.structured.onnx');
    const report = await pruneModel({ input: net, output, method: 'structured', common: { sparsity: 0.2 } });
    const f = await facts(net, output);
    expect(f.lastStep).toEqual({ operation: 'prune', method: 'structured' });
    expect(f.unalignedConvs).toEqual([
      { name: 'Conv(conv1.out)', opType: 'Conv', before: 16, channels: 13 },
      { name: 'Conv(conv2.out)', opType: 'Conv', before: 32, channels: 26 },
    ]);
    // The app reads the same from the prune report's layers.
    expect(unalignedConvsOf(report.layers)).toEqual(f.unalignedConvs);
    expect(f.sizeRatio).toBeLessThan(0.9);
  });

  it('finds no odd channel counts where --round-to 8 kept multiples of 8', async () => {
    const output = path.join(tmp.dir, 'net.structured8.onnx');
    const report = await pruneModel({
      input: net,
      output,
      method: 'structured',
      common: { sparsity: 0.5 },
      options: { roundTo: 8 },
    });
    expect(report.removedChannels).toBeGreaterThan(0);
    expect((await facts(net, output)).unalignedConvs).toEqual([]);
    expect(unalignedConvsOf(report.layers)).toEqual([]);
  });

  it('reads a magnitude-pruned variant as pruned, without channel counts', async () => {
    const output = path.join(tmp.dir, 'net.magnitude.onnx');
    await pruneModel({ input: net, output, method: 'magnitude', common: { sparsity: 0.5 } });
    const f = await facts(net, output);
    expect(f.lastStep).toEqual({ operation: 'prune', method: 'magnitude' });
    expect(f.unalignedConvs).toBeUndefined();
  });

  it("measures the size an fp16 conversion left: the same, where the original's weights were float16", async () => {
    const mlp = buildMlp();
    const half = path.join(tmp.dir, 'half.onnx');
    const output = path.join(tmp.dir, 'half.fp16.onnx');
    await saveModel(
      withHalfPrecisionWeights(
        mlp,
        mlp.graph!.initializer.map((t) => t.name),
      ),
      half,
    );
    await quantizeModel({ input: half, output, method: 'fp16' });
    const f = await facts(half, output);
    expect(f.lastStep).toEqual({ operation: 'quantize', method: 'fp16' });
    expect(f.sizeRatio).toBeGreaterThan(0.9);
  });
});
