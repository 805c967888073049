/**
 * The engine's diff where the main graph is not the whole model (If branches, Loop bodies: matched under the
 * node that holds them, counted in every total) and where the two models are not original and variant at all.
 */
import path from 'node:path';
import { clone } from '@bufbuild/protobuf';
import { type GraphProto, ModelProtoSchema, type ModelProto, TensorProto_DataType } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDiff } from '../../../shared/model-diff.js';
import { makeFloatTensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { loadModel } from '../onnx/load-model.js';
import { saveModel } from '../onnx/save-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { buildCnn, buildMlp, makeGraph, makeModel, randomTensor } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { feedsSource, randomOrtTensor } from '../testing/feeds-source.js';
import { buildUnnamedConvNet, unnamedConvNetFeeds } from '../testing/unnamed-conv-net.js';
import { createSession } from '../runtime/create-session.js';
import { buildSubgraphWeights } from '../testing/prune-fixtures.js';
import { ortTensorSource } from '../../../shared/ort-node-names.js';
import { diffModelProtos, diffModels } from './diff-models.js';
import { int8WeightMethod } from '../quantize/methods/int8-weight.js';
import { quantizeInMemory } from '../quantize/weight-only/test-support.js';

/** The If/Loop model with every weight an initializer (the body's too), as the diff's tests expect. */
const ifLoop = () => buildSubgraphWeights({ seed: 81, bodyWeight: 'initializer' });

const FLOAT = TensorProto_DataType.FLOAT;
const names = { original: 'a.onnx', variant: 'b.onnx' };

/*
 * ifLoop(): main graph in_mm (in.weight), If `branch` (then_mm with its own then.weight; else_mm with
 * outer.weight of the main graph), Loop `loop` (body_mm with its own body.weight, body_tanh, body_cond): every
 * quantizer rewrites three MatMuls inside subgraphs and one in the main graph.
 */
let tmp: ReturnType<typeof makeTempDir>;
let original: string;
const variants: Record<string, ModelDiff> = {};
const variantPaths: Record<string, string> = {};
beforeAll(async () => {
  tmp = makeTempDir('onnx-studio-diff-subgraphs-');
  original = path.join(tmp.dir, 'subgraphs.onnx');
  await saveModel(ifLoop(), original);
  for (const method of ['int4', 'int8-dynamic', 'int8-weight'] as const) {
    const output = path.join(tmp.dir, `subgraphs.${method}.onnx`);
    await quantizeModel({ input: original, output, method, common: {} });
    variants[method] = await diffModels(original, output);
    variantPaths[method] = output;
  }
});
afterAll(() => tmp.cleanup());

describe('diff of a model with subgraphs', () => {
  it('int4: counts the MatMuls of the If branches and the Loop body as replaced, in int4', () => {
    const d = variants['int4']!;
    expect(d.nodes.byChange).toEqual({ kept: 4, replaced: 4, fused: 0, removed: 0 });
    expect(d.nodes.byPrecision).toMatchObject({ int4: 4, float32: 4 });
    // The Graph view reads `list` by index: it stays the main graph's; the bodies' nodes are listed apart.
    expect(d.nodes.list.map((n) => n.name)).toEqual(['in_mm', 'branch', 'loop']);
    expect(d.nodes.subgraphList!.map((n) => [n.graph, n.id, n.name, n.change, n.precision])).toEqual([
      ['branch/then_branch', '1/then_branch/0', 'then_mm', 'replaced', 'int4'],
      ['branch/else_branch', '1/else_branch/0', 'else_mm', 'replaced', 'int4'],
      ['loop/body', '2/body/0', 'body_mm', 'replaced', 'int4'],
      ['loop/body', '2/body/1', 'body_tanh', 'kept', 'float32'],
      ['loop/body', '2/body/2', 'body_cond', 'kept', 'float32'],
    ]);
    expect(d.weights.byChange).toMatchObject({ quantized: 4, unchanged: 2, removed: 0 });
    expect(d.weights.list.find((w) => w.name === 'body.weight')).toMatchObject({
      graph: 'loop/body',
      change: 'quantized',
      variantDtype: 'uint8',
    });
    expect(d.weights.bytesBefore).toBe(3584 + 9);
    expect(d.weights.bytesAfter).toBeLessThan(d.weights.bytesBefore * 0.5);
    expect(d.weights.addedCount).toBe(0);
    expect(d.match).toMatchObject({
      unrelated: false,
      nodes: 8,
      nodesByName: 8,
      weights: 6,
      weightsFound: 6,
    });
    expect(d.notes).toEqual([]);
  });

  it('int8-dynamic: a main-graph weight a branch reads is still that weight, quantized, in the main graph', async () => {
    // The quantizer keeps outer.weight's int8 tensors in the graph that stored it (one copy for every reader,
    // shared-subgraph-weights.test.ts), not in the else branch of its MatMul.
    const model = await loadModel(variantPaths['int8-dynamic']!);
    const elseBranch = model.proto.graph!.node[1]!.attribute.find((a) => a.name === 'else_branch')!.g!;
    expect(elseBranch.initializer.map((t) => t.name)).not.toContain('outer.weight_quantized');
    expect(model.proto.graph!.initializer.map((t) => t.name)).toContain('outer.weight_quantized');
    const d = variants['int8-dynamic']!;
    const outer = d.weights.list.find((w) => w.name === 'outer.weight')!;
    expect(outer).toMatchObject({
      change: 'quantized',
      variantNames: ['outer.weight_quantized', 'outer.weight_scale'],
    });
    expect(outer.graph).toBeUndefined();
    expect(d.weights.byChange.quantized).toBe(4);
    expect(d.weights.addedCount).toBe(0);
    expect(d.nodes.byPrecision.int8).toBe(4);
  });

  it("int8-weight: an embedding's per-row scale and zero point are its table's, not new weights", async () => {
    const embedding = makeModel(
      makeGraph('embedding', {
        nodes: [makeNode('Gather', ['table', 'ids'], ['rows'], { name: 'lookup' })],
        inputs: [makeValueInfo('ids', TensorProto_DataType.INT64, [8])],
        outputs: [makeValueInfo('rows', TensorProto_DataType.FLOAT, [8, 32])],
        initializers: [randomTensor('table', [64, 32], 3)],
      }),
    );
    const q = await quantizeInMemory(int8WeightMethod, embedding, { asymmetric: true });
    const d = diffModelProtos(embedding, q.model, { original: 'a.onnx', variant: 'b.onnx' });
    expect(d.weights.addedCount).toBe(0);
    expect(d.weights.list.find((w) => w.name === 'table')?.variantNames).toEqual(
      expect.arrayContaining(['table_quantized', 'table_row_scale', 'table_row_zero_point']),
    );
  });

  it('int8-weight: a branch MatMul reading a DequantizeLinear of the main graph computes in int8', () => {
    const d = variants['int8-weight']!;
    const elseMm = d.nodes.subgraphList!.find((n) => n.name === 'else_mm')!;
    expect(elseMm).toMatchObject({ change: 'kept', precision: 'int8' });
    expect(d.nodes.byPrecision.int8).toBe(4);
    expect(d.nodes.added.quantizeDequantize).toBe(4);
  });

  it('pairs two branches that both hold a weight `w` with their own counterpart', () => {
    const branch = (name: string, scale: number) =>
      makeGraph(name, {
        inputs: [],
        outputs: [makeValueInfo(`${name}.out`, FLOAT, ['batch', 4])],
        initializers: [makeFloatTensor('w', [4, 4], new Float32Array(16).fill(scale))],
        nodes: [makeNode('MatMul', ['input', 'w'], [`${name}.out`], { name: `${name}_mm` })],
      });
    const ifModel = (branches: Record<string, { graph: GraphProto }>) =>
      makeModel(
        makeGraph('siblings', {
          inputs: [
            makeValueInfo('input', FLOAT, ['batch', 4]),
            makeValueInfo('cond', TensorProto_DataType.BOOL, []),
          ],
          outputs: [makeValueInfo('output', FLOAT, ['batch', 4])],
          nodes: [makeNode('If', ['cond'], ['output'], { name: 'choose', attributes: branches })],
        }),
      );
    // The variant lists its branches the other way round, so that the first `w` found by name is the wrong one.
    const d = diffModelProtos(
      ifModel({ then_branch: { graph: branch('then', 1) }, else_branch: { graph: branch('else', 2) } }),
      ifModel({ else_branch: { graph: branch('else', 3) }, then_branch: { graph: branch('then', 1) } }),
      names,
    );
    const byGraph = Object.fromEntries(d.weights.list.map((w) => [w.graph, w.change]));
    expect(byGraph).toEqual({ 'choose/then_branch': 'unchanged', 'choose/else_branch': 'values' });
  });

  it('counts the body of a node the variant no longer has as removed, with a note', () => {
    // The Loop unrolled away: an Identity now makes its output.
    const variant = clone(ModelProtoSchema, ifLoop());
    const nodes = variant.graph!.node;
    nodes[nodes.findIndex((n) => n.name === 'loop')] = makeNode('Identity', ['if.out'], ['output'], {
      name: 'unrolled',
    });
    const d = diffModelProtos(ifLoop(), variant, names);
    expect(d.nodes.list.find((n) => n.name === 'loop')).toMatchObject({
      change: 'fused',
      fusedInto: 'unrolled',
    });
    const body = d.nodes.subgraphList!.filter((n) => n.graph === 'loop/body');
    expect(body.map((n) => n.change)).toEqual(['removed', 'removed', 'removed']);
    expect(d.nodes.byChange.removed).toBe(3);
    // body.weight went with it.
    expect(d.weights.list.find((w) => w.name === 'body.weight')).toMatchObject({
      change: 'removed',
      graph: 'loop/body',
    });
    expect(d.nodes.added.other).toEqual({ Identity: 1 });
    expect(d.notes).toEqual([
      expect.stringMatching(/^The nodes of 1 subgraph body of the original \(loop\/body\)/),
    ]);
    expect(d.match!.unrelated).toBe(false);
  });

  it('counts the nodes and weights of a body only the variant has as added', () => {
    const d = diffModelProtos(buildMlp(), ifLoop(), names);
    expect(d.nodes.added.other).toMatchObject({
      Loop: 1,
      If: 1,
      MatMul: 4,
      Tanh: 1,
      Identity: 1,
    });
    expect(d.weights.addedList!.map((w) => w.graph ?? 'main')).toEqual(
      expect.arrayContaining(['branch/then_branch', 'loop/body']),
    );
  });
});

describe('diff of two unrelated models', () => {
  it('says an MLP and a CNN look unrelated, and does not call the CNN weights scales', () => {
    const d = diffModelProtos(buildMlp(), buildCnn(), names);
    expect(d.match).toEqual({
      nodes: 4,
      // relu1 is in both: generic names match across unrelated models, which is why weights decide.
      nodesByName: 1,
      weights: 4,
      weightsFound: 0,
      sameInputs: false,
      sameOutputs: false,
      unrelated: true,
    });
    expect(d.notes).toEqual([
      expect.stringMatching(
        /^The two models look unrelated: 1 of the original's 4 nodes and 0 of its 4 weights/,
      ),
    ]);
    expect(d.weights.addedList!.map((w) => w.quantization)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('does not take weights that share a generic name but grew for the same weights', () => {
    // Both models name their weights fc1.weight...: a larger MLP is no pruned variant of a smaller one.
    const d = diffModelProtos(
      buildMlp(),
      buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 }),
      names,
    );
    expect(d.weights.byChange.reshaped).toBe(4);
    expect(d.match).toMatchObject({ nodesByName: 4, weightsFound: 0, sameInputs: false, sameOutputs: false });
    // Every node name matches, so this is not called unrelated: the diff of two sizes of one design is meaningful.
    expect(d.match!.unrelated).toBe(false);
  });

  it('notes a variant renamed throughout with the same inputs and outputs, without calling it unrelated', () => {
    const renamed: ModelProto = clone(ModelProtoSchema, buildMlp());
    const graph = renamed.graph!;
    const rename = (n: string) => (n === 'input' || n === 'logits' ? n : `other/${n}`);
    for (const t of graph.initializer) t.name = rename(t.name);
    for (const node of graph.node) {
      node.name = rename(node.name);
      node.input = node.input.map(rename);
      node.output = node.output.map(rename);
    }
    const d = diffModelProtos(buildMlp(), renamed, names);
    expect(d.match).toMatchObject({ sameInputs: true, sameOutputs: true, unrelated: false, weightsFound: 0 });
    expect(d.notes).toEqual([
      expect.stringMatching(/^Only 0 of the original's 4 nodes .* renames nodes and weights/),
    ]);
  });

  it('finds nothing to say about a real variant', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const mlp = path.join(dir, 'mlp.onnx');
      const int8 = path.join(dir, 'mlp.int8.onnx');
      await saveModel(buildMlp(), mlp);
      await quantizeModel({ input: mlp, output: int8, method: 'int8-dynamic', common: {} });
      const d = await diffModels(mlp, int8);
      expect(d.match).toMatchObject({ unrelated: false, sameInputs: true, sameOutputs: true });
      expect(d.notes).toEqual([]);
      expect(d.weights.addedList!.every((w) => w.quantization)).toBe(true);
    } finally {
      cleanup();
    }
  });
});

describe('diff of a model whose nodes have no names', () => {
  it('matches each node with the variant node that produces its outputs, and says which one it is', async () => {
    // Exporters often leave node names empty; matching by name alone called every node fused.
    const model = buildMlp({ inputSize: 16, hiddenSize: 32, outputSize: 8 });
    for (const node of model.graph!.node) node.name = '';
    const input = path.join(tmp.dir, 'unnamed.onnx');
    const output = path.join(tmp.dir, 'unnamed.int8-dynamic.onnx');
    await saveModel(model, input);
    await quantizeModel({ input, output, method: 'int8-dynamic', common: {} });
    const d = await diffModels(input, output);
    const variant = (await loadModel(output)).proto.graph!;
    // Gemm and MatMul replaced, Relu kept, the bias Add fused into the MatMul's replacement.
    expect(d.nodes.byChange).toEqual({ kept: 1, replaced: 2, fused: 1, removed: 0 });
    d.nodes.list.forEach((row, i) => {
      const became = variant.node[row.variantIndex!]!;
      if (row.change === 'fused') expect(became.name).toBe(row.fusedInto);
      else {
        expect(became.opType).toBe(row.variantOpType);
        expect(became.output).toEqual(model.graph!.node[i]!.output);
      }
    });
  });
});

describe('diff of an fp16 variant of a model whose nodes have no names', () => {
  it('matches a node with the one behind the Cast that fp16 put before its output, bodies too', async () => {
    // keepIoTypes renames the output of the node that makes a float32 graph (or body) output (`output_fp16`)
    // and casts it back: matched by outputs alone, the Cast was taken for the node ("replaced by Cast") and
    // the node itself counted as added by the variant.
    // ifLoop() with a MatMul after the Loop making the graph's output, as the If/Loop models of exporters end.
    const model = ifLoop();
    const main = model.graph!;
    main.node.at(-1)!.output = ['looped'];
    main.node.push(makeNode('MatMul', ['looped', 'out.weight'], ['output'], { name: 'out_mm' }));
    main.initializer.push(makeFloatTensor('out.weight', [16, 16], new Float32Array(256).fill(0.25)));
    const unname = (g: GraphProto) => {
      for (const node of g.node) {
        node.name = '';
        for (const a of node.attribute) if (a.g) unname(a.g);
      }
    };
    unname(model.graph!);
    const input = path.join(tmp.dir, 'unnamed-subgraphs.onnx');
    const output = path.join(tmp.dir, 'unnamed-subgraphs.fp16.onnx');
    await saveModel(model, input);
    await quantizeModel({ input, output, method: 'fp16', common: {} });
    const d = await diffModels(input, output);
    const variant = (await loadModel(output)).proto.graph!;
    // The variant has the Casts the test is about: before the main graph's output and the bodies' outputs.
    expect(variant.node.at(-1)!.opType).toBe('Cast');
    expect(d.nodes.added.casts).toBeGreaterThan(0);
    const rows = [...d.nodes.list, ...d.nodes.subgraphList!];
    expect(rows.map((r) => [r.opType, r.change, r.variantOpType])).toEqual(
      ['MatMul', 'If', 'Loop', 'MatMul', 'MatMul', 'MatMul', 'MatMul', 'Tanh', 'Identity'].map((op) => [
        op,
        'kept',
        op,
      ]),
    );
    expect(d.nodes.added.other).toEqual({});
    expect(rows.filter((r) => r.opType === 'MatMul').map((r) => r.precision)).toEqual([
      'float16',
      'float16',
      'float16',
      'float16',
      'float16',
    ]);
    // Each body row says which node of the variant's graph it became, by its Graph view id.
    const byId = new Map<string, string>();
    const visit = (g: GraphProto, prefix: string) =>
      g.node.forEach((n, i) => {
        const id = prefix === '' ? String(i) : `${prefix}/${i}`;
        byId.set(id, n.opType);
        for (const a of n.attribute) if (a.g) visit(a.g, `${id}/${a.name}`);
      });
    visit(variant, '');
    for (const r of d.nodes.subgraphList!) expect(byId.get(r.variantId!)).toBe(r.opType);
  });
});

describe('diff of an int8-static variant of a conv net whose nodes have no names', () => {
  it('follows the data flow through the Q/DQ it inserted: kept nodes kept, the folded Relu fused into its Conv', async () => {
    // Matched by outputs alone, the second Conv (its output renamed: the Relu after it was folded into its
    // quantization) was "removed", the Relu "replaced" by that Conv, the Add (its output renamed `_prequant`
    // and given back by a DequantizeLinear) "replaced" by the DequantizeLinear, and the Add itself "added".
    const input = path.join(tmp.dir, 'unnamed-conv.onnx');
    const output = path.join(tmp.dir, 'unnamed-conv.int8-static.onnx');
    await saveModel(buildUnnamedConvNet(), input);
    await quantizeModel({
      input,
      output,
      method: 'int8-static',
      calibration: feedsSource(unnamedConvNetFeeds(4)),
    });
    const d = await diffModels(input, output);
    const variant = (await loadModel(output)).proto.graph!;
    expect(
      d.nodes.list.map((r) => [r.opType, r.change, r.variantOpType ?? r.fusedInto, r.precision]),
    ).toEqual([
      // The stem Conv reads the 3-channel input: int8-static keeps it float by default.
      ['Conv', 'kept', 'Conv', 'float32'],
      ['Relu', 'kept', 'Relu', 'float32'],
      ['Conv', 'kept', 'Conv', 'int8'],
      ['Relu', 'fused', 'Conv', undefined],
      ['Add', 'kept', 'Add', 'int8'],
      // Between a DequantizeLinear and a QuantizeLinear, but onnxruntime has no int8 ReduceMean: float, as explain says.
      ['ReduceMean', 'kept', 'ReduceMean', 'float32'],
      ['MatMul', 'kept', 'MatMul', 'int8'],
    ]);
    // Each row points at the variant node it became; the folded Relu at the Conv that took it.
    d.nodes.list.forEach((r) =>
      expect(variant.node[r.variantIndex!]!.opType).toBe(r.variantOpType ?? r.fusedInto),
    );
    expect(d.nodes.list[3]!.variantIndex).toBe(d.nodes.list[2]!.variantIndex);
    expect(d.nodes.added.other).toEqual({});
    expect(d.nodes.byChange).toEqual({ kept: 6, replaced: 0, fused: 1, removed: 0 });

    // What onnxruntime runs: the int8 rows are int8 kernels, the ReduceMean a float one (what explain profiles).
    const optimized = `${output}.optimized.onnx`;
    const session = await createSession(output, { optimizedModelFilePath: optimized, intraOpThreads: 1 });
    await session.release();
    const ops = (await loadModel(optimized)).proto.graph!.node.map((n) => n.opType);
    expect(ops).toEqual(expect.arrayContaining(['QLinearConv', 'QLinearAdd', 'ReduceMean']));
    expect(ops).not.toContain('Add');
  });
});

/**
 * The unnamed conv net with a BatchNormalization saved as `stem.onnx` (through an fp16 copy, `stem.fp16.onnx`, when
 * `viaFp16`) and its int8-static variant; the paths of the diff's two sides.
 */
async function convBnInt8Static(stem: string, viaFp16 = false): Promise<{ input: string; output: string }> {
  const source = path.join(tmp.dir, `${stem}.onnx`);
  await saveModel(buildUnnamedConvNet({ batchNorm: true }), source);
  const input = viaFp16 ? path.join(tmp.dir, `${stem}.fp16.onnx`) : source;
  if (viaFp16) await quantizeModel({ input: source, output: input, method: 'fp16', common: {} });
  const output = path.join(tmp.dir, `${stem}${viaFp16 ? '.fp16' : ''}.int8-static.onnx`);
  await quantizeModel({
    input,
    output,
    method: 'int8-static',
    calibration: feedsSource(unnamedConvNetFeeds(4)),
  });
  return { input, output };
}

describe('diff of an int8-static variant of a conv net with a BatchNormalization, nodes unnamed', () => {
  it('keeps the Conv the BatchNormalization was folded into, and fuses the BatchNormalization and the Relu', async () => {
    // The user test's cnn_bn: Conv -> BatchNormalization -> Relu read as "Conv removed, BatchNormalization
    // removed, Relu replaced -> Conv int8" (the folded Conv reads new weights, so its inputs matched nothing).
    const { input, output } = await convBnInt8Static('unnamed-conv-bn');
    const d = await diffModels(input, output);
    const rows = d.nodes.list.map((r) => [r.opType, r.change, r.variantOpType ?? r.fusedInto]);
    expect(rows.slice(2, 5)).toEqual([
      ['Conv', 'kept', 'Conv'],
      ['BatchNormalization', 'fused', 'Conv'],
      ['Relu', 'fused', 'Conv'],
    ]);
    expect(d.nodes.byChange.removed).toBe(0);
    expect(d.nodes.byChange.replaced).toBe(0);
  });
});

describe('diff of the weights onnxruntime folded a BatchNormalization into before int8-static quantized them', () => {
  // onnxruntime's pre-optimization folds the BatchNormalization into the Conv before it, naming the Conv's new
  // weight `ConvBnFusion_W_conv2.weight` and its bias `ConvBnFusion_BN_B_bn.bias`; int8-static then quantizes
  // those. conv2.weight read "removed" and its int8 tensor was counted among the added scales and zero points.
  const conv2Parts = ['_quantized', '_scale', '_zero_point'].map((s) => `ConvBnFusion_W_conv2.weight${s}`);
  const foldNote =
    /folded each BatchNormalization into the Conv before it: the 2 weights of those Convs that took it in \(conv2\.weight, bn\.bias; \S*ConvBnFusion_W_conv2\.weight_quantized\.\.\. in the variant\) count as 2 quantized, and the 4 weights folded into them \(conv2\.bias, bn\.scale, bn\.mean, \.\.\.\) as removed\.$/;

  it('reads the folded weight and bias as quantized, their int8 bytes theirs, the folded parameters removed', async () => {
    const { input, output } = await convBnInt8Static('conv-bn-fold');
    const d = await diffModels(input, output);
    const variant = (await loadModel(output)).proto.graph!;
    const row = (name: string) => d.weights.list.find((w) => w.name === name)!;
    expect(row('conv2.weight')).toMatchObject({
      change: 'quantized',
      variantDtype: 'int8',
      variantShape: [32, 16, 3, 3],
      variantNames: conv2Parts,
    });
    // Its bytes are the variant's int8 tensor with its scales and zero points.
    const stored = variant.initializer
      .filter((t) => conv2Parts.includes(t.name))
      .reduce((sum, t) => sum + t.rawData.length, 0);
    expect(row('conv2.weight').variantBytes).toBe(stored);
    expect(stored).toBeGreaterThan(32 * 16 * 9);
    expect(row('bn.bias')).toMatchObject({ change: 'quantized', variantDtype: 'int32' });
    expect(row('bn.bias').variantNames![0]).toBe('ConvBnFusion_BN_B_bn.bias_quantized');
    for (const name of ['conv2.bias', 'bn.scale', 'bn.mean', 'bn.var'])
      expect(row(name).change).toBe('removed');
    expect(d.weights.byChange).toMatchObject({ quantized: 4, unchanged: 2, removed: 4 });
    // Added: the activations' scales and zero points only.
    expect(d.weights.addedList!.map((w) => w.name).sort()).toEqual(
      ['relu1.out', 'relu2.out', 'shifted', 'pooled']
        .flatMap((v) => [`${v}_scale`, `${v}_zero_point`])
        .sort(),
    );
    expect(d.weights.addedList!.every((w) => w.quantization)).toBe(true);
    expect(d.notes).toEqual([expect.stringMatching(foldNote)]);
  });

  it('traces the weights and values onnxruntime cast to float32 in an fp16 model, and the Conv weight it folded', async () => {
    // On an fp16 model, onnxruntime also runs the nodes without a float16 kernel in float32 on
    // `InsertedPrecisionFreeCast_<x>`: no weight and few nodes of the fp16 model were found in its int8 variant.
    const { input, output } = await convBnInt8Static('conv-bn-fold-src', true);
    const d = await diffModels(input, output);
    const row = (name: string) => d.weights.list.find((w) => w.name === name)!;
    expect(row('conv2.weight')).toMatchObject({
      change: 'quantized',
      dtype: 'float16',
      variantDtype: 'int8',
      variantNames: conv2Parts.map((n) => `InsertedPrecisionFreeCast_${n}`),
    });
    expect(row('fc.weight').change).toBe('quantized');
    expect(d.match).toMatchObject({ weights: 10, weightsFound: 6 });
    expect(d.weights.addedList!.every((w) => w.quantization)).toBe(true);
    // The nodes onnxruntime runs in float32 there are named (unnamed: by op type) in a note of their own.
    expect(d.notes).toEqual([
      expect.stringMatching(foldNote),
      expect.stringMatching(
        /^3 nodes that computed in float16 compute in float32 in the variant \(Conv, Relu, ReduceMean\):/,
      ),
    ]);
    // The nodes behind those values: every Conv, Relu, Add, ReduceMean and MatMul found.
    const rows = d.nodes.list.map((r) => [r.opType, r.change, r.variantOpType ?? r.fusedInto]);
    expect(rows.filter((r) => r[0] !== 'Cast')).toEqual([
      ['Conv', 'kept', 'Conv'],
      ['Relu', 'kept', 'Relu'],
      ['Conv', 'kept', 'Conv'],
      ['BatchNormalization', 'fused', 'Conv'],
      ['Relu', 'fused', 'Conv'],
      ['Add', 'kept', 'Add'],
      ['ReduceMean', 'kept', 'ReduceMean'],
      ['MatMul', 'kept', 'MatMul'],
    ]);
    // Only the Cast of the float32 input to float16 is gone: the first Conv reads the input in float32 now.
    expect(d.nodes.list.filter((r) => r.change === 'removed').map((r) => r.opType)).toEqual(['Cast']);
    expect(d.nodes.byChange.removed).toBe(1);
  });

  it("traces onnxruntime's names back to the model's, `_token_N` where a name was taken", () => {
    const model = new Set(['w', 'b', 'x', 'y_token_3']);
    const has = (n: string) => model.has(n);
    expect(ortTensorSource('ConvBnFusion_W_w', has)).toEqual({ name: 'w', folded: 'BatchNormalization' });
    expect(ortTensorSource('ConvBnFusion_BN_B_b_token_12', has)).toEqual({
      name: 'b',
      folded: 'BatchNormalization',
    });
    expect(ortTensorSource('InsertedPrecisionFreeCast_ConvBnFusion_W_w', has)).toEqual({
      name: 'w',
      folded: 'BatchNormalization',
    });
    expect(ortTensorSource('ConvMulFusion_W_w', has)).toEqual({ name: 'w', folded: 'Mul' });
    expect(ortTensorSource('InsertedPrecisionFreeCast_x', has)).toEqual({ name: 'x' });
    // A model's own name ending in `_token_N` is kept; a token is dropped only for a step that may have added it.
    expect(ortTensorSource('InsertedPrecisionFreeCast_y_token_3', has)).toEqual({ name: 'y_token_3' });
    expect(ortTensorSource('InsertedPrecisionFreeCast_w_token_3_token_4', has)).toBeUndefined();
    expect(ortTensorSource('ConvBnFusion_W_', has)).toBeUndefined();
    expect(ortTensorSource('w', has)).toBeUndefined();
    expect(ortTensorSource('ConvBnFusion_W_other', has)).toBeUndefined();
  });
});

/** x -> MatMul(W1) -> Add(B1) -> Relu -> MatMul(W2) -> Add(B2) -> y, every node unnamed, as exporters leave them. */
function unnamedMlp(inputDims: number[]): ModelProto {
  const outDims = [...inputDims.slice(0, -1), 8];
  return makeModel(
    makeGraph('unnamed-mlp', {
      inputs: [makeValueInfo('x', FLOAT, inputDims)],
      outputs: [makeValueInfo('y', FLOAT, outDims)],
      initializers: [
        randomTensor('W1', [16, 32], 1, 0.25),
        randomTensor('B1', [32], 2, 0.1),
        randomTensor('W2', [32, 8], 3, 0.2),
        randomTensor('B2', [8], 4, 0.1),
      ],
      nodes: [
        makeNode('MatMul', ['x', 'W1'], ['t1']),
        makeNode('Add', ['t1', 'B1'], ['t2']),
        makeNode('Relu', ['t2'], ['t3']),
        makeNode('MatMul', ['t3', 'W2'], ['t4']),
        makeNode('Add', ['t4', 'B2'], ['y']),
      ],
    }),
  );
}

describe('diff of an int8-static variant of an MLP whose MatMul + Add became Gemms, nodes unnamed', () => {
  // onnxruntime's pre-optimization makes a Gemm of each MatMul + Add (2D input; a 3D one also gets a Reshape
  // before and after it), then the Relu is folded into the first Gemm's quantization. This read "MatMul
  // removed, Add removed, Relu now Gemm" and, with a 3D input, "Add now Reshape".
  it.each([
    ['2D', [1, 16]],
    ['3D', [1, 4, 16]],
  ])('calls each MatMul now a Gemm and its Add fused into it (%s input)', async (label, dims) => {
    const input = path.join(tmp.dir, `unnamed-mlp-${label}.onnx`);
    const output = path.join(tmp.dir, `unnamed-mlp-${label}.int8-static.onnx`);
    await saveModel(unnamedMlp(dims), input);
    const feeds = [0, 1, 2].map((i) => ({ x: randomOrtTensor(dims, 10 + i) }));
    await quantizeModel({ input, output, method: 'int8-static', calibration: feedsSource(feeds) });
    const d = await diffModels(input, output);
    const rows = d.nodes.list.map((r) => [r.opType, r.change, r.variantOpType ?? r.fusedInto]);
    expect(rows.filter((r) => r[0] === 'MatMul')).toEqual([
      ['MatMul', 'replaced', 'Gemm'],
      ['MatMul', 'replaced', 'Gemm'],
    ]);
    expect(rows.filter((r) => r[0] === 'Add').map((r) => r[1])).toEqual(['fused', 'fused']);
    expect(d.nodes.byChange.removed).toBe(0);
    expect(d.nodes.byPrecision.int8).toBe(2);
    // The Reshapes onnxruntime put around a Gemm of a 3D input are counted as added, not as a replaced Add.
    expect(d.nodes.added.other.Reshape ?? 0).toBe(label === '3D' ? 4 : 0);
  });
});

describe('diff precision of an int8-weight variant, as onnxruntime runs it', () => {
  it('calls the MatMul int8 (onnxruntime makes it a MatMulNBits) and the Gemm float32 (it stays a float Gemm)', async () => {
    const input = path.join(tmp.dir, 'mlp-w.onnx');
    const output = path.join(tmp.dir, 'mlp-w.int8-weight.onnx');
    await saveModel(buildMlp(), input);
    await quantizeModel({ input, output, method: 'int8-weight' });
    const d = await diffModels(input, output);
    const precision = (op: string) => d.nodes.list.find((r) => r.opType === op)!.precision;
    expect([precision('MatMul'), precision('Gemm')]).toEqual(['int8', 'float32']);
    const optimized = `${output}.optimized.onnx`;
    const session = await createSession(output, { optimizedModelFilePath: optimized, intraOpThreads: 1 });
    await session.release();
    const ops = (await loadModel(optimized)).proto.graph!.node.map((n) => n.opType);
    expect(ops).toContain('MatMulNBits');
    // The Gemm runs as a float kernel (Gemm or FusedGemm), not as an int8 QGemm.
    expect(ops.some((op) => op.endsWith('Gemm'))).toBe(true);
    expect(ops).not.toContain('QGemm');
  });
});
