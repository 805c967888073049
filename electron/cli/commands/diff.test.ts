import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDiff } from '../../../shared/model-diff.js';
import { buildSubgraphWeights } from '../../engine/testing/prune-fixtures.js';
import { saveModel } from '../../engine/onnx/save-model.js';
import { buildCnn, buildMlp } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { writeOutlierMlpCase } from '../../engine/testing/tune-fixtures.js';
import { runCliInProcess } from '../testing/run-cli.js';

/* `onnx-studio diff` on variants of an 8-layer MLP (8 MatMul + 8 Add + 7 Relu, 16 weights) made by each method. */

let tmp: ReturnType<typeof makeTempDir>;
let files: ReturnType<typeof writeOutlierMlpCase>;
beforeAll(() => {
  tmp = makeTempDir('onnx-studio-diff-');
  files = writeOutlierMlpCase(tmp.dir);
});
afterAll(() => tmp.cleanup());

async function variantDiff(make: string[]): Promise<ModelDiff> {
  const out = path.join(tmp.dir, `${make.join('-').replace(/[^\w-]/g, '')}.onnx`);
  const made = await runCliInProcess([...make.slice(0, 1), files.model, '-o', out, ...make.slice(1)]);
  expect(made.code, made.stderr).toBe(0);
  const r = await runCliInProcess(['diff', files.model, out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ModelDiff;
}

describe('onnx-studio diff', () => {
  it('int8-static: MatMul+Add fused into int8 Gemms, Relus folded, Q/DQ added, weights quantized', async () => {
    const d = await variantDiff(['quantize', '--method', 'int8-static', '--calib-data', files.calib]);
    expect(d.nodes.original).toBe(23);
    expect(d.nodes.byChange).toEqual({ kept: 0, replaced: 8, fused: 15, removed: 0 });
    expect(d.nodes.byPrecision.int8).toBe(8);
    expect(d.nodes.added.quantizeDequantize).toBeGreaterThan(8);
    expect(d.weights.byChange.quantized).toBe(16);
    expect(d.weights.bytesAfter).toBeLessThan(d.weights.bytesBefore * 0.4);
    const layer1 = d.nodes.list.filter((n) => n.name.startsWith('layer1_'));
    expect(layer1.map((n) => [n.name, n.change, n.variantOpType ?? n.fusedInto])).toEqual([
      ['layer1_matmul', 'replaced', 'Gemm'],
      ['layer1_add', 'fused', 'layer1_matmul/MatMulAddFusion'],
      ['layer1_relu', 'fused', 'layer1_matmul/MatMulAddFusion'],
    ]);
  });

  it('int4: MatMul replaced by MatMulNBits computing in int4; biases unchanged', async () => {
    const d = await variantDiff(['quantize', '--method', 'int4']);
    expect(d.nodes.byChange.replaced).toBe(8);
    expect(d.nodes.byPrecision.int4).toBe(8);
    expect(d.nodes.list.find((n) => n.name === 'layer1_matmul')).toMatchObject({
      change: 'replaced',
      variantOpType: 'MatMulNBits',
    });
    expect(d.weights.byChange).toMatchObject({ quantized: 8, unchanged: 8 });
  });

  it('fp16: every weight cast, two Casts at the edges, every node in float16', async () => {
    const d = await variantDiff(['quantize', '--method', 'fp16']);
    expect(d.weights.byChange.cast).toBe(16);
    expect(d.nodes.added.casts).toBe(2);
    expect(d.nodes.byPrecision.float16).toBe(23);
    expect(d.weights.bytesAfter).toBe(d.weights.bytesBefore / 2);
  });

  it('magnitude pruning: same shapes, new values, the share of zeros before and after', async () => {
    const d = await variantDiff(['prune', '--method', 'magnitude', '--sparsity', '0.5']);
    const weight = d.weights.list.find((w) => w.name === 'layer3.weight')!;
    expect(weight.change).toBe('values');
    expect(weight.zeros!.before).toBe(0);
    expect(weight.zeros!.after).toBeCloseTo(0.5, 1);
    expect(d.nodes.byChange.kept).toBe(23);
  });

  it('magnitude pruning of an fp16 variant: the share of zeros of its float16 weights', async () => {
    const fp16 = path.join(tmp.dir, 'mlp.fp16.onnx');
    const pruned = path.join(tmp.dir, 'mlp.fp16.pruned.onnx');
    expect((await runCliInProcess(['quantize', files.model, '-o', fp16, '--method', 'fp16'])).code).toBe(0);
    const made = await runCliInProcess([
      'prune',
      fp16,
      '-o',
      pruned,
      '--method',
      'magnitude',
      '--sparsity',
      '0.5',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const r = await runCliInProcess(['diff', fp16, pruned, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const weight = (JSON.parse(r.stdout) as ModelDiff).weights.list.find((w) => w.name === 'layer3.weight')!;
    expect(weight).toMatchObject({ dtype: 'float16', change: 'values' });
    expect(weight.zeros!.before).toBe(0);
    expect(weight.zeros!.after).toBeCloseTo(0.5, 1);
  });

  it('int4 of a model whose MatMuls sit in If branches and a Loop body: counted and listed with their graph', async () => {
    const model = path.join(tmp.dir, 'subgraphs.onnx');
    const int4 = path.join(tmp.dir, 'subgraphs.int4.onnx');
    await saveModel(buildSubgraphWeights({ seed: 81, bodyWeight: 'initializer' }), model);
    const made = await runCliInProcess(['quantize', model, '-o', int4, '--method', 'int4']);
    expect(made.code, made.stderr).toBe(0);
    const r = await runCliInProcess(['diff', model, int4]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      'Nodes: 8 -> 8 (main graph 3 -> 3; subgraph bodies matched under the node that holds them)',
    );
    expect(r.stdout).toContain("of the original's: 4 kept, 4 replaced, 0 fused, 0 removed");
    expect(r.stdout).toContain('compute in: 4 float32, 4 int4');
    // Before, only trip and keep_going of the main graph were counted: "Weights: 9 B -> 9 B (100.0%); 2 unchanged".
    expect(r.stdout).toContain('Weights: 3.51 KiB -> 1.26 KiB (35.9%); 2 unchanged, 4 quantized\n');
    expect(r.stdout).toMatch(/^then_mm +branch\/then_branch +MatMul +now MatMulNBits +float32 -> int4$/m);
    expect(r.stdout).toMatch(/^in_mm +main +MatMul +now MatMulNBits +float32 -> int4$/m);
    expect(r.stdout).toMatch(/^body\.weight +loop\/body +quantized /m);
  });

  it('warns that an MLP and a CNN look unrelated, and names the added float weights instead of calling them scales', async () => {
    const mlp = path.join(tmp.dir, 'mlp.onnx');
    const cnn = path.join(tmp.dir, 'cnn.onnx');
    await saveModel(buildMlp(), mlp);
    await saveModel(buildCnn(), cnn);
    const r = await runCliInProcess(['diff', mlp, cnn]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: The two models look unrelated: 1 of the original's 4 nodes and 0 of its 4 weights are in the variant, and their inputs and outputs differ\./,
    );
    expect(r.stdout).not.toContain('scales, zero points');
    expect(r.stdout).toContain(
      '6 added (6.10 KiB; new weights, not scales or zero points: conv2.weight, conv1.weight, fc.weight, ...)',
    );
    const json = await runCliInProcess(['diff', mlp, cnn, '--json']);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe(r.stderr);
    const d = JSON.parse(json.stdout) as ModelDiff;
    expect(d.match!.unrelated).toBe(true);
    expect(d.notes).toEqual([r.stderr.replace(/^warning: /, '').trim()]);
  });

  it("int8-static of an fp16 CNN: lists the nodes onnxruntime upcast to float32, as the engine's diff finds them", async () => {
    // The engine's rows are checked against onnxruntime's profile in electron/engine/diff/upcast.test.ts.
    const cnn = path.join(tmp.dir, 'cnn-for-fp16.onnx');
    const half = path.join(tmp.dir, 'cnn.fp16.onnx');
    const int8 = path.join(tmp.dir, 'cnn.fp16.int8-static.onnx');
    await saveModel(buildCnn(), cnn);
    for (const args of [
      ['quantize', cnn, '-o', half, '--method', 'fp16'],
      ['quantize', half, '-o', int8, '--method', 'int8-static', '--calib-data', 'synthetic'],
    ])
      expect((await runCliInProcess(args)).code).toBe(0);
    const r = await runCliInProcess(['diff', half, int8]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "of the original's: 8 kept, 0 replaced, 1 fused, 1 removed; 2 upcast from float16 to float32",
    );
    expect(r.stdout).toMatch(/^conv1 +Conv +kept, upcast +float16 -> float32$/m);
    expect(r.stdout).toMatch(/^relu1 +Relu +kept, upcast +float16 -> float32$/m);
    expect(r.stdout).toMatch(/^conv2 +Conv +kept +float16 -> int8$/m);
    expect(r.stdout).toMatch(
      /^Note: 2 nodes that computed in float16 compute in float32 in the variant \(conv1, relu1\)/m,
    );
    // The Cast to float32 that fp16 keeps before the output computes in float32 before and after: not listed.
    expect(r.stdout).not.toMatch(/^logits_Cast /m);
    // The Cast of the input to float16 is gone: conv1 reads the float32 input.
    expect(r.stdout).toMatch(/^input_fp16_Cast +Cast +removed +-$/m);
  });

  it('refuses one model with exit 2', async () => {
    expect((await runCliInProcess(['diff', files.model])).code).toBe(2);
  });
});
