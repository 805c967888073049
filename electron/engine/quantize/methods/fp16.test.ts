import fs from 'node:fs';
import path from 'node:path';
import { clone, create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  TensorProto_DataType as DT,
} from 'onnx-buf';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { float16ArrayToFloat32 } from '../../onnx/float16.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../../onnx/graph-build.js';
import { loadModel } from '../../onnx/load-model.js';
import { saveModel } from '../../onnx/save-model.js';
import { spillLimits } from '../../onnx/streamed-weights.js';
import { decodeTensor } from '../../onnx/tensor-codec.js';
import {
  buildCnn,
  buildConstantWeightModel,
  buildIfModel,
  buildMlp,
  buildSparseInitializerModel,
  makeGraph,
  makeModel,
  randomFloats,
} from '../../testing/model-fixtures.js';
import { makeTempDir } from '../../testing/temp-dir.js';
import { buildAttentionBlock } from '../../testing/transformer-fixtures.js';
import { quantizeModel } from '../quantize-model.js';
import type { QuantizeProgress } from '../quantize-method.js';
import { lastRecordedStep } from '../../testing/recorded-step.js';
import {
  buildSharedWeightMlp,
  expectAgreement,
  countOps,
  floatFeed,
  initializerBytes,
  quantizeInMemory,
  modelBytes,
  withOpset,
  cancellationErrors,
  runModel,
} from '../weight-only/test-support.js';
import { DEFAULT_FP16_BLOCK_LIST, fp16Method } from './fp16.js';

const method = fp16Method;

function elemType(
  model: ModelProto,
  list: 'input' | 'output' | 'valueInfo',
  name: string,
): number | undefined {
  const vi = model.graph![list].find((v) => v.name === name);
  const t = vi?.type?.value;
  return t?.case === 'tensorType' ? t.value.elemType : undefined;
}

function casts(model: ModelProto): NodeProto[] {
  return model.graph!.node.filter((n) => n.opType === 'Cast');
}

function castTo(node: NodeProto): number {
  return Number(node.attribute.find((a) => a.name === 'to')!.i);
}

function floatInitializers(model: ModelProto): number[] {
  return model.graph!.initializer.map((t) => t.dataType);
}

describe('fp16 on the fixtures', () => {
  const mlp = buildMlp({ inputSize: 64, hiddenSize: 256, outputSize: 16 });

  it('MLP: float16 weights and compute, float32 interface through Casts', async () => {
    const r = await quantizeInMemory(method, mlp);
    expect(r.quantizedNodes).toBe(4);
    expect(r.skippedNodes).toEqual([]);
    expect(floatInitializers(r.model).every((t) => t === DT.FLOAT16)).toBe(true);
    const g = r.model.graph!;
    expect(g.node.map((n) => n.opType)).toEqual(['Cast', 'Gemm', 'Relu', 'MatMul', 'Add', 'Cast']);
    expect(castTo(g.node[0]!)).toBe(DT.FLOAT16);
    expect(g.node[0]!.input[0]).toBe('input');
    expect(castTo(g.node[5]!)).toBe(DT.FLOAT);
    expect(g.node[5]!.output[0]).toBe('logits');
    expect(elemType(r.model, 'input', 'input')).toBe(DT.FLOAT);
    expect(elemType(r.model, 'output', 'logits')).toBe(DT.FLOAT);
    const ratio = initializerBytes(r.model) / initializerBytes(mlp);
    expect(ratio).toBeCloseTo(0.5, 3);
    await expectAgreement(mlp, r.model, floatFeed('input', [64, 64], 1), { minCosine: 0.999, classes: 16 });
  });

  it('IR < 4 models that list initializers as inputs: weights converted, input entries removed', async () => {
    const model = clone(ModelProtoSchema, mlp);
    model.irVersion = 3n;
    for (const t of model.graph!.initializer)
      model.graph!.input.push(makeValueInfo(t.name, DT.FLOAT, t.dims.map(Number)));
    const r = await quantizeInMemory(method, model);
    expect(r.model.graph!.input.map((i) => i.name)).toEqual(['input']);
    expect(r.notes.join('\n')).toMatch(/listed as graph inputs/);
    await expectAgreement(mlp, r.model, floatFeed('input', [16, 64], 13), { minCosine: 0.999, classes: 16 });
  });

  it('keepIoTypes false: float16 inputs and outputs, no Casts', async () => {
    const r = await quantizeInMemory(method, mlp, {}, { keepIoTypes: false });
    expect(casts(r.model)).toHaveLength(0);
    expect(elemType(r.model, 'input', 'input')).toBe(DT.FLOAT16);
    expect(elemType(r.model, 'output', 'logits')).toBe(DT.FLOAT16);
    expect(r.notes.join('\n')).not.toMatch(/kept float32/);
    // A model already in float16 has no float32 interface to keep: the note must not claim one.
    const again = await quantizeInMemory(method, r.model);
    expect(again.notes.join('\n')).not.toMatch(/kept float32/);
    expect((await quantizeInMemory(method, mlp)).notes.join('\n')).toMatch(
      /float32 inputs and outputs kept float32/,
    );
    await expectAgreement(mlp, r.model, floatFeed('input', [64, 64], 2), {
      minCosine: 0.999,
      classes: 16,
      quantizedFeed: floatFeed('input', [64, 64], 2, 'float16'),
    });
  });

  it('CNN, and the same CNN at opset 11', async () => {
    for (const opset of [17, 11]) {
      const cnn = withOpset(buildCnn({ batch: 8 }), opset);
      const r = await quantizeInMemory(method, cnn);
      expect(r.quantizedNodes).toBe(8);
      expect(r.model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', opset]]);
      await expectAgreement(cnn, r.model, floatFeed('input', [8, 3, 16, 16], 3), {
        minCosine: 0.999,
        classes: 10,
      });
    }
  });

  it('Constant-node weights: the Constant values become float16', async () => {
    const model = buildConstantWeightModel();
    const r = await quantizeInMemory(method, model);
    for (const c of r.model.graph!.node.filter((n) => n.opType === 'Constant')) {
      expect(c.attribute.find((a) => a.name === 'value')!.t!.dataType).toBe(DT.FLOAT16);
    }
    await expectAgreement(model, r.model, floatFeed('input', [32, 8], 4), { minCosine: 0.999, classes: 4 });
  });

  it('shared weight and sparse-initializer weight', async () => {
    const shared = buildSharedWeightMlp();
    const r = await quantizeInMemory(method, shared);
    expect(r.model.graph!.initializer.filter((t) => t.name.startsWith('shared.weight'))).toHaveLength(1);
    await expectAgreement(shared, r.model, floatFeed('input', [64, 64], 5), {
      minCosine: 0.999,
      classes: 16,
    });
    const sparse = buildSparseInitializerModel();
    const s = await quantizeInMemory(method, sparse);
    expect(s.model.graph!.sparseInitializer[0]!.values!.dataType).toBe(DT.FLOAT16);
    await expectAgreement(sparse, s.model, floatFeed('input', [16, 8], 5), { minCosine: 0.999 });
  });

  it('half-precision weights behind a Cast to float: the Casts fold into float16 weights', async () => {
    for (const [weightDtype, weightStorage] of [
      ['float16', 'initializer'],
      ['bfloat16', 'constant-node'],
    ] as const) {
      const model = buildAttentionBlock({ weightDtype, weightStorage, batch: 2, seq: 8 });
      const r = await quantizeInMemory(method, model);
      // Only the interface Casts remain.
      expect(casts(r.model).map((c) => c.output[0])).toEqual(['input_fp16', 'logits']);
      expect(r.model.graph!.node.some((n) => n.opType === 'Constant')).toBe(false);
      expect(floatInitializers(r.model).filter((t) => t === DT.FLOAT || t === DT.BFLOAT16)).toEqual([]);
      expect(r.notes.join('\n')).toMatch(/Casts of half-precision weights were folded/);
      await expectAgreement(model, r.model, floatFeed('input', [2, 8, 64], 6), {
        minCosine: 0.999,
        classes: 16,
      });
    }
  });

  it('attention block at opset 11 (decomposed LayerNorm) and 17 (LayerNormalization)', async () => {
    for (const opset of [11, 17]) {
      const model = buildAttentionBlock({ opset, batch: 2, seq: 8 });
      const r = await quantizeInMemory(method, model);
      expect(r.skippedNodes).toEqual([]);
      await expectAgreement(model, r.model, floatFeed('input', [2, 8, 64], 7), {
        minCosine: 0.999,
        classes: 16,
      });
    }
  });

  it('blocked ops stay float32 with Casts around them and are reported', async () => {
    // input -> MatMul -> CumSum -> Relu -> MatMul -> TopK(values) -> output
    const graph = create(GraphProtoSchema, {
      name: 'blocked',
      input: [makeValueInfo('x', DT.FLOAT, ['b', 32])],
      output: [makeValueInfo('y', DT.FLOAT, ['b', 8])],
      initializer: [
        makeFloatTensor('w1', [32, 32], randomFloats(1024, 1, 0.2)),
        makeFloatTensor('w2', [32, 16], randomFloats(512, 2, 0.2)),
        makeInt64Tensor('axis', [], [1]),
        makeInt64Tensor('k', [1], [8]),
      ],
      node: [
        makeNode('MatMul', ['x', 'w1'], ['h'], { name: 'mm1' }),
        makeNode('CumSum', ['h', 'axis'], ['c'], { name: 'cumsum' }),
        makeNode('Relu', ['c'], ['r'], { name: 'relu' }),
        makeNode('MatMul', ['r', 'w2'], ['m'], { name: 'mm2' }),
        makeNode('TopK', ['m', 'k'], ['y', 'idx'], { name: 'topk' }),
      ],
    });
    const model = makeModel(graph);
    const r = await quantizeInMemory(method, model);
    expect(r.skippedNodes.map((s) => [s.name, s.reason])).toEqual([
      ['cumsum', 'in the default float16 block list'],
      ['topk', 'in the default float16 block list'],
    ]);
    const byName = (n: string) => r.model.graph!.node.find((x) => x.name === n)!;
    const producerOf = (v: string) => r.model.graph!.node.find((x) => x.output.includes(v))!;
    // CumSum reads a float32 Cast of mm1's float16 output, and Relu a float16 Cast of CumSum's output.
    expect(castTo(producerOf(byName('cumsum').input[0]!))).toBe(DT.FLOAT);
    expect(castTo(producerOf(byName('relu').input[0]!))).toBe(DT.FLOAT16);
    expect(castTo(producerOf(byName('topk').input[0]!))).toBe(DT.FLOAT);
    // TopK produces the float32 graph output itself: no Cast after it.
    expect(byName('topk').output[0]).toBe('y');
    await expectAgreement(model, r.model, floatFeed('x', [16, 32], 8), { minCosine: 0.999 });
    expect(DEFAULT_FP16_BLOCK_LIST).toEqual(
      expect.arrayContaining(['Resize', 'TopK', 'NonMaxSuppression', 'Range', 'CumSum']),
    );
  });

  it('honours blockOpTypes, --exclude-nodes and --op-types', async () => {
    const cnn = buildCnn({ batch: 4 });
    const r = await quantizeInMemory(method, cnn, { excludeNodes: ['conv2'] }, { blockOpTypes: ['Gemm'] });
    expect(r.skippedNodes).toEqual([
      { name: 'conv2', opType: 'Conv', reason: 'excluded by --exclude-nodes', option: '--exclude-nodes' },
      { name: 'fc', opType: 'Gemm', reason: 'in the block list (blockOpTypes)' },
    ]);
    const types = Object.fromEntries(r.model.graph!.initializer.map((t) => [t.name, t.dataType]));
    expect(types['conv1.weight']).toBe(DT.FLOAT16);
    expect(types['conv2.weight']).toBe(DT.FLOAT);
    expect(types['fc.weight']).toBe(DT.FLOAT);
    await expectAgreement(cnn, r.model, floatFeed('input', [4, 3, 16, 16], 9), {
      minCosine: 0.999,
      classes: 10,
    });
    const only = await quantizeInMemory(method, cnn, { opTypes: ['Conv', 'Relu'] });
    expect(only.quantizedNodes).toBe(4);
    expect(only.skippedNodes.every((s) => s.reason === 'not in --op-types')).toBe(true);
    await expectAgreement(cnn, only.model, floatFeed('input', [4, 3, 16, 16], 9), {
      minCosine: 0.999,
      classes: 10,
    });
  });

  it('values beyond the float16 range are clamped and counted', async () => {
    const w = randomFloats(64, 3, 1);
    w[0] = 1e6;
    w[5] = -7e4;
    const graph = create(GraphProtoSchema, {
      name: 'big',
      input: [makeValueInfo('x', DT.FLOAT, [1, 8])],
      output: [makeValueInfo('y', DT.FLOAT, [1, 8])],
      initializer: [makeFloatTensor('w', [8, 8], w)],
      node: [makeNode('MatMul', ['x', 'w'], ['y'])],
    });
    const r = await quantizeInMemory(method, makeModel(graph));
    expect(r.notes.join('\n')).toMatch(
      /2 values beyond the float16 range were clamped to ±65504 in 1 tensors \(w\)/,
    );
    const half = float16ArrayToFloat32(decodeTensor(r.model.graph!.initializer[0]!).values as Uint16Array);
    expect(half[0]).toBe(65504);
    expect(half[5]).toBe(-65504);
  });

  it('float-typed attributes and shape math: ConstantOfShape value, Cast to, value_info', async () => {
    // x [2, 8] float, ids [2, 8] int64:
    //   bias = ConstantOfShape([2, 8], value = 0.25 float);  idsf = Cast(ids, to = FLOAT)
    //   h = MatMul(x + bias + idsf * 0.01, w)
    //   n = Cast(Mul(Cast(Shape(h), FLOAT), 1.0), INT64) -- shape math: stays float32
    //   y = Reshape(h, n)
    const graph = create(GraphProtoSchema, {
      name: 'attrs',
      input: [makeValueInfo('x', DT.FLOAT, [2, 8]), makeValueInfo('ids', DT.INT64, [2, 8])],
      output: [makeValueInfo('y', DT.FLOAT, [2, 8])],
      valueInfo: [makeValueInfo('h', DT.FLOAT, [2, 8]), makeValueInfo('shape_f', DT.FLOAT, [2])],
      initializer: [
        makeInt64Tensor('shape', [2], [2, 8]),
        makeFloatTensor('w', [8, 8], randomFloats(64, 4, 0.3)),
        makeFloatTensor('scale', [], [0.01]),
        makeFloatTensor('one', [], [1]),
      ],
      node: [
        makeNode('ConstantOfShape', ['shape'], ['bias'], {
          name: 'cos',
          attributes: { value: { tensor: makeFloatTensor('', [1], [0.25]) } },
        }),
        makeNode('Cast', ['ids'], ['idsf'], { name: 'cast_ids', attributes: { to: { int: DT.FLOAT } } }),
        makeNode('Mul', ['idsf', 'scale'], ['idss'], { name: 'mul_ids' }),
        makeNode('Add', ['x', 'bias'], ['a1'], { name: 'add1' }),
        makeNode('Add', ['a1', 'idss'], ['a2'], { name: 'add2' }),
        makeNode('MatMul', ['a2', 'w'], ['h'], { name: 'mm' }),
        makeNode('Shape', ['h'], ['shape_i'], { name: 'shape_of' }),
        makeNode('Cast', ['shape_i'], ['shape_f'], {
          name: 'shape_to_float',
          attributes: { to: { int: DT.FLOAT } },
        }),
        makeNode('Mul', ['shape_f', 'one'], ['shape_m'], { name: 'shape_mul' }),
        makeNode('Cast', ['shape_m'], ['n'], { name: 'shape_to_int', attributes: { to: { int: DT.INT64 } } }),
        makeNode('Reshape', ['h', 'n'], ['y'], { name: 'reshape' }),
      ],
    });
    const model = makeModel(graph);
    const r = await quantizeInMemory(method, model);
    const byName = (n: string) => r.model.graph!.node.find((x) => x.name === n)!;
    expect(byName('cos').attribute[0]!.t!.dataType).toBe(DT.FLOAT16);
    expect(castTo(byName('cast_ids'))).toBe(DT.FLOAT16);
    expect(castTo(byName('shape_to_float'))).toBe(DT.FLOAT);
    expect(r.skippedNodes.map((s) => s.name).sort()).toEqual(['shape_mul', 'shape_to_float', 'shape_to_int']);
    expect(r.skippedNodes[0]!.reason).toMatch(/shape math/);
    expect(elemType(r.model, 'valueInfo', 'h')).toBe(DT.FLOAT16);
    expect(elemType(r.model, 'valueInfo', 'shape_f')).toBe(DT.FLOAT);
    const ids = new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i)),
      [2, 8],
    );
    await expectAgreement(model, r.model, { ...floatFeed('x', [2, 8], 10), ids }, { minCosine: 0.999 });
  });

  it('a position embedding (a Gather of a float table at Range(Shape) positions) is converted; shape math is not', async () => {
    // ids [1, seq] int64:  h = Gather(tok_emb, ids) + Gather(pos_emb, Range(0, Shape(ids)[1], 1));  y = MatMul(h, w)
    //   seq_f = Gather(Cast(Shape(ids), FLOAT), 1) -- shape math: a float computed from sizes, stays float32
    const initializer = (name: string, dims: number[], seed: number) =>
      makeFloatTensor(name, dims, randomFloats(dims[0]! * dims[1]!, seed, 0.5));
    const graph = create(GraphProtoSchema, {
      name: 'positions',
      input: [makeValueInfo('ids', DT.INT64, [1, 'seq'])],
      output: [makeValueInfo('y', DT.FLOAT, [1, 'seq', 4]), makeValueInfo('seq_f', DT.FLOAT, [])],
      initializer: [
        initializer('tok_emb', [20, 8], 1),
        initializer('pos_emb', [16, 8], 2),
        initializer('w', [8, 4], 3),
        makeInt64Tensor('zero', [], [0]),
        makeInt64Tensor('one', [], [1]),
      ],
      node: [
        makeNode('Gather', ['tok_emb', 'ids'], ['tok'], { name: 'tok' }),
        makeNode('Shape', ['ids'], ['shape'], { name: 'shape_of' }),
        makeNode('Gather', ['shape', 'one'], ['len'], { name: 'seq_len' }),
        makeNode('Range', ['zero', 'len', 'one'], ['positions'], { name: 'positions' }),
        makeNode('Gather', ['pos_emb', 'positions'], ['pe'], { name: 'pos' }),
        makeNode('Add', ['tok', 'pe'], ['h'], { name: 'embed' }),
        makeNode('MatMul', ['h', 'w'], ['y'], { name: 'head' }),
        makeNode('Cast', ['shape'], ['shape_f'], {
          name: 'shape_to_float',
          attributes: { to: { int: DT.FLOAT } },
        }),
        makeNode('Gather', ['shape_f', 'one'], ['seq_f'], { name: 'size_pick' }),
      ],
    });
    const model = makeModel(graph);
    const r = await quantizeInMemory(method, model);
    const table = r.model.graph!.initializer.find((t) => t.name === 'pos_emb')!;
    expect(table.dataType).toBe(DT.FLOAT16);
    expect(r.skippedNodes.map((s) => s.name).sort()).toEqual(['shape_to_float', 'size_pick']);
    expect(r.skippedNodes.every((s) => /shape math/.test(s.reason))).toBe(true);
    const ids = new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: 12 }, (_, i) => BigInt((i * 7) % 20)),
      [1, 12],
    );
    await expectAgreement(model, r.model, { ids }, { minCosine: 0.999 });
    const [before, after] = [await runModel(model, { ids }), await runModel(r.model, { ids })];
    expect([...after.seq_f!]).toEqual([...before.seq_f!]);
    expect([...after.seq_f!]).toEqual([12]);
  });

  it('If: the branches compute in float16 and read the float16 values they capture as they are', async () => {
    const model = buildIfModel();
    const r = await quantizeInMemory(method, model);
    expect(r.skippedNodes).toEqual([]);
    expect(r.quantizedNodes).toBe(4);
    expect(floatInitializers(r.model).every((t) => t === DT.FLOAT16)).toBe(true);
    const branch = r.model.graph!.node.find((n) => n.name === 'branch')!;
    const [thenBranch, elseBranch] = branch.attribute.map((a) => a.g!);
    expect(thenBranch!.node.map((n) => [n.opType, n.input])).toEqual([
      ['MatMul', ['hidden', 'shared.weight']],
      ['Cast', ['then.out_fp16']],
    ]);
    expect(elseBranch!.output[0]!.name).toBe('else.out');
    expect(castTo(elseBranch!.node[1]!)).toBe(DT.FLOAT);
    const feed = floatFeed('input', [8, 4], 11);
    for (const cond of [true, false])
      await expectAgreement(
        model,
        r.model,
        { ...feed, cond: new ort.Tensor('bool', [cond ? 1 : 0], []) },
        { minCosine: 0.999 },
      );
  });

  it('If in blockOpTypes: the node and its branches stay float32; captured values get Casts', async () => {
    const model = buildIfModel();
    const r = await quantizeInMemory(method, model, {}, { blockOpTypes: ['If'] });
    expect(r.skippedNodes).toEqual([
      {
        name: 'branch',
        opType: 'If',
        reason: 'in the block list (blockOpTypes); kept in float32 with its subgraphs',
      },
    ]);
    const branch = r.model.graph!.node.find((n) => n.name === 'branch')!;
    const thenBranch = branch.attribute.find((a) => a.name === 'then_branch')!.g!;
    const captured = thenBranch.node[0]!.input[0]!;
    expect(captured).not.toBe('hidden');
    expect(castTo(r.model.graph!.node.find((n) => n.output[0] === captured)!)).toBe(DT.FLOAT);
    expect(r.notes.join('\n')).toMatch(/kept in float32 with its subgraphs/);
    const feed = floatFeed('input', [8, 4], 11);
    for (const cond of [true, false])
      await expectAgreement(
        model,
        r.model,
        { ...feed, cond: new ort.Tensor('bool', [cond ? 1 : 0], []) },
        { minCosine: 0.999 },
      );
  });

  it('an If kept float32 by a block list is skipped when only its branches compute in float', async () => {
    // The If reads a bool and an int64 and gives int64: its own interface holds no float, its then-branch does.
    const thenBranch = makeGraph('then_branch', {
      inputs: [],
      outputs: [makeValueInfo('then.out', DT.INT64, [4])],
      initializers: [makeFloatTensor('then.scale', [4], Float32Array.of(0.5, 1.5, 2, 3))],
      nodes: [
        makeNode('Cast', ['n'], ['then.f'], { name: 'then_to_float', attributes: { to: { int: DT.FLOAT } } }),
        makeNode('Mul', ['then.f', 'then.scale'], ['then.m'], { name: 'then_scale' }),
        makeNode('Cast', ['then.m'], ['then.out'], {
          name: 'then_to_int',
          attributes: { to: { int: DT.INT64 } },
        }),
      ],
    });
    const elseBranch = makeGraph('else_branch', {
      inputs: [],
      outputs: [makeValueInfo('else.out', DT.INT64, [4])],
      nodes: [makeNode('Identity', ['n'], ['else.out'], { name: 'else_id' })],
    });
    const model = makeModel(
      makeGraph('int_if', {
        inputs: [makeValueInfo('n', DT.INT64, [4]), makeValueInfo('cond', DT.BOOL, [])],
        outputs: [makeValueInfo('y', DT.INT64, [4])],
        nodes: [
          makeNode('If', ['cond'], ['y'], {
            name: 'int_branch',
            attributes: { then_branch: { graph: thenBranch }, else_branch: { graph: elseBranch } },
          }),
        ],
      }),
    );
    // Unblocked, the then-branch's Mul computes in float16: there is float work in the If.
    expect((await quantizeInMemory(method, model)).quantizedNodes).toBeGreaterThan(0);
    const r = await quantizeInMemory(method, model, {}, { blockOpTypes: ['If'] });
    expect(r.skippedNodes).toEqual([
      {
        name: 'int_branch',
        opType: 'If',
        reason: 'in the block list (blockOpTypes); kept in float32 with its subgraphs',
      },
    ]);
    expect(r.notes.join('\n')).toMatch(/1 node with subgraphs \(If\/Loop\/Scan\) was kept in float32 with its subgraphs/);
    // A holder whose bodies hold no float at all is not listed: nothing of it would have changed.
    const intOnly = makeModel(
      makeGraph('int_only_if', {
        inputs: [makeValueInfo('n', DT.INT64, [4]), makeValueInfo('cond', DT.BOOL, [])],
        outputs: [makeValueInfo('y', DT.INT64, [4])],
        nodes: [
          makeNode('If', ['cond'], ['y'], {
            name: 'int_branch',
            attributes: { then_branch: { graph: elseBranch }, else_branch: { graph: elseBranch } },
          }),
        ],
      }),
    );
    expect((await quantizeInMemory(method, intOnly, {}, { blockOpTypes: ['If'] })).skippedNodes).toEqual([]);
  });

  it('reports progress and stops on cancellation', async () => {
    const seen: QuantizeProgress[] = [];
    const cnn = buildCnn();
    await quantizeInMemory(method, cnn, {}, {}, { onProgress: (p) => seen.push(p) });
    // Deciding the 8 nodes, then converting the weights, counted in float32 bytes, to the end.
    expect(seen.filter((p) => p.phase === 'analysing').at(-1)).toEqual({
      phase: 'analysing',
      done: 8,
      total: 8,
    });
    const floatBytes = cnn.graph!.initializer.reduce(
      (n, t) => n + (t.dataType === DT.FLOAT ? t.rawData.byteLength : 0),
      0,
    );
    expect(seen.at(-1)).toEqual({ phase: 'converting', done: floatBytes, total: floatBytes });
    const converting = seen.filter((p) => p.phase === 'converting').map((p) => p.done);
    expect(converting).toEqual([...converting].sort((a, b) => a - b));
    for (const error of await cancellationErrors(method, buildCnn(), 2)) {
      expect(error).toMatchObject({ code: 'CANCELLED' });
    }
  });
});

describe('fp16 through quantizeModel', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it('writes a half-size model that runs, with the recipe in metadata_props', async () => {
    const model = buildCnn({ batch: 4 });
    const input = path.join(tmp.dir, 'cnn.onnx');
    const output = path.join(tmp.dir, 'cnn.fp16.onnx');
    fs.writeFileSync(input, modelBytes(model));
    const report = await quantizeModel({
      input,
      output,
      method: 'fp16',
      options: { blockOpTypes: ['Gemm'] },
    });
    expect(report.quantizedNodes).toBe(7);
    expect(report.outputBytes).toBeLessThan(report.inputBytes * 0.75);
    const loaded = await loadModel(output);
    const recipe = lastRecordedStep(loaded.proto);
    expect(recipe).toMatchObject({ method: 'fp16', options: { keepIoTypes: true, blockOpTypes: ['Gemm'] } });
    await expectAgreement(model, loaded.proto, floatFeed('input', [4, 3, 16, 16], 12), {
      minCosine: 0.999,
      classes: 10,
    });
    await expect(
      quantizeModel({ input, output: `${output}2`, method: 'fp16', options: { keepIoTypes: 'no' } }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(countOps(loaded.proto, 'Cast')).toBeGreaterThan(0);
  });
});

/*
 * A model whose weights are large enough to be converted in several chunks each (2 Mi values per weight), with its
 * weights in external data, so the run streams them and spills what it converts to a scratch file beside the
 * output: what a user test cancelled in the app, where the conversion ignored the cancel until the task process
 * was killed, leaving the scratch file.
 */
describe('fp16 of a large model with external data', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let input: string;
  const defaults = { ...spillLimits };
  const weightBytes = 2048 * 1024 * 4;
  beforeAll(async () => {
    tmp = makeTempDir();
    input = path.join(tmp.dir, 'in', 'mlp.onnx');
    fs.mkdirSync(path.dirname(input));
    const model = buildMlp({ inputSize: 1024, hiddenSize: 2048, outputSize: 1024 });
    await saveModel(model, input, { externalData: { thresholdBytes: 1024 } });
  });
  afterAll(() => tmp.cleanup());
  afterEach(() => Object.assign(spillLimits, defaults));

  const outDir = (name: string): string => {
    const dir = path.join(tmp.dir, name);
    fs.mkdirSync(dir);
    return dir;
  };
  const scratchFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.includes('.weights.'));

  it('reports the conversion by bytes, within each large weight', async () => {
    const seen: QuantizeProgress[] = [];
    const dir = outDir('progress');
    await quantizeModel({
      input,
      output: path.join(dir, 'out.onnx'),
      method: 'fp16',
      onProgress: (p) => seen.push(p),
    });
    const converting = seen.filter((p) => p.phase === 'converting');
    const total = 2 * weightBytes + (2048 + 1024) * 4;
    expect(converting.at(-1)).toEqual({ phase: 'converting', done: total, total });
    // Each weight in two steps (1 Mi values each): the bar moves within a weight, not only between them.
    expect(converting.map((p) => p.done)).toEqual(expect.arrayContaining([weightBytes / 2, weightBytes]));
  });

  it('stops within a large weight when cancelled, leaving no output and no scratch file', async () => {
    // Every converted weight spilled to the scratch file at once.
    Object.assign(spillLimits, { everyReadBytes: 1, pendingBytes: 1, minBytes: 1 });
    const dir = outDir('cancelled');
    const controller = new AbortController();
    let scratchAtCancel: string[] = [];
    let scratchBytes = 0;
    const done: number[] = [];
    const run = quantizeModel({
      input,
      output: path.join(dir, 'out.onnx'),
      method: 'fp16',
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase !== 'converting') return;
        done.push(p.done);
        // Halfway through the second weight: the first one's float16 copy is in the scratch file.
        if (p.done > weightBytes + 2048 * 4 && !controller.signal.aborted) {
          scratchAtCancel = scratchFiles(dir);
          scratchBytes = fs.statSync(path.join(dir, scratchAtCancel[0]!)).size;
          controller.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED', message: 'Quantization was cancelled.' });
    expect(scratchAtCancel).toHaveLength(1);
    // The first weight and its bias in float16, once: the tensor whose data went into the initializer is not
    // written too (it was, which made a cancelled job's scratch file larger than the finished model).
    expect(scratchBytes).toBe(weightBytes / 2 + 2048 * 2);
    expect(fs.readdirSync(dir)).toEqual([]);
    // Not one more step after the cancel.
    expect(done.at(-1)).toBeLessThan(2 * weightBytes);
  });

  it('lands a cancel from outside (a Ctrl+C, a job Cancel) within the conversion', async () => {
    Object.assign(spillLimits, { everyReadBytes: 1, pendingBytes: 1, minBytes: 1 });
    const dir = outDir('cancelled-from-outside');
    const controller = new AbortController();
    let abortedAt: number | undefined;
    let last = 0;
    const run = quantizeModel({
      input,
      output: path.join(dir, 'out.onnx'),
      method: 'fp16',
      signal: controller.signal,
      onProgress: (p) => {
        // From the first chunk of a weight converted on.
        if (p.phase !== 'converting' || p.done < weightBytes / 2) return;
        last = p.done;
        // A cancel that arrives as an event, as a signal or a message does, while each step takes 30 ms.
        if (abortedAt === undefined) {
          abortedAt = -1;
          setTimeout(() => {
            abortedAt = performance.now();
            controller.abort();
          }, 0);
        }
        const until = performance.now() + 30;
        while (performance.now() < until);
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    const stoppedAfter = performance.now() - abortedAt!;
    expect(abortedAt).toBeGreaterThan(0);
    // What proves the cancel landed within the conversion is the progress: no step of the next weight. The time is a
    // loose bound only (a loaded CI machine can stall any process for a while).
    expect(stoppedAfter).toBeLessThan(5_000);
    expect(last).toBeLessThan(2 * weightBytes);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
