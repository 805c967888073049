import * as ort from 'onnxruntime-node';
import { type ModelProto, type NodeProto, type TensorProto, TensorProto_DataType as DT } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../../onnx/float16.js';
import {
  littleEndianBytes,
  makeFloatTensor,
  makeNode,
  makeRawTensor,
  makeValueInfo,
} from '../../onnx/graph-build.js';
import { subgraphsOf } from '../../onnx/graph.js';
import { decodeToFloat32 } from '../../onnx/tensor-codec.js';
import { KV_CACHE_LM, buildKvCacheLm } from '../../testing/kv-cache-lm.js';
import { makeGraph, makeModel, randomFloats, randomTensor } from '../../testing/model-fixtures.js';
import { TIED_LM, buildTiedLm } from '../../testing/tied-lm.js';
import { dequantizeBlockwise4Bit, quantizeBlockwise4Bit } from '../weight-only/int4-kernel.js';
import { expectAgreement, modelBytes, quantizeInMemory, runModel } from '../weight-only/test-support.js';
import { int4Method } from './int4.js';
import { int8WeightMethod } from './int8-weight.js';
import { checkNodeSelection } from '../../transform/node-selection.js';
import { selectingQuantizer } from '../quantize-model.js';

/*
 * int4 stores the float tables Gathers read (an embedding not tied to the head, a position table) in 4 bits as
 * com.microsoft GatherBlockQuantized (weight-only/table-gather.ts): on a small decoder those tables, left float,
 * made int4's output larger than int8-weight's.
 */

const VOCAB = 64;
const TOKENS = 8;

/** The KV-cache decoder with its head untied: the head reads its own [hidden, vocab] copy of the table. */
function untiedKvLm(options: Parameters<typeof buildKvCacheLm>[0] = {}): ModelProto {
  const model = buildKvCacheLm(options);
  const graph = model.graph!;
  const at = graph.node.findIndex((n) => n.opType === 'Transpose' && n.output[0] === 'lm_head_t');
  graph.node.splice(at, 1);
  const table = graph.initializer.find((t) => t.name === 'embed_tokens.weight')!;
  const [vocab, hidden] = table.dims.map(Number) as [number, number];
  const values = decodeToFloat32(table);
  const head = new Float32Array(hidden * vocab);
  for (let v = 0; v < vocab; v++)
    for (let h = 0; h < hidden; h++) head[h * vocab + v] = values[v * hidden + h]!;
  graph.initializer.push(makeFloatTensor('lm_head_t', [hidden, vocab], head));
  return model;
}

/** A first decoding step of `TOKENS` ids (an empty past), positions 0.. with `positions`. */
function kvFeeds(vocab: number, positions: boolean): Record<string, ort.Tensor> {
  const ids = BigInt64Array.from({ length: TOKENS }, (_, i) => BigInt((i * 5 + 3) % vocab));
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
  return {
    [KV_CACHE_LM.ids]: new ort.Tensor('int64', ids, [1, TOKENS]),
    [KV_CACHE_LM.mask]: new ort.Tensor('int64', new BigInt64Array(TOKENS).fill(1n), [1, TOKENS]),
    [KV_CACHE_LM.pastKey]: empty,
    [KV_CACHE_LM.pastValue]: empty,
    ...(positions
      ? {
          position_ids: new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: TOKENS }, (_, i) => BigInt(i)),
            [1, TOKENS],
          ),
        }
      : {}),
  };
}

const nodeByOutput = (model: ModelProto, output: string) =>
  model.graph!.node.find((n) => n.output[0] === output);
const initializer = (model: ModelProto, name: string) =>
  model.graph!.initializer.find((t) => t.name === name);
const attrs = (node: NodeProto) => Object.fromEntries(node.attribute.map((a) => [a.name, Number(a.i)]));

/** ids [n] -> Gather(table `dims`, axis) -> rows: the table stored as `dtype`. */
function gatherModel(
  dims: number[],
  options: { dtype?: 'float32' | 'float16'; axis?: number } = {},
): { model: ModelProto; values: Float32Array } {
  const values = randomFloats(
    dims.reduce((a, b) => a * b, 1),
    7,
    0.5,
  );
  const f16 = options.dtype === 'float16';
  const table = f16
    ? makeRawTensor('table', DT.FLOAT16, dims, littleEndianBytes(float32ArrayToFloat16(values)))
    : makeFloatTensor('table', dims, values);
  const type = f16 ? DT.FLOAT16 : DT.FLOAT;
  const model = makeModel(
    makeGraph('lookup', {
      nodes: [
        makeNode('Gather', ['table', 'ids'], ['rows'], {
          name: 'lookup',
          ...(options.axis !== undefined ? { attributes: { axis: { int: options.axis } } } : {}),
        }),
      ],
      inputs: [makeValueInfo('ids', DT.INT64, ['n'])],
      outputs: [makeValueInfo('rows', type)],
      initializers: [table],
    }),
  );
  return { model, values: f16 ? float16ArrayToFloat32(float32ArrayToFloat16(values)) : values };
}

/** Every row of an N-row table, and -1 (the last row, as onnxruntime reads a negative index). */
const allRows = (N: number) =>
  new ort.Tensor('int64', BigInt64Array.from([...Array.from({ length: N }, (_, i) => BigInt(i)), -1n]), [
    N + 1,
  ]);

describe('int4: float tables that Gathers read become GatherBlockQuantized', () => {
  it('an untied embedding and a position table: 4-bit, run close to the original, smaller than int8-weight', async () => {
    const lm = untiedKvLm({ vocab: VOCAB, positionIds: true });
    const q = await quantizeInMemory(int4Method, lm);
    for (const [output, table] of [
      ['x', 'embed_tokens.weight'],
      ['pos', 'embed_positions.weight'],
    ] as const) {
      const gather = nodeByOutput(q.model, output)!;
      expect(gather).toMatchObject({ opType: 'GatherBlockQuantized', domain: 'com.microsoft' });
      expect(attrs(gather)).toEqual({ gather_axis: 0, quantize_axis: 1, block_size: 32, bits: 4 });
      expect(gather.input).toHaveLength(3);
      expect(initializer(q.model, table)).toBeUndefined();
      const rows = table === 'embed_tokens.weight' ? VOCAB : 256;
      expect(initializer(q.model, gather.input[0]!)).toMatchObject({
        dataType: DT.UINT8,
        dims: [BigInt(rows), 48n],
      });
      expect(initializer(q.model, gather.input[2]!)).toMatchObject({
        dataType: DT.FLOAT,
        dims: [BigInt(rows), 3n],
      });
    }
    expect(q.skippedNodes.filter((n) => n.opType === 'Gather')).toEqual([]);
    const floatBytes = (VOCAB + 256) * 96 * 4;
    const quantizedBytes = (VOCAB + 256) * (48 + 3 * 4);
    // Which tables, the largest first, in plain words (a user test read "2 Gathers of 2 float tables no quantized
    // head shares (an embedding, a position table)" as garbled), and options that keep them float on this model.
    expect(q.notes).toContain(
      "2 tables that Gathers read ('embed_positions.weight', 'embed_tokens.weight') are stored in 4 bits as " +
        `com.microsoft GatherBlockQuantized (block 32, symmetric): ${floatBytes} -> ${quantizedBytes} bytes (15.6%). ` +
        'ONNX Runtime only. To keep them in float: --op-types MatMul; to keep one: --exclude-nodes with the ' +
        'Gathers that read it.',
    );
    expect(q.notes.join('\n')).not.toContain('stays in float');
    await expectAgreement(lm, q.model, kvFeeds(VOCAB, true), {
      minCosine: 0.98,
      classes: VOCAB,
      minTop1: 0.75,
    });

    // Before, the tables stayed float (what --op-types MatMul,Gemm still gives): the file is smaller by about
    // what 4 bits save on them.
    const tablesFloat = await quantizeInMemory(int4Method, lm, { opTypes: ['MatMul', 'Gemm'] });
    const [after, before] = [modelBytes(q.model).length, modelBytes(tablesFloat.model).length];
    expect(before - after).toBeGreaterThan(floatBytes - quantizedBytes - 1024);
    const int8 = await quantizeInMemory(int8WeightMethod, lm);
    expect(before).toBeGreaterThan(modelBytes(int8.model).length);
    expect(after).toBeLessThan(modelBytes(int8.model).length);
  });

  for (const { K, blockSize, symmetric } of [
    { K: 96, blockSize: 32, symmetric: true }, // 3 blocks a row: no zero points, so WebGPU takes it too
    { K: 128, blockSize: 32, symmetric: false }, // 4 blocks a row
    { K: 96, blockSize: 16, symmetric: false }, // 6 blocks a row: zero points fill 3 bytes
  ]) {
    it(`K ${K}, block ${blockSize}, ${symmetric ? 'symmetric' : 'asymmetric'}: onnxruntime looks up the rows int4's kernel stored`, async () => {
      const N = 40;
      const { model, values } = gatherModel([N, K]);
      const q = await quantizeInMemory(int4Method, model, { asymmetric: !symmetric }, { blockSize });
      const gather = nodeByOutput(q.model, 'rows')!;
      expect(gather.opType).toBe('GatherBlockQuantized');
      const kBlocks = K / blockSize;
      if (symmetric) expect(gather.input).toHaveLength(3);
      else
        expect(initializer(q.model, gather.input[3]!)).toMatchObject({
          dataType: DT.UINT8,
          dims: [BigInt(N), BigInt(Math.ceil(kBlocks / 2))],
        });
      const out = (await runModel(q.model, { ids: allRows(N) })).rows!;
      // What the kernel's blocks stand for ([K, N] order), row by row: onnxruntime reads the same bytes.
      const expected = dequantizeBlockwise4Bit(
        quantizeBlockwise4Bit(values, { K, N, layout: 'NK', blockSize, symmetric }),
        K,
        N,
        blockSize,
      );
      let maxError = 0;
      for (let r = 0; r <= N; r++) {
        const n = r === N ? N - 1 : r;
        for (let k = 0; k < K; k++) {
          expect(out[r * K + k]).toBeCloseTo(expected[k * N + n]!, 6);
          maxError = Math.max(maxError, Math.abs(out[r * K + k]! - values[n * K + k]!));
        }
      }
      // Values in [-0.5, 0.5]: a symmetric step is at most 0.5 / 8, an asymmetric one 1 / 15; rounding is half a step
      // (a full one at the symmetric grid's clamped +8).
      expect(maxError).toBeLessThanOrEqual(symmetric ? 0.5 / 8 + 1e-6 : 0.5 / 15 + 1e-6);
    });
  }

  it('a float16 table gets float16 scales and gives float16 rows; one behind a Cast to float gets float32 scales', async () => {
    const N = 48;
    const K = 64;
    const { model, values } = gatherModel([N, K], { dtype: 'float16' });
    const q = await quantizeInMemory(int4Method, model);
    const gather = nodeByOutput(q.model, 'rows')!;
    expect(gather.opType).toBe('GatherBlockQuantized');
    expect(initializer(q.model, gather.input[2]!)).toMatchObject({ dataType: DT.FLOAT16, dims: [48n, 2n] });
    const out = (await runModel(q.model, { ids: allRows(N) })).rows!;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++)
        expect(Math.abs(out[n * K + k]! - values[n * K + k]!)).toBeLessThan(0.5 / 8 + 1e-3);

    // A half-precision checkpoint of a float32 model: the Cast goes with the table.
    model.graph!.node.unshift(
      makeNode('Cast', ['table'], ['table_f32'], { name: 'cast', attributes: { to: { int: DT.FLOAT } } }),
    );
    model.graph!.node[1]!.input[0] = 'table_f32';
    model.graph!.output[0] = makeValueInfo('rows', DT.FLOAT);
    const cast = await quantizeInMemory(int4Method, model);
    expect(cast.model.graph!.node.map((n) => n.opType)).toEqual(['GatherBlockQuantized']);
    const scales = initializer(cast.model, cast.model.graph!.node[0]!.input[2]!)!;
    expect(scales.dataType).toBe(DT.FLOAT);
    expect(cast.model.graph!.initializer.map((t) => t.name)).not.toContain('table');
    await expectAgreement(model, cast.model, { ids: allRows(N) }, { minCosine: 0.99 });
  });

  it('a table in the main graph that Gathers in both If branches read gets one 4-bit copy there', async () => {
    for (const stored of ['initializer', 'Constant node'] as const) {
      const values = randomFloats(64 * 64, 3, 0.5);
      const branch = (name: string, nodes: NodeProto[], out: string) =>
        makeGraph(name, { inputs: [], outputs: [makeValueInfo(out, DT.FLOAT)], nodes });
      const table: TensorProto = makeFloatTensor('table', [64, 64], values);
      const model = makeModel(
        makeGraph('branches', {
          nodes: [
            ...(stored === 'Constant node'
              ? [
                  makeNode('Constant', [], ['table'], {
                    name: 'table_const',
                    attributes: { value: { tensor: table } },
                  }),
                ]
              : []),
            makeNode('If', ['cond'], ['out'], {
              name: 'if',
              attributes: {
                then_branch: {
                  graph: branch(
                    'then',
                    [makeNode('Gather', ['table', 'ids'], ['then_out'], { name: 'then_gather' })],
                    'then_out',
                  ),
                },
                else_branch: {
                  graph: branch(
                    'else',
                    [
                      makeNode('Gather', ['table', 'ids'], ['else_rows'], { name: 'else_gather' }),
                      makeNode('Neg', ['else_rows'], ['else_out'], { name: 'else_neg' }),
                    ],
                    'else_out',
                  ),
                },
              },
            }),
          ],
          inputs: [makeValueInfo('ids', DT.INT64, ['n']), makeValueInfo('cond', DT.BOOL, [])],
          outputs: [makeValueInfo('out', DT.FLOAT)],
          initializers: stored === 'initializer' ? [table] : [],
        }),
      );
      const q = await quantizeInMemory(int4Method, model);
      expect(q.quantizedNodes, stored).toBe(2);
      const main = q.model.graph!;
      expect(
        main.initializer.filter((t) => t.name.startsWith('table_Q4')),
        stored,
      ).toHaveLength(1);
      expect(main.node.map((n) => n.opType)).toEqual(['If']);
      for (const sub of subgraphsOf(main.node[0]!)) {
        expect(sub.initializer).toEqual([]);
        expect(sub.node[0]!.opType).toBe('GatherBlockQuantized');
      }
      for (const cond of [true, false]) {
        const feed = { ids: allRows(64), cond: new ort.Tensor('bool', [cond], []) };
        await expectAgreement(model, q.model, feed, { minCosine: 0.99 });
      }
    }
  });

  it('a table that a node other than a Gather also reads in float keeps it, and says why', async () => {
    // The MatMul reads the table as its A input, which int4 cannot quantize: a 4-bit copy would sit beside it.
    const model = makeModel(
      makeGraph('shared', {
        nodes: [
          makeNode('Gather', ['emb', 'ids'], ['rows'], { name: 'lookup' }),
          makeNode('MatMul', ['emb', 'x'], ['scores'], { name: 'scores' }),
        ],
        inputs: [makeValueInfo('ids', DT.INT64, ['n']), makeValueInfo('x', DT.FLOAT, [64, 1])],
        outputs: [makeValueInfo('rows', DT.FLOAT), makeValueInfo('scores', DT.FLOAT, [64, 1])],
        initializers: [randomTensor('emb', [64, 64], 5)],
      }),
    );
    const q = await quantizeInMemory(int4Method, model);
    expect(nodeByOutput(q.model, 'rows')!.opType).toBe('Gather');
    expect(initializer(q.model, 'emb')).toBeDefined();
    expect(q.skippedNodes).toContainEqual({
      name: 'lookup',
      opType: 'Gather',
      reason:
        "its table 'emb' is also read in float by MatMul 'scores', so a 4-bit copy would sit beside the float table and make the file larger",
    });
    expect(q.quantizedNodes).toBe(0);

    // A MatMul that becomes MatMulNBits no longer reads the float table: the Gather gets its own 4-bit copy.
    model.graph!.node[1] = makeNode('MatMul', ['x_row', 'emb'], ['scores'], { name: 'scores' });
    model.graph!.input[1] = makeValueInfo('x_row', DT.FLOAT, [1, 64]);
    model.graph!.output[1] = makeValueInfo('scores', DT.FLOAT, [1, 64]);
    const both = await quantizeInMemory(int4Method, model);
    expect(both.model.graph!.node.map((n) => n.opType)).toEqual(['GatherBlockQuantized', 'MatMulNBits']);
    expect(initializer(both.model, 'emb')).toBeUndefined();
    expect(both.notes.join('\n')).not.toContain('also read in float');
  });

  it('--op-types MatMul,Gemm and --exclude-nodes keep a table float, and the note says which option did', async () => {
    const lm = untiedKvLm({ vocab: VOCAB, positionIds: true });
    const matmuls = await quantizeInMemory(int4Method, lm, { opTypes: ['MatMul', 'Gemm'] });
    expect(nodeByOutput(matmuls.model, 'x')!.opType).toBe('Gather');
    expect(nodeByOutput(matmuls.model, 'pos')!.opType).toBe('Gather');
    expect(matmuls.notes.join('\n')).toContain(
      `2 float tables that Gathers read stay in float (${(256 + VOCAB) * 96 * 4} bytes): ` +
        `'embed_positions.weight' (${256 * 96 * 4} bytes: Gather is not in --op-types), ` +
        `'embed_tokens.weight' (${VOCAB * 96 * 4} bytes: Gather is not in --op-types).`,
    );
    const excluded = await quantizeInMemory(int4Method, lm, { excludeNodes: ['pos'] });
    expect(nodeByOutput(excluded.model, 'pos')!.opType).toBe('Gather');
    expect(nodeByOutput(excluded.model, 'x')!.opType).toBe('GatherBlockQuantized');
    expect(excluded.skippedNodes).toContainEqual({
      name: 'pos',
      opType: 'Gather',
      reason: 'excluded by --exclude-nodes',
      option: '--exclude-nodes',
    });
    expect(excluded.notes.join('\n')).toContain(
      `'embed_positions.weight' that a Gather reads stays in float (${256 * 96 * 4} bytes): excluded by --exclude-nodes.`,
    );
    // The note on the 4-bit tables names the one table quantized, not "an embedding, a position table".
    expect(excluded.notes).toContain(
      "1 table that a Gather reads ('embed_tokens.weight') is stored in 4 bits as com.microsoft " +
        `GatherBlockQuantized (block 32, symmetric): ${VOCAB * 96 * 4} -> ${VOCAB * (48 + 12)} bytes (15.6%). ` +
        'ONNX Runtime only. To keep it in float: --op-types MatMul, or --exclude-nodes with the Gather that reads it.',
    );
    // A table tied to the head too: --op-types without Gather leaves its lookup float (the head still 4-bit).
    const tied = await quantizeInMemory(int4Method, buildTiedLm(), { opTypes: ['MatMul'] });
    expect(tied.model.graph!.node.find((n) => n.name === TIED_LM.lookup)!.opType).toBe('Gather');
    expect(tied.model.graph!.node.find((n) => n.name === TIED_LM.head)!.opType).toBe('MatMulNBits');
  });

  it('advises an --op-types of the op types the model has, which the node selection takes without a note', async () => {
    const advised = (notes: readonly string[]) =>
      /--op-types (\S+?)[;,.]? /.exec(
        notes.find((n) => n.includes('GatherBlockQuantized (block')) ?? '',
      )?.[1];
    const notesOf = (model: ModelProto, opTypes: string[]) => {
      const notes: string[] = [];
      checkNodeSelection(model, { opTypes, excludeNodes: [] }, selectingQuantizer(int4Method), (m) =>
        notes.push(m),
      );
      return notes;
    };
    // No Gemm in the decoder: `MatMul,Gemm` drew "--op-types names Gemm, of which this model has no node".
    const lm = untiedKvLm({ vocab: VOCAB, positionIds: true });
    const q = await quantizeInMemory(int4Method, lm);
    expect(advised(q.notes)).toBe('MatMul');
    expect(notesOf(lm, ['MatMul'])).toEqual([]);
    // A model with a Gemm beside its MatMuls: both.
    const withGemm = untiedKvLm({ vocab: VOCAB, positionIds: true });
    const matmul = withGemm.graph!.node.find((n) => n.opType === 'MatMul' && n.input[1] === 'lm_head_t')!;
    matmul.opType = 'Gemm';
    expect(advised((await quantizeInMemory(int4Method, withGemm)).notes)).toBe('MatMul,Gemm');
    expect(notesOf(withGemm, ['MatMul', 'Gemm'])).toEqual([]);
    // The op types the run was given, less Gather; a run of Gathers alone has none to offer.
    const gathersOnly = await quantizeInMemory(int4Method, lm, { opTypes: ['Gather'] });
    expect(advised(gathersOnly.notes)).toBeUndefined();
    expect(gathersOnly.notes.join('\n')).toContain(
      'ONNX Runtime only. To keep one in float: --exclude-nodes with the Gathers that read it.',
    );
  });

  it('skips, with the reason, rows that are not whole blocks and tables of another rank or axis', async () => {
    const reason = async (model: ModelProto, options: Record<string, unknown> = {}) => {
      const q = await quantizeInMemory(int4Method, model, {}, options);
      expect(q.model.graph!.node[0]!.opType).toBe('Gather');
      expect(q.skippedNodes).toHaveLength(1);
      return q.skippedNodes[0]!.reason;
    };
    expect(await reason(gatherModel([64, 80]).model)).toBe(
      'rows of 80 values are not whole blocks of 32, and GatherBlockQuantized has no padding (--block-size 16 fits)',
    );
    expect(await reason(gatherModel([64, 96]).model, { blockSize: 64 })).toBe(
      'rows of 96 values are not whole blocks of 64, and GatherBlockQuantized has no padding (--block-size 16 or 32 fits)',
    );
    expect(await reason(gatherModel([8, 16, 64]).model)).toBe(
      'the table has rank 3; GatherBlockQuantized here takes a 2-D table',
    );
    expect(await reason(gatherModel([64, 64], { axis: 1 }).model)).toBe(
      'it gathers along axis 1; GatherBlockQuantized looks up rows of a 4-bit table (axis 0)',
    );
    expect(await reason(gatherModel([64, 64], { axis: -1 }).model)).toBe(
      'it gathers along axis 1; GatherBlockQuantized looks up rows of a 4-bit table (axis 0)',
    );
  });

  it('a Gather along axis -2 of a 2-D table looks up rows (axis 0): it becomes GatherBlockQuantized', async () => {
    const { model } = gatherModel([64, 64], { axis: -2 });
    const q = await quantizeInMemory(int4Method, model);
    expect(q.skippedNodes).toEqual([]);
    const gather = nodeByOutput(q.model, 'rows')!;
    expect(gather.opType).toBe('GatherBlockQuantized');
    expect(attrs(gather)).toMatchObject({ gather_axis: 0 });
    expect(initializer(q.model, 'table')).toBeUndefined();
    await expectAgreement(model, q.model, { ids: allRows(64) }, { minCosine: 0.99 });
  });

  it('--asymmetric with an odd number of blocks a row (which WebGPU refuses): the table stays float, with a block size that fits', async () => {
    const reason = async (K: number) => {
      const q = await quantizeInMemory(int4Method, gatherModel([40, K]).model, { asymmetric: true });
      expect(q.model.graph!.node[0]!.opType).toBe('Gather');
      expect(initializer(q.model, 'table')).toBeDefined();
      return q.skippedNodes.map((n) => n.reason);
    };
    expect(await reason(96)).toEqual([
      "with --asymmetric, rows of 96 values are 3 blocks of 32, an odd count, whose zero points onnxruntime's WebGPU " +
        'GatherBlockQuantized refuses (--block-size 16 gives an even count)',
    ]);
    expect(await reason(32)).toEqual([
      "with --asymmetric, rows of 32 values are 1 block of 32, an odd count, whose zero points onnxruntime's WebGPU " +
        'GatherBlockQuantized refuses (--block-size 16 gives an even count)',
    ]);
    const none = await quantizeInMemory(
      int4Method,
      gatherModel([40, 48]).model,
      { asymmetric: true },
      { blockSize: 16 },
    );
    expect(none.skippedNodes.map((n) => n.reason)).toEqual([
      "with --asymmetric, rows of 48 values are 3 blocks of 16, an odd count, whose zero points onnxruntime's WebGPU " +
        'GatherBlockQuantized refuses (without --asymmetric the table is quantized)',
    ]);

    // A table tied to the head: the head is 4-bit, the Gather keeps the float table and says why.
    const tied = await quantizeInMemory(int4Method, buildTiedLm(), { asymmetric: true }, { blockSize: 32 });
    const gather = tied.model.graph!.node.find((n) => n.name === TIED_LM.lookup)!;
    expect(gather.opType).toBe('Gather');
    expect(tied.model.graph!.node.find((n) => n.name === TIED_LM.head)!.opType).toBe('MatMulNBits');
    expect(initializer(tied.model, TIED_LM.table)).toBeDefined();
    expect(tied.skippedNodes).toContainEqual({
      name: TIED_LM.lookup,
      opType: 'Gather',
      reason:
        "with --asymmetric, rows of 32 values are 1 block of 32, an odd count, whose zero points onnxruntime's WebGPU " +
        'GatherBlockQuantized refuses (--block-size 16 gives an even count)',
    });
  });

  it('a table tied to the head with --asymmetric: the Gather reads the head rows and zero points, one 4-bit copy', async () => {
    // hidden 32: two blocks a row at 16 (one at 32, an odd count, keeps the table float: see above).
    const blockSize = 16;
    const lm = buildTiedLm();
    const q = await quantizeInMemory(int4Method, lm, { asymmetric: true }, { blockSize });
    const gather = q.model.graph!.node.find((n) => n.name === TIED_LM.lookup)!;
    expect(gather.opType).toBe('GatherBlockQuantized');
    expect(gather.input).toHaveLength(4);
    expect(q.model.graph!.node.filter((n) => n.opType === 'Reshape')).toHaveLength(3);
    expect(
      q.model.graph!.initializer.filter(
        (t) => /_Q4(_\d+)?$/.test(t.name) && t.name.startsWith(TIED_LM.table),
      ),
    ).toHaveLength(1);
    expect(initializer(q.model, TIED_LM.table)).toBeUndefined();
    const ids = new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: 8 }, (_, i) => BigInt((i * 13 + 5) % 64)),
      [8],
    );
    await expectAgreement(lm, q.model, { ids }, { minCosine: 0.98, classes: 64, minTop1: 0.75 });
  });
});
