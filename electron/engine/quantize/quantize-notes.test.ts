/** What quantizeModel's report says of the output as a whole and of the nodes it left float, for every method. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedsSource } from '../testing/feeds-source.js';
import { buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { buildUnnamedConvNet, unnamedConvNetFeeds } from '../testing/unnamed-conv-net.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { notSmaller, quantizeModel } from './quantize-model.js';
import './all-methods.js';

describe('quantizeModel notes', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it('says when a quantized output is no smaller than its input, and not when it is smaller', async () => {
    // A tiny MLP: its weights' savings are less than the scales, zero points and new nodes cost (as an fp16
    // model's int8 variant grew, with nothing said).
    const tiny = path.join(tmp.dir, 'tiny.onnx');
    fs.writeFileSync(tiny, modelBytes(buildMlp({ inputSize: 4, hiddenSize: 4, outputSize: 2 })));
    const grown = await quantizeModel({
      input: tiny,
      output: path.join(tmp.dir, 'tiny.q.onnx'),
      method: 'int8-dynamic',
    });
    expect(grown.quantizedNodes).toBeGreaterThan(0);
    expect(grown.outputBytes).toBeGreaterThanOrEqual(grown.inputBytes);
    expect(grown.notes.join('\n')).toContain(
      `The output is no smaller than the input (${grown.inputBytes} -> ${grown.outputBytes} bytes)`,
    );
    const big = path.join(tmp.dir, 'big.onnx');
    fs.writeFileSync(big, modelBytes(buildMlp({ inputSize: 128, hiddenSize: 128, outputSize: 16 })));
    const shrunk = await quantizeModel({
      input: big,
      output: path.join(tmp.dir, 'big.q.onnx'),
      method: 'int8-dynamic',
    });
    expect(shrunk.outputBytes).toBeLessThan(shrunk.inputBytes);
    expect(shrunk.notes.join('\n')).not.toContain('no smaller than the input');
  });

  it('says why an fp16 output grew as the case it is: too few float32 weights, or float16 already', async () => {
    // A user test: the note listed every cause ("float16 already, too few ..., or kept in float32 ...") and was
    // read as saying a float32 model's weights were float16 already.
    const tiny = path.join(tmp.dir, 'tiny32.onnx');
    fs.writeFileSync(tiny, modelBytes(buildMlp({ inputSize: 4, hiddenSize: 4, outputSize: 2 })));
    const grown = await quantizeModel({
      input: tiny,
      output: path.join(tmp.dir, 'tiny32.h.onnx'),
      method: 'fp16',
    });
    expect(grown.outputBytes).toBeGreaterThanOrEqual(grown.inputBytes);
    // 4x4 + 4 + 4x2 + 2 floats.
    const f32 = (16 + 4 + 8 + 2) * 4;
    const said = grown.notes.find((n) => n.startsWith('The output is no smaller'))!;
    expect(said).toContain(`this model has ${f32} bytes of them, so halving saves ${f32 / 2} bytes`);
    expect(said).not.toContain('float16 already');

    // A model whose weights are float16 already (an fp16 export with float32 edges) is told so, with the bytes.
    expect(notSmaller('fp16', 900, 950, { float16: 400, float32: 12 })).toBe(
      'The output is no smaller than the input (900 -> 950 bytes): fp16 halves float32 weights only, and this ' +
        "model's are float16 already (400 bytes in float16, 12 in float32).",
    );
  });

  it("names an unnamed node left float by the model's name of its output, not onnxruntime's", async () => {
    // An fp16 model's int8-static: onnxruntime's pre-optimization runs fp16 nodes without a kernel in float32 and
    // renames their outputs `InsertedPrecisionFreeCast_<x>`, which the skipped input Conv was reported as.
    const float = path.join(tmp.dir, 'unnamed.onnx');
    const half = path.join(tmp.dir, 'unnamed.fp16.onnx');
    fs.writeFileSync(float, modelBytes(buildUnnamedConvNet({ batchNorm: true })));
    await quantizeModel({ input: float, output: half, method: 'fp16' });
    const int8 = await quantizeModel({
      input: half,
      output: path.join(tmp.dir, 'unnamed.fp16.int8.onnx'),
      method: 'int8-static',
      calibration: feedsSource(unnamedConvNetFeeds(2)),
    });
    const names = int8.skippedNodes.map((s) => s.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).not.toMatch(/^InsertedPrecisionFreeCast_/);
  });
});
