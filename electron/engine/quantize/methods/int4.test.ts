import fs from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, type ModelProto, type NodeProto, TensorProto_DataType as DT } from 'onnx-buf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeAttribute,
  makeFloatTensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../../onnx/graph-build.js';
import { loadModel } from '../../onnx/load-model.js';
import {
  buildCnn,
  buildConstantWeightModel,
  buildMlp,
  makeGraph,
  makeModel,
  randomFloats,
} from '../../testing/model-fixtures.js';
import { awkwardModelFiles } from '../../testing/awkward-models.js';
import { makeTempDir } from '../../testing/temp-dir.js';
import { buildAttentionBlock } from '../../testing/transformer-fixtures.js';
import { buildKvCacheLm } from '../../testing/kv-cache-lm.js';
import { quantizeModel } from '../quantize-model.js';
import { lastRecordedStep } from '../../testing/recorded-step.js';
import {
  type WeightLayout,
  dequantizeBlockwise4Bit,
  quantizeBlockwise4Bit,
} from '../weight-only/int4-kernel.js';
import { simdAvailable } from '../weight-only/simd-kernels.js';
import {
  buildFloat16Mlp,
  buildSharedWeightMlp,
  expectAgreement,
  countOps,
  floatFeed,
  initializerBytes,
  modelBytes,
  quantizeInMemory,
  runModel,
  seededValues,
  cancellationErrors,
} from '../weight-only/test-support.js';
import { int4Method } from './int4.js';

const method = int4Method;

function attrs(node: NodeProto): Record<string, number> {
  return Object.fromEntries(node.attribute.map((a) => [a.name, Number(a.i)]));
}

function init(model: ModelProto, name: string) {
  const t = model.graph!.initializer.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
}

function nbits(model: ModelProto): NodeProto[] {
  return model.graph!.node.filter((n) => n.opType === 'MatMulNBits');
}

/** A one-node MatMulNBits model over a quantized [K, N] weight. */
function nbitsModel(
  q: ReturnType<typeof quantizeBlockwise4Bit>,
  K: number,
  N: number,
  blockSize: number,
  accuracyLevel: number,
): ModelProto {
  const inputs = ['A', 'B', 'scales'];
  const initializer = [
    makeRawTensor('B', DT.UINT8, [N, q.kBlocks, q.blobSize], q.packed),
    makeFloatTensor('scales', [N * q.kBlocks], q.scales),
  ];
  if (q.zeroPoints) {
    inputs.push('zp');
    initializer.push(makeRawTensor('zp', DT.UINT8, [q.zeroPoints.length], q.zeroPoints));
  }
  const node = makeNode('MatMulNBits', inputs, ['Y'], {
    domain: 'com.microsoft',
    attributes: {
      K: { int: K },
      N: { int: N },
      bits: { int: 4 },
      block_size: { int: blockSize },
      accuracy_level: { int: accuracyLevel },
    },
  });
  const model = makeModel(
    create(GraphProtoSchema, {
      name: 'nbits',
      node: [node],
      input: [makeValueInfo('A', DT.FLOAT, ['m', K])],
      output: [makeValueInfo('Y', DT.FLOAT, ['m', N])],
      initializer,
    }),
  );
  model.opsetImport.push({ ...model.opsetImport[0]!, domain: 'com.microsoft', version: 1n });
  return model;
}

describe('block-wise 4-bit kernel', () => {
  for (const [K, N, blockSize] of [
    [64, 8, 32],
    [100, 6, 32], // K padded to 128: 4 blocks
    [70, 5, 32], // 3 blocks: odd count, zero points padded per column
    [96, 3, 16],
    [200, 4, 128],
  ] as const) {
    for (const symmetric of [true, false]) {
      it(`K=${K} N=${N} block ${blockSize} ${symmetric ? 'symmetric' : 'asymmetric'}: layout and values as onnxruntime reads them`, async () => {
        const w = seededValues(K * N, K + N, 0.5);
        const q = quantizeBlockwise4Bit(w, { K, N, layout: 'KN', blockSize, symmetric });
        const kBlocks = Math.ceil(K / blockSize);
        expect(q.packed.length).toBe(N * kBlocks * (blockSize / 2));
        expect(q.scales.length).toBe(N * kBlocks);
        expect(q.zeroPoints?.length).toBe(symmetric ? undefined : N * Math.ceil(kBlocks / 2));
        const deq = dequantizeBlockwise4Bit(q, K, N, blockSize);
        // Round-to-nearest: every error within one step of its block (half a step except where clamped).
        for (let k = 0; k < K; k++) {
          for (let n = 0; n < N; n++) {
            const step = Math.abs(q.scales[n * kBlocks + Math.floor(k / blockSize)]!);
            expect(Math.abs(deq[k * N + n]! - w[k * N + n]!)).toBeLessThanOrEqual(step * 1.0001);
          }
        }
        // onnxruntime's MatMulNBits (accuracy_level 0: exact float compute) equals A x dequantized B.
        const M = 3;
        const a = seededValues(M * K, 7);
        const out = (
          await runModel(nbitsModel(q, K, N, blockSize, 0), { A: new ort.Tensor('float32', a, [M, K]) })
        ).Y!;
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let ref = 0;
            for (let k = 0; k < K; k++) ref += a[m * K + k]! * deq[k * N + n]!;
            expect(out[m * N + n]!).toBeCloseTo(ref, 4);
          }
        }
      });
    }
  }

  for (const [K, N, blockSize] of [
    [512, 64, 32], // 16 full blocks
    [200, 48, 32], // 6 full blocks and a partial one
    [300, 1040, 128], // wide: 1040 columns, 2 full blocks + partial
    [64, 16, 16],
  ] as const) {
    for (const symmetric of [true, false]) {
      it.skipIf(!simdAvailable())(
        `SIMD agrees with the JS loops: K=${K} N=${N} block ${blockSize} ${symmetric ? 'sym' : 'asym'}`,
        () => {
          const w = seededValues(K * N, K * 7 + N, 0.4);
          const js = quantizeBlockwise4Bit(w, { K, N, layout: 'KN', blockSize, symmetric, backend: 'js' });
          const simd = quantizeBlockwise4Bit(w, {
            K,
            N,
            layout: 'KN',
            blockSize,
            symmetric,
            backend: 'simd',
          });
          expect(simd.scales).toEqual(js.scales);
          expect(simd.zeroPoints).toEqual(js.zeroPoints);
          let differing = 0;
          for (let i = 0; i < js.packed.length; i++) if (js.packed[i] !== simd.packed[i]) differing++;
          expect(differing).toBeLessThanOrEqual(Math.max(1, js.packed.length * 1e-4));
        },
      );
    }
  }

  it('the [N, K] layout (Gemm transB = 1) gives the same blocks as [K, N]', () => {
    const K = 100;
    const N = 6;
    const w = seededValues(K * N, 3);
    const t = new Float32Array(K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) t[n * K + k] = w[k * N + n]!;
    for (const symmetric of [true, false]) {
      const kn = quantizeBlockwise4Bit(w, {
        K,
        N,
        layout: 'KN' as WeightLayout,
        blockSize: 32,
        symmetric,
        backend: 'js',
      });
      const nk = quantizeBlockwise4Bit(t, {
        K,
        N,
        layout: 'NK' as WeightLayout,
        blockSize: 32,
        symmetric,
        backend: 'js',
      });
      expect(nk.packed).toEqual(kn.packed);
      expect(nk.scales).toEqual(kn.scales);
      expect(nk.zeroPoints).toEqual(kn.zeroPoints);
    }
  });

  it('symmetric maps the block value of largest magnitude to -8 (scale = -vmax / 8)', () => {
    const w = new Float32Array(32).fill(0.25);
    w[3] = -2;
    const q = quantizeBlockwise4Bit(w, { K: 32, N: 1, layout: 'KN', blockSize: 32, symmetric: true });
    expect(q.scales[0]).toBe(0.25);
    expect(q.packed[1]! >> 4).toBe(0); // element 3: -2 / 0.25 + 8 = 0
    expect(dequantizeBlockwise4Bit(q, 32, 1, 32)[3]).toBe(-2);
  });
});

describe('int4 on the fixtures', () => {
  const mlp = buildMlp({ inputSize: 256, hiddenSize: 256, outputSize: 16 });

  it('MLP: Gemm (transB = 1) and MatMul become MatMulNBits', async () => {
    const r = await quantizeInMemory(method, mlp);
    expect(r.quantizedNodes).toBe(2);
    expect(r.skippedNodes).toEqual([]);
    const g = r.model.graph!;
    expect(g.node.map((n) => n.opType)).toEqual(['MatMulNBits', 'Relu', 'MatMulNBits', 'Add']);
    const [fc1, fc2] = nbits(r.model);
    expect(fc1!.name).toBe('fc1');
    expect(fc1!.domain).toBe('com.microsoft');
    expect(attrs(fc1!)).toEqual({ K: 256, N: 256, bits: 4, block_size: 32, accuracy_level: 4 });
    expect(attrs(fc2!)).toEqual({ K: 256, N: 16, bits: 4, block_size: 32, accuracy_level: 4 });
    // Symmetric: A, B, scales, and the Gemm's bias as input 5.
    expect(fc1!.input).toEqual(['input', 'fc1.weight_Q4', 'fc1.weight_scales', '', '', 'fc1.bias_bias']);
    expect(fc2!.input).toEqual(['relu1.out', 'fc2.weight_Q4', 'fc2.weight_scales']);
    expect(init(r.model, 'fc2.weight_Q4').dims).toEqual([16n, 8n, 16n]);
    expect(init(r.model, 'fc2.weight_Q4').dataType).toBe(DT.UINT8);
    expect(init(r.model, 'fc2.weight_scales').dims).toEqual([128n]);
    expect(
      g.initializer.some((t) => t.name === 'fc1.weight' || t.name === 'fc2.weight' || t.name === 'fc1.bias'),
    ).toBe(false);
    expect(r.model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', 17],
      ['com.microsoft', 1],
    ]);
    await expectAgreement(mlp, r.model, floatFeed('input', [128, 256], 1), {
      minCosine: 0.98,
      classes: 16,
      minTop1: 0.8,
    });
  });

  it('MatMul weights shrink below 0.2x (block 32: 0.156x, block 128: 0.133x)', async () => {
    const before = initializerBytes(mlp, (n) => n.endsWith('.weight'));
    for (const [blockSize, expected] of [
      [32, 0.156],
      [64, 0.141],
      [128, 0.133],
    ] as const) {
      const r = await quantizeInMemory(method, mlp, {}, { blockSize });
      const after = initializerBytes(r.model, (n) => n.endsWith('_Q4') || n.endsWith('_scales'));
      expect(after / before).toBeCloseTo(expected, 2);
      expect(after / before).toBeLessThan(0.2);
      expect(nbits(r.model).every((n) => attrs(n).block_size === blockSize)).toBe(true);
      await expectAgreement(mlp, r.model, floatFeed('input', [64, 256], 2), {
        minCosine: 0.98,
        classes: 16,
        minTop1: 0.8,
      });
    }
  });

  it('--asymmetric adds packed 4-bit zero points', async () => {
    const r = await quantizeInMemory(method, mlp, { asymmetric: true });
    const fc2 = nbits(r.model)[1]!;
    expect(fc2.input).toEqual(['relu1.out', 'fc2.weight_Q4', 'fc2.weight_scales', 'fc2.weight_zero_points']);
    expect(init(r.model, 'fc2.weight_zero_points').dims).toEqual([16n * 4n]); // 8 blocks -> 4 bytes per column
    await expectAgreement(mlp, r.model, floatFeed('input', [64, 256], 3), {
      minCosine: 0.98,
      classes: 16,
      minTop1: 0.8,
    });
  });

  it('K not a multiple of the block size is padded (K = 100, block 64)', async () => {
    const model = buildMlp({ inputSize: 100, hiddenSize: 96, outputSize: 10 });
    for (const asymmetric of [false, true]) {
      const r = await quantizeInMemory(method, model, { asymmetric }, { blockSize: 64 });
      const fc1 = nbits(r.model)[0]!;
      expect(attrs(fc1)).toMatchObject({ K: 100, N: 96, block_size: 64 });
      expect(init(r.model, fc1.input[1]!).dims).toEqual([96n, 2n, 32n]);
      await expectAgreement(model, r.model, floatFeed('input', [64, 100], 4), {
        minCosine: 0.98,
        classes: 10,
        minTop1: 0.8,
      });
    }
  });

  it('Gemm: alpha folds into the scales, beta * C into the bias; transA = 1 and 2-D C are skipped', async () => {
    const model = buildMlp({ inputSize: 64, hiddenSize: 64, outputSize: 16 });
    const gemm = model.graph!.node[0]!;
    gemm.attribute.push(makeAttribute('alpha', { float: 0.5 }), makeAttribute('beta', { float: 2 }));
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(2);
    await expectAgreement(model, r.model, floatFeed('input', [64, 64], 5), {
      minCosine: 0.98,
      classes: 16,
      minTop1: 0.8,
    });

    const transA = create(GraphProtoSchema, {
      name: 'gemm_ta',
      input: [makeValueInfo('a', DT.FLOAT, [64, 4])],
      output: [makeValueInfo('y', DT.FLOAT, [4, 32])],
      initializer: [
        makeFloatTensor('w', [64, 32], randomFloats(2048, 1)),
        makeFloatTensor('c', [4, 32], randomFloats(128, 2)),
      ],
      node: [
        makeNode('Gemm', ['a', 'w'], ['y1'], { name: 'ta', attributes: { transA: { int: 1 } } }),
        makeNode('Transpose', ['y1'], ['y1t'], { name: 't' }),
        makeNode('Transpose', ['y1t'], ['y2'], { name: 't2' }),
        makeNode('Gemm', ['y2', 'w2', 'c'], ['y'], { name: 'c2d' }),
      ],
    });
    transA.initializer.push(makeFloatTensor('w2', [32, 32], randomFloats(1024, 3)));
    const s = await quantizeInMemory(method, makeModel(transA));
    expect(s.quantizedNodes).toBe(0);
    expect(s.skippedNodes.map((x) => [x.name, x.reason])).toEqual([
      ['ta', 'Gemm with transA = 1 (A would need a Transpose)'],
      ['c2d', "Gemm bias C has shape [4, 32]; MatMulNBits' bias must be [32]"],
    ]);
  });

  it('a weight feeding two MatMuls is quantized once', async () => {
    const model = buildSharedWeightMlp();
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(3);
    const [mm1, mm2] = nbits(r.model);
    expect(mm1!.input.slice(1)).toEqual(mm2!.input.slice(1));
    expect(r.model.graph!.initializer.filter((t) => t.name.startsWith('shared.weight'))).toHaveLength(2);
    await expectAgreement(model, r.model, floatFeed('input', [128, 64], 6), {
      minCosine: 0.97,
      classes: 16,
      minTop1: 0.75,
    });
  });

  it('Constant-node weights', async () => {
    const model = buildConstantWeightModel();
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(1);
    expect(r.model.graph!.node.some((n) => n.output[0] === 'const.weight')).toBe(false);
    await expectAgreement(model, r.model, floatFeed('input', [32, 8], 7), {
      minCosine: 0.98,
      classes: 4,
      minTop1: 0.8,
    });
  });

  it('float16 models get float16 scales; float16 / bfloat16 weights behind a Cast get float32 scales', async () => {
    const f16 = buildFloat16Mlp();
    const r = await quantizeInMemory(method, f16);
    expect(r.quantizedNodes).toBe(2);
    for (const n of nbits(r.model)) expect(init(r.model, n.input[2]!).dataType).toBe(DT.FLOAT16);
    await expectAgreement(f16, r.model, floatFeed('input', [64, 64], 8, 'float16'), {
      minCosine: 0.98,
      classes: 16,
      minTop1: 0.8,
    });
    for (const weightDtype of ['float16', 'bfloat16'] as const) {
      const model = buildAttentionBlock({ weightDtype, batch: 4, seq: 16 });
      const q = await quantizeInMemory(method, model);
      expect(q.quantizedNodes).toBe(7);
      for (const n of nbits(q.model)) expect(init(q.model, n.input[2]!).dataType).toBe(DT.FLOAT);
      expect(q.model.graph!.initializer.some((t) => t.name === `layer0.q_proj.weight_${weightDtype}`)).toBe(
        false,
      );
      await expectAgreement(model, q.model, floatFeed('input', [4, 16, 64], 9), {
        minCosine: 0.98,
        classes: 16,
        minTop1: 0.75,
      });
    }
  });

  it('opset-11 model: opset unchanged, com.microsoft added; activation MatMuls reported', async () => {
    const model = buildAttentionBlock({ opset: 11, batch: 4, seq: 16 });
    const r = await quantizeInMemory(method, model);
    expect(r.quantizedNodes).toBe(7);
    expect(r.model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', 11],
      ['com.microsoft', 1],
    ]);
    expect(r.skippedNodes.map((s) => s.name).sort()).toEqual(['layer0_attn_v', 'layer0_qk']);
    await expectAgreement(model, r.model, floatFeed('input', [4, 16, 64], 10), {
      minCosine: 0.98,
      classes: 16,
      minTop1: 0.75,
    });
  });

  it('honours --op-types and --exclude-nodes; leaves Conv alone', async () => {
    const onlyMatMul = await quantizeInMemory(method, mlp, { opTypes: ['MatMul'] });
    expect(nbits(onlyMatMul.model).map((n) => n.name)).toEqual(['fc2_matmul']);
    // One node, one weight: said in the singular ("1 nodes became" read as a typo).
    expect(onlyMatMul.notes.join('\n')).toMatch(
      /^1 node became com\.microsoft MatMulNBits .*\); 1 weight: /m,
    );
    const excluded = await quantizeInMemory(method, mlp, { excludeNodes: ['fc1'] });
    expect(excluded.skippedNodes).toEqual([
      { name: 'fc1', opType: 'Gemm', reason: 'excluded by --exclude-nodes', option: '--exclude-nodes' },
    ]);
    expect(countOps(excluded.model, 'Gemm')).toBe(1);
    const cnn = await quantizeInMemory(method, buildCnn());
    expect(countOps(cnn.model, 'Conv')).toBe(2);
    expect(cnn.quantizedNodes).toBe(1);
  });

  it('reports progress and stops on cancellation', async () => {
    const seen: number[] = [];
    await quantizeInMemory(method, mlp, {}, {}, { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([0, 1, 2]);
    for (const error of await cancellationErrors(method, mlp, 1)) {
      expect(error).toMatchObject({ code: 'CANCELLED' });
    }
  });
});

describe('int4 through quantizeModel', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir();
  });
  afterAll(() => tmp.cleanup());

  it('says why nothing was quantized: no node it handles, or every candidate skipped', async () => {
    const input = path.join(tmp.dir, 'text-line.onnx');
    fs.writeFileSync(input, awkwardModelFiles()['text-line.onnx']!);
    const convOnly = await quantizeModel({
      input,
      output: path.join(tmp.dir, 'tl.int4.onnx'),
      method: 'int4',
    });
    expect(convOnly.quantizedNodes).toBe(0);
    expect(convOnly.notes.join('\n')).toMatch(/Nothing to quantize: int4 quantizes MatMul, Gemm, Gather nodes/);
    const mlpInput = path.join(tmp.dir, 'small-mlp.onnx');
    fs.writeFileSync(mlpInput, modelBytes(buildMlp({ inputSize: 64, hiddenSize: 64, outputSize: 8 })));
    const allExcluded = await quantizeModel({
      input: mlpInput,
      output: path.join(tmp.dir, 'small-mlp.int4.onnx'),
      method: 'int4',
      common: { excludeNodes: ['fc1', 'fc2_matmul'] },
    });
    expect(allExcluded.skippedNodes).toHaveLength(2);
    expect(allExcluded.notes.join('\n')).toMatch(/Nothing was quantized: int4 left every node/);
  });

  it('writes a model that runs, with the recipe in metadata_props; rejects bad block sizes', async () => {
    const model = buildMlp({ inputSize: 256, hiddenSize: 256, outputSize: 16 });
    const input = path.join(tmp.dir, 'mlp.onnx');
    const output = path.join(tmp.dir, 'mlp.int4.onnx');
    fs.writeFileSync(input, modelBytes(model));
    const report = await quantizeModel({ input, output, method: 'int4', options: { blockSize: 64 } });
    expect(report.quantizedNodes).toBe(2);
    expect(report.outputBytes).toBeLessThan(report.inputBytes * 0.2);
    const loaded = await loadModel(output);
    const recipe = lastRecordedStep(loaded.proto);
    expect(recipe).toMatchObject({ method: 'int4', options: { blockSize: 64, accuracyLevel: 4 } });
    await expectAgreement(model, loaded.proto, floatFeed('input', [64, 256], 11), {
      minCosine: 0.98,
      classes: 16,
      minTop1: 0.8,
    });
    await expect(
      quantizeModel({ input, output: `${output}.bad`, method: 'int4', options: { blockSize: 48 } }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});

describe('a weight another node still reads in float (big-model test, tester C, finding 10)', () => {
  it('says the file keeps the float table beside its 4-bit copy, and how many bytes that costs', async () => {
    // A tied embedding: the Gather looks rows up in `emb`, the MatMul multiplies by the same table. With the Gather
    // excluded it reads the float table, which stays beside the head's 4-bit copy (without, both get 4-bit copies:
    // int4-gather.test.ts).
    const emb = makeFloatTensor('emb', [64, 32], seededValues(64 * 32, 7));
    const graph = makeGraph('tied', {
      nodes: [
        makeNode('Gather', ['emb', 'ids'], ['rows'], { name: 'lookup' }),
        makeNode('MatMul', ['x', 'emb'], ['y'], { name: 'head' }),
      ],
      inputs: [makeValueInfo('ids', DT.INT64, [2]), makeValueInfo('x', DT.FLOAT, [1, 64])],
      outputs: [makeValueInfo('rows', DT.FLOAT, [2, 32]), makeValueInfo('y', DT.FLOAT, [1, 32])],
      initializers: [emb],
    });
    const q = await quantizeInMemory(method, makeModel(graph), { excludeNodes: ['lookup'] });
    expect(nbits(q.model).map((n) => n.name)).toEqual(['head']);
    expect(q.model.graph!.initializer.some((t) => t.name === 'emb')).toBe(true);
    expect(q.notes.join('\n')).toContain(
      `'emb' is also read in float by a node this method leaves alone (a Gather of a tied embedding, say), so the file keeps it beside the quantized copy: ${64 * 32 * 4} bytes more`,
    );
    // A weight only the rewritten node read is gone, with no such note.
    const alone = await quantizeInMemory(method, buildMlp());
    expect(alone.notes.join('\n')).not.toContain('also read in float');
  });

  it('names the float tables Gathers still read, with their bytes and why int4 left them, and no tied one', async () => {
    // A user test: int4 of a small decoder came out larger than int8-weight, with no word of its float tables.
    // Now the position table gets a 4-bit copy, and only a table int4 really left float is named, with the reason.
    const lm = buildKvCacheLm({ vocab: 64, positionIds: true });
    const all = await quantizeInMemory(method, lm);
    expect(all.notes.join('\n')).not.toContain('stays in float');
    const matmulsOnly = await quantizeInMemory(method, lm, { opTypes: ['MatMul', 'Gemm'] });
    expect(matmulsOnly.notes.join('\n')).toContain(
      `2 float tables that Gathers read stay in float (${256 * 96 * 4 + 64 * 96 * 4} bytes): ` +
        `'embed_positions.weight' (${256 * 96 * 4} bytes: Gather is not in --op-types), ` +
        `'embed_tokens.weight' (${64 * 96 * 4} bytes: Gather is not in --op-types). --method int8-weight`,
    );
    const excluded = await quantizeInMemory(method, lm, { excludeNodes: ['pos'] });
    expect(excluded.notes.join('\n')).toContain(
      `'embed_positions.weight' that a Gather reads stays in float (${256 * 96 * 4} bytes): excluded by --exclude-nodes.`,
    );
    // The embedding is tied to the head: its Gather reads the head's 4-bit rows, and nothing is said of it.
    const tied = await quantizeInMemory(method, buildKvCacheLm({ vocab: 64 }));
    expect(tied.notes.join('\n')).not.toContain('that a Gather reads');
  });
});
