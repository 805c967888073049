import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { buildKvCacheLayers } from '../../engine/testing/kv-cache-layers.js';
import { buildKvCacheLm } from '../../engine/testing/kv-cache-lm.js';
import { buildMlp, modelBytes, randomTensor } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

/*
 * inspect on a decoder with a KV cache: it says so, with the past length and its guess and how to time one decode
 * step, and lists the cache's 8 alike inputs and outputs as one line each (64 on a 32-layer model). --json keeps
 * each input and output.
 */

describe('inspect on a decoder with a KV cache', () => {
  const tmp = makeTempDir('onnx-studio-inspect-kv-');
  const merged = path.join(tmp.dir, 'decoder_model_merged.onnx');
  const oneLayer = path.join(tmp.dir, 'one-layer.onnx');

  beforeAll(() => {
    fs.writeFileSync(merged, modelBytes(buildKvCacheLayers(4, { merged: true })));
    fs.writeFileSync(oneLayer, modelBytes(buildKvCacheLayers(1)));
  });
  afterAll(() => tmp.cleanup());

  it('says what the cache is, what the past length is guessed, and how to time a decode step', async () => {
    const run = await cli(['inspect', merged]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('KV cache'));
    expect(lines.slice(at, at + 4)).toEqual([
      'KV cache    decoder, 8 cache inputs (past_key_values.0..3.key/value); past length past_sequence_length, guessed 0 (first step)',
      '            attention_mask: past_sequence_length + sequence_length sized as the sum, guessed 128; use_cache_branch follows the past (off at 0)',
      `            One decode step: onnx-studio bench ${merged} --dim past_sequence_length=128 --dim sequence_length=1`,
      '',
    ]);
    expect(run.stdout).toMatch(
      /^past_key_values\.0\.\.3\.key\/value \(8 inputs\) +float32 +\[batch_size, 2, past_sequence_length, 8\]$/m,
    );
    expect(run.stdout).toMatch(
      /^present\.0\.\.3\.key\/value \(8 outputs\) +float32 +\[batch_size, 2, past_sequence_length \+ sequence_length, 8\]$/m,
    );
    expect(run.stdout).toMatch(/^use_cache_branch +bool +\[1\]$/m);
    expect(run.stdout).not.toContain('past_key_values.1.key');
    // The command it gives runs: one new token after a past of 128.
    const step = await cli(
      lines[at + 2]!.trim()
        .replace(/^One decode step: onnx-studio /, '')
        .split(' ')
        .concat(['--iterations', '3', '--json']),
    );
    expect(step.code, step.stderr).toBe(0);
    const fed = (JSON.parse(step.stdout) as { results: { inputs: { name: string; shape: number[] }[] }[] })
      .results[0]!.inputs;
    expect(fed.find((i) => i.name === 'input_ids')!.shape).toEqual([1, 1]);
    expect(fed.find((i) => i.name === 'past_key_values.3.value')!.shape).toEqual([1, 2, 128, 8]);
  });

  it('on a model whose position table has 128 rows, suggests a past that fits, and bench runs it', async () => {
    // One token after a past of 128 is position 128, past the table: bench refused the command inspect gave.
    const lm = buildKvCacheLm({ positionIds: true });
    const at = lm.graph!.initializer.findIndex((t) => t.name === 'embed_positions.weight');
    const hidden = Number(lm.graph!.initializer[at]!.dims[1]);
    lm.graph!.initializer[at] = randomTensor('embed_positions.weight', [128, hidden], 41, 0.01);
    const file = path.join(tmp.dir, 'positions128.onnx');
    fs.writeFileSync(file, modelBytes(lm));
    const run = await cli(['inspect', file]);
    expect(run.code, run.stderr).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.includes('One decode step:'))!;
    expect(line.trim()).toBe(
      `One decode step: onnx-studio bench ${file} --dim past_sequence_length=127 --dim sequence_length=1`,
    );
    const step = await cli(
      line
        .trim()
        .replace(/^One decode step: onnx-studio /, '')
        .split(' ')
        .concat(['--iterations', '3', '--json']),
    );
    expect(step.code, step.stderr).toBe(0);
    const fed = (JSON.parse(step.stdout) as { results: { inputs: { name: string; shape: number[] }[] }[] })
      .results[0]!.inputs;
    expect(fed.find((i) => i.name === 'position_ids')!.shape).toEqual([1, 1]);
    expect(fed.find((i) => i.name === 'past_key_values.0.key')!.shape).toEqual([1, 2, 127, 8]);
  });

  it('keeps every input and output in --json', async () => {
    const run = await cli(['inspect', merged, '--json']);
    const s = JSON.parse(run.stdout) as ModelSummary;
    expect(s.inputs.filter((i) => i.name.startsWith('past_key_values.'))).toHaveLength(8);
    expect(s.outputs.map((o) => o.name)).toEqual([
      'logits',
      ...[0, 1, 2, 3].flatMap((n) => [`present.${n}.key`, `present.${n}.value`]),
    ]);
  });

  it("lists one layer's two cache inputs as they are, and says nothing of a cache on another model", async () => {
    const run = await cli(['inspect', oneLayer]);
    expect(run.stdout).toMatch(/^past_key_values\.0\.key +float32/m);
    expect(run.stdout).toMatch(/^past_key_values\.0\.value +float32/m);
    expect(run.stdout).toMatch(/^present\.0\.key +float32/m);
    expect(run.stdout).toContain('KV cache    decoder, 2 cache inputs (past_key_values.0.key/value);');
    // No use_cache_branch: no line for it.
    expect(run.stdout).not.toContain('follows the past');
    const mlp = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    expect((await cli(['inspect', mlp])).stdout).not.toContain('KV cache');
  });
});
