import fs from 'node:fs';
import path from 'node:path';
import { type ModelProto, TensorProto_DataType as DT } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { buildKvCacheLayers } from '../testing/kv-cache-layers.js';
import { buildKvCacheLm, type KvCacheLmOptions } from '../testing/kv-cache-lm.js';
import { makeFloatTensor, makeInt64Tensor, makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { decodeTensor } from '../onnx/tensor-codec.js';
import { buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { patternIds } from '../testing/tied-lm.js';
import { resolveForGeneration } from './generate-bench.js';
import { argmaxLast, generate, generateWithoutCache } from './generate-loop.js';

/*
 * The feeding loop of `bench --generate` proved against recomputation: the ids a decoder generates with its cache
 * (each step the last id, the step before's present.* as past_key_values.*, a mask over past + 1, the next
 * position) equal the ids of greedy decoding without it (each step the whole sequence at a past of 0, the last
 * logits). A cache fed wrong (a present not fed back, a mask one short, positions restarting) changes the attention
 * and so the ids: the fixture's attention nudges the pattern's scores, and the tests check that it does.
 */

const VOCAB = 32;
const PROMPT = Array.from(patternIds(1, 8, VOCAB, 0.2, 7), Number);
const STEPS = 24;

/** Renames tensors everywhere in a model (inputs, outputs, node inputs and outputs, If branches included). */
function renamed(model: ModelProto, rename: (name: string) => string): ModelProto {
  const visit = (graph: NonNullable<ModelProto['graph']>) => {
    for (const vi of [...graph.input, ...graph.output]) vi.name = rename(vi.name);
    for (const node of graph.node) {
      node.input = node.input.map(rename);
      node.output = node.output.map(rename);
      for (const a of node.attribute) if (a.g) visit(a.g);
    }
  };
  visit(model.graph!);
  return model;
}

/**
 * The fixture with its attention and positions made loud: as built, the pattern outvotes them (a swapped key and
 * value cache, or positions restarting at 0, left the ids as they were), so a wrong loop would pass. Scaled, every
 * such mistake changes the ids (the last test), and the right loop still agrees with recomputation.
 */
function louder(model: ModelProto): ModelProto {
  const scale = (name: string, by: number) => {
    const at = model.graph!.initializer.findIndex((t) => t.name === name);
    if (at < 0) return;
    const t = model.graph!.initializer[at]!;
    const values = Float32Array.from(decodeTensor(t).values as ArrayLike<number>, (v) => v * by);
    model.graph!.initializer[at] = makeFloatTensor(name, t.dims.map(Number), values);
  };
  scale('o_proj.weight', 100);
  scale('embed_positions.weight', 30);
  return model;
}

/**
 * Beside layer 0, GPT-2's stacked cache of one more layer: `past_1` [2, batch_size, heads, past, head_dim] (keys and
 * values stacked on a fixed leading 2), its `present_1` layer 0's present key and value stacked. onnxruntime checks
 * the fixed 2 of the empty past the prefill is fed.
 */
function withStackedCache(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const key = graph.input.find((i) => i.name === 'past_key_values.0.key')!;
  const dims = key.type!.value.case === 'tensorType' ? key.type!.value.value.shape!.dim : [];
  const [, heads, , headDim] = dims.map((d) =>
    d.value.case === 'dimValue' ? Number(d.value.value) : d.value.value,
  );
  graph.input.push(
    makeValueInfo('past_1', DT.FLOAT, [2, 'batch_size', heads!, 'past_sequence_length', headDim!]),
  );
  graph.output.push(
    makeValueInfo('present_1', DT.FLOAT, [
      2,
      'batch_size',
      heads!,
      'past_sequence_length + sequence_length',
      headDim!,
    ]),
  );
  graph.initializer.push(makeInt64Tensor('stack_axis', [1], [0n]));
  graph.node.push(
    makeNode('Unsqueeze', ['present.0.key', 'stack_axis'], ['stacked_key']),
    makeNode('Unsqueeze', ['present.0.value', 'stack_axis'], ['stacked_value']),
    makeNode('Concat', ['stacked_key', 'stacked_value'], ['present_1'], { attributes: { axis: { int: 0 } } }),
  );
  return model;
}

/**
 * The fixture with positions computed inside from the past length (no position_ids input: Range(past, past + S)
 * looks up the 256-row table), so that no plan can refuse a sequence past the table before a run fails.
 */
function withInnerPositions(model: ModelProto): ModelProto {
  const graph = model.graph!;
  graph.input.splice(
    graph.input.findIndex((i) => i.name === 'position_ids'),
    1,
  );
  graph.initializer.push(
    makeInt64Tensor('inner_zero', [], [0n]),
    makeInt64Tensor('inner_one', [], [1n]),
    makeInt64Tensor('inner_two', [], [2n]),
    makeInt64Tensor('inner_axes', [1], [0n]),
  );
  graph.node.unshift(
    makeNode('Shape', ['past_key_values.0.key'], ['inner_past_shape']),
    makeNode('Gather', ['inner_past_shape', 'inner_two'], ['inner_past']),
    makeNode('Shape', ['input_ids'], ['inner_ids_shape']),
    makeNode('Gather', ['inner_ids_shape', 'inner_one'], ['inner_new']),
    makeNode('Add', ['inner_past', 'inner_new'], ['inner_end']),
    makeNode('Range', ['inner_past', 'inner_end', 'inner_one'], ['inner_range']),
    makeNode('Unsqueeze', ['inner_range', 'inner_axes'], ['position_ids']),
  );
  return model;
}

describe('bench --generate: the feeding loop', () => {
  const tmp = makeTempDir('onnx-studio-generate-loop-');
  afterAll(() => tmp.cleanup());

  async function session(model: ModelProto, name: string) {
    const file = path.join(tmp.dir, `${name}.onnx`);
    fs.writeFileSync(file, modelBytes(model));
    const { plan } = resolveForGeneration(model, name);
    return { plan, session: await ort.InferenceSession.create(file) };
  }

  const cases: [string, () => ModelProto][] = [
    ['decoder_with_past_model', () => buildKvCacheLm({ vocab: VOCAB })],
    ['decoder_model_merged', () => buildKvCacheLm({ vocab: VOCAB, merged: true })],
    ['with position_ids', () => buildKvCacheLm({ vocab: VOCAB, positionIds: true })],
    [
      'merged, with position_ids',
      () => buildKvCacheLm({ vocab: VOCAB, merged: true, positionIds: true } satisfies KvCacheLmOptions),
    ],
    ['4 layers', () => buildKvCacheLayers(4, { vocab: VOCAB })],
    [
      'GPT-2 stacked past_N [2, batch, heads, past, head_dim]',
      () => withStackedCache(buildKvCacheLm({ vocab: VOCAB })),
    ],
    [
      'past.N / present.N names',
      () => renamed(buildKvCacheLayers(3, { vocab: VOCAB }), (n) => n.replace(/^past_key_values\./, 'past.')),
    ],
  ];

  for (const [name, build] of cases) {
    it(`${name}: the ids with the cache equal greedy recomputation without it`, async () => {
      for (const [kind, model] of [
        ['as built', build()],
        ['loud', louder(build())],
      ] as const) {
        const { plan, session: s } = await session(model, `${name.replace(/\W+/g, '-')}-${kind}`);
        try {
          const cached = await generate(s, plan, PROMPT, STEPS);
          const recomputed = await generateWithoutCache(s, plan, PROMPT, STEPS);
          expect(cached.ids).toHaveLength(STEPS + 1);
          expect(cached.stepMs).toHaveLength(STEPS);
          expect(cached.ids, kind).toEqual(recomputed);
        } finally {
          await s.release();
        }
      }
    });
  }

  it('reads the plan of a merged export with positions: switch, mask, positions, each cache with its present', () => {
    const { plan } = resolveForGeneration(
      buildKvCacheLm({ vocab: VOCAB, merged: true, positionIds: true }),
      'm',
    );
    expect(plan).toMatchObject({
      ids: { name: 'input_ids', type: 'int64' },
      mask: { name: 'attention_mask' },
      positions: { name: 'position_ids', rank: 2 },
      cacheSwitch: { name: 'use_cache_branch', dims: [1] },
      logits: 'logits',
      fixed: [],
      positionLimit: { rows: 256, table: 'embed_positions.weight', input: 'position_ids' },
    });
    expect(plan.cache).toEqual([
      { input: 'past_key_values.0.key', output: 'present.0.key', type: 'float32', emptyDims: [1, 2, 0, 8] },
      {
        input: 'past_key_values.0.value',
        output: 'present.0.value',
        type: 'float32',
        emptyDims: [1, 2, 0, 8],
      },
    ]);
  });

  it('keeps the fixed dims of a stacked cache: past_1 starts [2, 1, heads, 0, head_dim]', () => {
    const { plan } = resolveForGeneration(withStackedCache(buildKvCacheLm({ vocab: VOCAB })), 'gpt2');
    expect(plan.cache.find((c) => c.input === 'past_1')).toMatchObject({
      output: 'present_1',
      emptyDims: [2, 1, 2, 0, 8],
    });
  });

  it('a loop that feeds the cache wrong does not agree: the test can fail', async () => {
    const { plan, session: s } = await session(
      louder(buildKvCacheLm({ vocab: VOCAB, positionIds: true })),
      'wrong',
    );
    try {
      const right = await generateWithoutCache(s, plan, PROMPT, STEPS);
      // Keys fed as values and values as keys: the attention reads other numbers.
      const swapped = {
        ...plan,
        cache: plan.cache.map((c, i, all) => ({ ...c, output: all[all.length - 1 - i]!.output })),
      };
      const wrong = await generate(s, swapped, PROMPT, STEPS);
      expect(wrong.ids).not.toEqual(right);
      // Positions that restart at 0 every step.
      const noPositions = { ...plan, positions: undefined };
      const fixed = { position_ids: new ort.Tensor('int64', new BigInt64Array(1), [1, 1]) };
      const restarting = await generate(
        s,
        { ...noPositions, fixed: ['position_ids'] },
        PROMPT.slice(0, 1),
        STEPS,
        { fixed },
      );
      const restartingRight = await generateWithoutCache(s, plan, PROMPT.slice(0, 1), STEPS);
      expect(restarting.ids).not.toEqual(restartingRight);
    } finally {
      await s.release();
    }
  });

  it("says a run past a position table computed inside in --generate words, keeping onnxruntime's", async () => {
    const { plan, session: s } = await session(
      withInnerPositions(buildKvCacheLm({ vocab: VOCAB, positionIds: true })),
      'inner-positions',
    );
    try {
      expect(plan.positions).toBeUndefined();
      expect(plan.positionLimit).toBeUndefined();
      const prompt = Array.from({ length: 250 }, (_, i) => i % VOCAB);
      // Within the table it runs; 250 + 7 positions do not fit 256 rows.
      expect((await generate(s, plan, prompt, 6)).ids).toHaveLength(7);
      const error = await generate(s, plan, prompt, 8).then(
        () => undefined,
        (e: unknown) => e as StudioError,
      );
      expect(error).toBeInstanceOf(StudioError);
      expect(error!.code).toBe('BAD_INPUT');
      expect(error!.message).toContain(
        'inner-positions failed at decode step 7 (prompt 250 + 7 tokens = 257 positions): the model holds at most ' +
          '256 positions. Use --generate 6 or fewer, or a shorter prompt.',
      );
      expect(error!.message).toContain('idx=256 must be within the inclusive range [-256,255]');
      const long = Array.from({ length: 300 }, (_, i) => i % VOCAB);
      await expect(generate(s, plan, long, 0)).rejects.toThrow(
        'inner-positions failed at the prefill (a prompt of 300 positions): the model holds at most 256 positions. ' +
          'Use a shorter prompt: prompt + --generate steps must be at most 256.',
      );
    } finally {
      await s.release();
    }
  });

  it('refuses a model without cache inputs, in words', () => {
    const error = (() => {
      try {
        resolveForGeneration(buildMlp(), 'mlp.onnx');
      } catch (e) {
        return e as StudioError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(StudioError);
    expect(error!.code).toBe('BAD_INPUT');
    expect(error!.message).toContain(
      '--generate needs a decoder with a KV cache: mlp.onnx has no cache inputs',
    );
    expect(error!.message).toContain('inputs named past_key_values.N.key/value');
  });

  it('refuses a cache input with no present output, naming it', () => {
    const model = buildKvCacheLayers(2, { vocab: VOCAB });
    model.graph!.output.splice(
      model.graph!.output.findIndex((o) => o.name === 'present.1.value'),
      1,
    );
    expect(() => resolveForGeneration(model, 'cut.onnx')).toThrow(
      /--generate feeds each cache input the matching output of the step before, but cut\.onnx has no output for 'past_key_values\.1\.value'/,
    );
  });

  it('refuses a past set with --dim and a --value for an input the loop feeds', () => {
    const model = buildKvCacheLm({ vocab: VOCAB, merged: true });
    expect(() => resolveForGeneration(model, 'm', { dims: { past_sequence_length: 5 } })).toThrow(
      /--generate starts from an empty cache \(a past of 0\).*drop --dim past_sequence_length=\.\.\./,
    );
    expect(() =>
      resolveForGeneration(model, 'm', { values: { attention_mask: { kind: 'constant', value: 1 } } }),
    ).toThrow("--generate feeds 'attention_mask' itself");
  });

  it('argmaxLast reads the last position and takes the first of equal scores', () => {
    const logits = new ort.Tensor('float32', Float32Array.from([9, 0, 0, 1, 3, 3]), [1, 2, 3]);
    expect(argmaxLast(logits)).toBe(1);
  });
});
