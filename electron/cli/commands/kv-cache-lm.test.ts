import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../engine/evaluate/evaluate-model.js';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { encodeNpz } from '../../engine/datasets/npz-writer.js';
import { buildKvCacheLm } from '../../engine/testing/kv-cache-lm.js';
import { modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { patternIds } from '../../engine/testing/tied-lm.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

/*
 * A decoder exported with a KV cache the way Optimum writes one (kv-cache-lm.ts). Before, its guessed sizes gave
 * a past of 128 and a mask of 128 (not 256), and every command failed in the model's first Mul; a zero-length past,
 * its first step, could not be given at all.
 */

const VOCAB = 32;
const TOKENS = 12;
const SAMPLES = 20;

interface BenchJson {
  results: { inputs: { name: string; shape: number[]; values?: unknown }[] }[];
}

describe('a decoder with a KV cache', () => {
  const tmp = makeTempDir('onnx-studio-kv-cache-');
  const past = path.join(tmp.dir, 'decoder_with_past_model.onnx');
  const merged = path.join(tmp.dir, 'decoder_model_merged.onnx');
  const ids = path.join(tmp.dir, 'ids.npz');
  const explicit = path.join(tmp.dir, 'explicit.npz');
  const ids64 = patternIds(SAMPLES, TOKENS, VOCAB);

  beforeAll(() => {
    fs.writeFileSync(past, modelBytes(buildKvCacheLm({ vocab: VOCAB })));
    fs.writeFileSync(merged, modelBytes(buildKvCacheLm({ vocab: VOCAB, merged: true })));
    fs.writeFileSync(ids, encodeNpz({ input_ids: encodeNpyArray(ids64, 'int64', [SAMPLES, TOKENS]) }));
    // The same first steps with every input given: a mask of ones and an empty past of each sample.
    const empty = encodeNpyArray(new Float32Array(0), 'float32', [SAMPLES, 1, 2, 0, 8]);
    fs.writeFileSync(
      explicit,
      encodeNpz({
        input_ids: encodeNpyArray(ids64, 'int64', [SAMPLES, TOKENS]),
        attention_mask: encodeNpyArray(new BigInt64Array(SAMPLES * TOKENS).fill(1n), 'int64', [
          SAMPLES,
          TOKENS,
        ]),
        'past_key_values.0.key': empty,
        'past_key_values.0.value': empty,
      }),
    );
  });
  afterAll(() => tmp.cleanup());

  const shapes = (json: string) =>
    Object.fromEntries((JSON.parse(json) as BenchJson).results[0]!.inputs.map((i) => [i.name, i.shape]));

  it('benchmarks a first step by default: an empty past, a mask as long as the new tokens', async () => {
    const run = await cli(['bench', past, '--iterations', '3', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(shapes(run.stdout)).toEqual({
      input_ids: [1, 128],
      attention_mask: [1, 128],
      'past_key_values.0.key': [1, 2, 0, 8],
      'past_key_values.0.value': [1, 2, 0, 8],
    });
    expect(run.stderr).toContain("'past_sequence_length' reads as the length of a cache of earlier steps: 0");
  });

  it('takes a past length, sizes the mask to match and turns the merged export cache switch on', async () => {
    const run = await cli([
      'bench',
      merged,
      '--iterations',
      '3',
      '--json',
      '--dim',
      'past_sequence_length=5',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const inputs = (JSON.parse(run.stdout) as BenchJson).results[0]!.inputs;
    expect(inputs.find((i) => i.name === 'attention_mask')!.shape).toEqual([1, 133]);
    // The mask's size follows what was set: not called a guess, nor offered to --dim (which refuses another size).
    expect(run.stderr).not.toContain("dim 'past_sequence_length + sequence_length'");
    expect(inputs.find((i) => i.name === 'use_cache_branch')!.values).toEqual({ kind: 'constant', value: 1 });
    const off = await cli([
      'bench',
      merged,
      '--iterations',
      '3',
      '--dim',
      'past_sequence_length=5',
      '--value',
      'use_cache_branch=0',
    ]);
    expect(off.code).toBe(2);
    expect(off.stderr).toContain("Input 'use_cache_branch' is off, but the past holds 5 steps");
    const first = await cli(['bench', merged, '--iterations', '3', '--json']);
    const guessed = (JSON.parse(first.stdout) as BenchJson).results[0]!.inputs;
    expect(guessed.find((i) => i.name === 'use_cache_branch')!.values).toEqual({
      kind: 'constant',
      value: 0,
    });
  });

  it('refuses a 0 elsewhere and a mask that does not fit, in words, before anything runs', async () => {
    const batch = await cli(['bench', past, '--iterations', '3', '--dim', 'batch_size=0']);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain(
      "input 'input_ids' a batch_size of 0: a dim must be at least 1 (only a KV cache's past length may be 0)",
    );
    const mask = await cli(['bench', past, '--iterations', '3', '--shape', 'attention_mask=1x100']);
    expect(mask.code).toBe(2);
    expect(mask.stderr).toContain(
      "Input 'attention_mask': dim 'past_sequence_length + sequence_length' is 100, but past_sequence_length (0) + sequence_length (128) is 128.",
    );
  });

  it('grades ids-only data on a first step as it grades the same steps given whole', async () => {
    const filled = await cli(['eval', past, '--data', ids, '--value', 'attention_mask=1', '--json']);
    expect(filled.code, filled.stderr).toBe(0);
    const whole = await cli(['eval', past, '--data', explicit, '--json']);
    expect(whole.code, whole.stderr).toBe(0);
    const a = JSON.parse(filled.stdout) as EvalReport;
    const b = JSON.parse(whole.stdout) as EvalReport;
    expect(a.nextToken!.positions).toBe(SAMPLES * (TOKENS - 1));
    expect(a.accuracy).toBeGreaterThan(0.7);
    expect(a.accuracy).toBe(b.accuracy);
    expect(a.nextToken!.crossEntropy).toBe(b.nextToken!.crossEntropy);
    expect(a.notes.join('\n')).toContain("'past_key_values.0.key' (empty: past_sequence_length 0)");
    // Still no guessed value fills data: the mask's ones are the user's to set.
    const unset = await cli(['eval', past, '--data', ids]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("no data for input 'attention_mask'.");
    // Where V would not tell how to write the value, the advice gives the guess's own words.
    const switchless = await cli(['eval', merged, '--data', ids, '--value', 'attention_mask=1']);
    expect(switchless.code).toBe(2);
    expect(switchless.stderr).toContain('(--value use_cache_branch=false, ');
    // A past set for decode steps does not fit data without the cache arrays: said, with what to do.
    const decode = await cli([
      'eval',
      past,
      '--data',
      ids,
      '--value',
      'attention_mask=1',
      '--dim',
      'past_sequence_length=5',
    ]);
    expect(decode.code).toBe(2);
    expect(decode.stderr).toContain(
      'The input spec gives the past (past_sequence_length) 5 steps: data without the cache arrays fits a past of 0 only.',
    );
  });

  it('feeds position_ids 0..n-1 along each sample where --value sets positions, as data that holds them', async () => {
    // Optimum's exports also take position_ids: guessed as ids over the position table's rows, the model saw random
    // positions; `--value position_ids=positions` feeds 0, 1, 2, ... and grades as data holding them does.
    const withPositions = path.join(tmp.dir, 'decoder_with_positions.onnx');
    fs.writeFileSync(withPositions, modelBytes(buildKvCacheLm({ vocab: VOCAB, positionIds: true })));
    const positions = BigInt64Array.from({ length: SAMPLES * TOKENS }, (_, i) => BigInt(i % TOKENS));
    const empty = encodeNpyArray(new Float32Array(0), 'float32', [SAMPLES, 1, 2, 0, 8]);
    const whole = path.join(tmp.dir, 'explicit-positions.npz');
    fs.writeFileSync(
      whole,
      encodeNpz({
        input_ids: encodeNpyArray(ids64, 'int64', [SAMPLES, TOKENS]),
        attention_mask: encodeNpyArray(new BigInt64Array(SAMPLES * TOKENS).fill(1n), 'int64', [
          SAMPLES,
          TOKENS,
        ]),
        position_ids: encodeNpyArray(positions, 'int64', [SAMPLES, TOKENS]),
        'past_key_values.0.key': empty,
        'past_key_values.0.value': empty,
      }),
    );
    const filled = await cli([
      'eval',
      withPositions,
      '--data',
      ids,
      '--value',
      'attention_mask=1',
      '--value',
      'position_ids=positions',
      '--json',
    ]);
    expect(filled.code, filled.stderr).toBe(0);
    const given = await cli(['eval', withPositions, '--data', whole, '--json']);
    expect(given.code, given.stderr).toBe(0);
    const a = JSON.parse(filled.stdout) as EvalReport;
    const b = JSON.parse(given.stdout) as EvalReport;
    expect(a.nextToken!.positions).toBe(SAMPLES * (TOKENS - 1));
    expect(a.accuracy).toBe(b.accuracy);
    expect(a.nextToken!.crossEntropy).toBe(b.nextToken!.crossEntropy);
    // Guessed positions are held to the table too: 300 tokens pass its 256 rows, refused in words before any run.
    const long = await cli(['bench', withPositions, '--iterations', '3', '--dim', 'sequence_length=300']);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain("Input 'position_ids' indexes the 256 rows of 'embed_positions.weight'");
    // It says what fits in the model's own dim names, after the past, as the Model view does.
    const afterPast = await cli([
      'bench',
      withPositions,
      '--iterations',
      '3',
      '--dim',
      'past_sequence_length=5',
      '--dim',
      'sequence_length=252',
    ]);
    expect(afterPast.code).toBe(2);
    expect(afterPast.stderr).toContain(
      'At most 251 tokens after a past of 5: use --dim sequence_length=251 or less, or the past lower.',
    );
    expect(a.notes.join('\n')).toContain("'position_ids' (positions from 0 along each sample's last axis)");
  });

  it('tells a .npy of ids what to set, in the .npz refusal words, and the flags it names grade it', async () => {
    // A user test: `eval decoder_model_merged.onnx --data ids.npy` got "set the values of the inputs it does not
    // hold (--value NAME=V, ...)", naming none, where the .npz refusal named use_cache_branch.
    const mergedPositions = path.join(tmp.dir, 'merged_with_positions.onnx');
    fs.writeFileSync(
      mergedPositions,
      modelBytes(buildKvCacheLm({ vocab: VOCAB, positionIds: true, merged: true })),
    );
    const npy = path.join(tmp.dir, 'ids.npy');
    fs.writeFileSync(npy, encodeNpyArray(ids64, 'int64', [SAMPLES, TOKENS]));
    const refused = await cli(['eval', mergedPositions, '--data', npy]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "or set the values of 'attention_mask', 'position_ids' and 'use_cache_branch' (--value attention_mask=1 " +
        "--value position_ids=positions --value use_cache_branch=false, a recipe's inputs.values, the app's Model " +
        "view), and it feeds 'input_ids'.",
    );
    const npz = await cli(['eval', mergedPositions, '--data', ids]);
    expect(npz.stderr).toContain(
      "(--value attention_mask=1 --value position_ids=positions --value use_cache_branch=false, a recipe's inputs.values",
    );
    const advised = await cli([
      'eval',
      mergedPositions,
      '--data',
      npy,
      '--value',
      'attention_mask=1',
      '--value',
      'position_ids=positions',
      '--value',
      'use_cache_branch=false',
      '--json',
    ]);
    expect(advised.code, advised.stderr).toBe(0);
    expect((JSON.parse(advised.stdout) as EvalReport).nextToken!.positions).toBe(SAMPLES * (TOKENS - 1));
  });

  it('quantizes it into variants that run on the same first steps and keep its outputs', async () => {
    for (const method of ['int8-dynamic', 'int8-static']) {
      const out = path.join(tmp.dir, `${method}.onnx`);
      const calib = method === 'int8-static' ? ['--calib-data', explicit] : [];
      const q = await cli(['quantize', past, '-o', out, '--method', method, ...calib]);
      expect(q.code, q.stderr).toBe(0);
      const run = await cli(['eval', out, '--data', explicit, '--reference', past, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as EvalReport;
      expect(report.fidelity!.output, method).toBe('logits');
      expect(report.fidelity!.cosine, method).toBeGreaterThan(0.999);
      expect(report.accuracy, method).toBeGreaterThan(0.7);
      // The cache outputs have no top-1 agreement for one reason, said once: they are the cache (no feature map).
      expect(report.notes.filter((n) => n.includes('no top-1 agreement'))).toEqual([
        "outputs 'present.0.key' ([1, 2, 12, 8]) and 'present.0.value' ([1, 2, 12, 8]) have no top-1 agreement; " +
          'for each, the same reason: a KV cache output: its values are compared, not argmaxed.',
      ]);
    }
  });
});
