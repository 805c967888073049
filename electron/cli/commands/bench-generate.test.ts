import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchComparison, BenchModelResult, BenchReport } from '../../../shared/bench.js';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { encodeNpz } from '../../engine/datasets/npz-writer.js';
import { buildKvCacheLayers } from '../../engine/testing/kv-cache-layers.js';
import { buildKvCacheLm } from '../../engine/testing/kv-cache-lm.js';
import { buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { nextInPattern, patternIds } from '../../engine/testing/tied-lm.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

/*
 * `bench --generate N` end to end: a decoder of 4 cache layers and its int8-dynamic and int4 variants generate from
 * one prompt, interleaved; the JSON's generation figures (docs/cli.md, bench) and the text's table; the refusals in
 * words. That the cached loop generates what recomputation does is electron/engine/bench/generate-loop.test.ts's.
 */

const VOCAB = 32;

interface Json {
  results: BenchModelResult[];
  comparisons?: BenchComparison[];
  settings: BenchReport['settings'];
  notes: string[];
}

describe('onnx-studio bench --generate', () => {
  const tmp = makeTempDir('onnx-studio-bench-generate-');
  const model = path.join(tmp.dir, 'decoder_with_past_model.onnx');
  const int8 = path.join(tmp.dir, 'int8.onnx');
  const int4 = path.join(tmp.dir, 'int4.onnx');
  const merged = path.join(tmp.dir, 'decoder_model_merged.onnx');
  const ids = path.join(tmp.dir, 'ids.npz');
  const prompt = patternIds(3, 12, VOCAB);

  beforeAll(async () => {
    fs.writeFileSync(model, modelBytes(buildKvCacheLayers(4, { vocab: VOCAB })));
    fs.writeFileSync(merged, modelBytes(buildKvCacheLm({ vocab: VOCAB, merged: true, positionIds: true })));
    fs.writeFileSync(ids, encodeNpz({ input_ids: encodeNpyArray(prompt, 'int64', [3, 12]) }));
    for (const [out, method] of [
      [int8, 'int8-dynamic'],
      [int4, 'int4'],
    ] as const) {
      const q = await cli(['quantize', model, '-o', out, '--method', method]);
      expect(q.code, q.stderr).toBe(0);
    }
  });
  afterAll(() => tmp.cleanup());

  it('reports first token, decode per token, tokens/s and greedy agreement per model in --json', async () => {
    const run = await cli([
      'bench',
      model,
      int8,
      int4,
      '--generate',
      '12',
      '--dim',
      'sequence_length=8',
      '--iterations',
      '3',
      '--warmup',
      '0',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as Json;
    expect(json.settings.generate).toEqual({
      steps: 12,
      decoding: 'greedy',
      promptTokens: 8,
      prompt: expect.stringContaining("synthetic ids in 'input_ids' (seed 0, ids 0..31), length 8") as string,
    });
    expect(json.settings.iterations).toBe(3);
    expect(json.notes).toContain(
      "every model generates from the same prompt, decoder_with_past_model.onnx's.",
    );
    for (const [i, r] of json.results.entries()) {
      const g = r.generation!;
      expect(g).toMatchObject({ promptTokens: 8, decodeSteps: 12, newTokens: 13, generations: 3 });
      expect(g.firstToken.count).toBe(3);
      expect(g.decode.count).toBe(36);
      expect(g.ids).toHaveLength(13);
      expect(g.ids.every((id) => Number.isInteger(id) && id >= 0 && id < VOCAB)).toBe(true);
      // Tokens/s is of the median step, as the decode p50 ratio and its verdict.
      expect(g.tokensPerSecond).toBeCloseTo(1000 / g.decode.p50Ms, 6);
      expect(g.firstToken.p90Ms).toBeGreaterThanOrEqual(g.firstToken.p50Ms);
      // The latency statistics of a generation's result are per decode step.
      expect(r.iterations).toBe(36);
      expect(r.p50Ms).toBe(g.decode.p50Ms);
      expect(r.throughput).toBeCloseTo(g.tokensPerSecond, 6);
      expect(r.inputs.find((input) => input.name === 'past_key_values.3.value')!.shape).toEqual([1, 2, 0, 8]);
      if (i === 0) {
        expect(g).not.toHaveProperty('agreement');
        continue;
      }
      // A quantized variant gets a fidelity figure in generation: the share of ids equal to the original's.
      expect(g.agreement).toBeGreaterThanOrEqual(0);
      expect(g.agreement).toBeLessThanOrEqual(1);
      const baseline = json.results[0]!.generation!.ids;
      const same = g.ids.filter((id, k) => id === baseline[k]).length;
      expect(g.agreement).toBeCloseTo(same / 13, 9);
      expect(g.firstDifference).toBe(same === 13 ? null : g.ids.findIndex((id, k) => id !== baseline[k]));
    }
    expect(json.comparisons).toHaveLength(2);
    for (const c of json.comparisons!) {
      expect(c.generation!.firstTokenP50Ratio).toBeGreaterThan(0);
      expect(c.generation!.tokensPerSecondRatio).toBeGreaterThan(0);
      expect(c.sizeRatio).toBeLessThan(1);
    }
  });

  it('prints a table per model and what it generated from', async () => {
    const run = await cli([
      'bench',
      model,
      int4,
      '--generate',
      '6',
      '--dim',
      'sequence_length=8',
      '--iterations',
      '2',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^Generation: a prompt of 8 tokens, then 6 decode steps \(7 new tokens\), greedy \(the argmax of the last logits\); \d+ warmup \+ 2 timed generations per model, interleaved/m,
    );
    expect(run.stdout).toMatch(
      /^Model\s+Prompt\s+New\s+First token p50\s+p90\s+Decode p50\/token\s+p90\s+Tokens\/s\s+Agree until\s+Agreement$/m,
    );
    expect(run.stdout).toMatch(
      /^decoder_with_past_model\.onnx\s+8\s+7\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+-\s+\(baseline\)$/m,
    );
    expect(run.stdout).toMatch(/^int4\.onnx\s+8\s+7\s.*\s(all 7|\d)\s+\d+\.\d% \(\d\/7\)$/m);
    expect(run.stdout).toMatch(
      /^Model\s+Decode p50 ratio\s+First token p50 ratio\s+Tokens\/s ratio\s+Size ratio$/m,
    );
    expect(run.stdout).toMatch(/^ {2}int4\.onnx: (\d+ ){6}\d+$/m);
  });

  it("generates from --data's first sample and continues its pattern", async () => {
    const run = await cli(['bench', merged, '--generate', '8', '--data', ids, '--iterations', '1', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as Json;
    expect(json.settings.generate!.prompt).toMatch(/^the first sample of .*ids\.npz.*, its 'input_ids'$/);
    expect(json.settings.generate!.promptTokens).toBe(12);
    const g = json.results[0]!.generation!;
    // The pattern LM continues its pattern from the data's first sample: its first id follows that sample's last.
    expect(g.ids[0]).toBe(nextInPattern(Number(prompt[11]), VOCAB));
    expect(g.ids.slice(1)).toEqual(g.ids.slice(0, -1).map((id) => nextInPattern(id, VOCAB)));
  });

  it('measures whole generations for --duration', async () => {
    const run = await cli([
      'bench',
      merged,
      '--generate',
      '4',
      '--dim',
      'sequence_length=4',
      '--duration',
      '0.2',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const g = (JSON.parse(run.stdout) as Json).results[0]!.generation!;
    expect(g.generations).toBeGreaterThanOrEqual(1);
    expect(g.decode.count).toBe(g.generations * 4);
  });

  it('refuses, in words, a model without a cache, batch 2, a prompt past the position table, --profile and --samples', async () => {
    const mlp = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp()));
    const cases: [string[], string][] = [
      [
        [mlp],
        '--generate needs a decoder with a KV cache: mlp.onnx has no cache inputs (inputs named past_key_values.N.key/value',
      ],
      [
        [model, '--dim', 'batch_size=2'],
        "--generate runs one sequence at a time (batch 1), but the prompt's 'input_ids' is [2, 128]. Give batch 1 (--dim batch_size=1",
      ],
      [
        [merged, '--dim', 'sequence_length=250'],
        "--generate 10 after a prompt of 250 tokens feeds positions 0..259, but decoder_model_merged.onnx's 'position_ids' " +
          "indexes the 256 rows of 'embed_positions.weight': prompt + steps must be at most 256. Use --generate 6 or fewer, or a " +
          'prompt of at most 246 tokens (--dim sequence_length=246).',
      ],
      [[model, '--profile'], '--profile times single runs and does not combine with --generate.'],
      [[model, '--samples', '4'], '--samples does not apply to --generate'],
      [[model, '--value', 'attention_mask=1'], "--generate feeds 'attention_mask' itself"],
    ];
    for (const [args, message] of cases) {
      const run = await cli(['bench', ...args, '--generate', '10', '--iterations', '1']);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });

  it("refuses a prompt whose ids pass a model's token table, before any run", async () => {
    const wide = path.join(tmp.dir, 'wide.onnx');
    fs.writeFileSync(wide, modelBytes(buildKvCacheLm({ vocab: 4 * VOCAB, hidden: 12 * VOCAB })));
    const big = path.join(tmp.dir, 'big.npz');
    fs.writeFileSync(
      big,
      encodeNpz({ input_ids: encodeNpyArray(BigInt64Array.from([1n, 2n, 40n, 3n]), 'int64', [1, 4]) }),
    );
    const table = "'input_ids' indexes the 32 rows of 'embed_tokens.weight'";
    const cases: [string[], RegExp][] = [
      // The wide model's synthetic ids (0..127) reach the 32-row model.
      [
        [wide, model, '--dim', 'sequence_length=16'],
        new RegExp(
          `The prompt's ids go up to \\d+, but decoder_with_past_model\\.onnx's ${table}: generate with models of ` +
            'one vocabulary, or give --data whose ids are below 32\\.',
        ),
      ],
      [
        [model, '--data', big],
        new RegExp(
          `The prompt's ids go up to 40, but decoder_with_past_model\\.onnx's ${table}: give --data whose ids are below 32\\.`,
        ),
      ],
    ];
    for (const [args, message] of cases) {
      const run = await cli(['bench', ...args, '--generate', '4', '--iterations', '1', '--warmup', '0']);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain('Gather');
    }
  });

  it('advises only what fits the position table, and cuts --data to --dim sequence_length', async () => {
    const refused = async (args: string[]) => {
      const run = await cli(['bench', merged, ...args, '--iterations', '1', '--warmup', '0']);
      expect(run.code, args.join(' ')).toBe(2);
      return run.stderr;
    };
    // 8 + 300 > 256: fewer steps fit; no prompt of a token or more does, so none is offered.
    const steps = await refused(['--generate', '300', '--dim', 'sequence_length=8']);
    expect(steps).toContain('prompt + steps must be at most 256. Use --generate 248 or fewer.');
    expect(steps).not.toContain('a prompt of at most');
    // A prompt of 1 and 256 steps: 255 steps fit, and no prompt ('1 token', not '1 tokens').
    const one = await refused(['--generate', '256', '--dim', 'sequence_length=1']);
    expect(one).toContain('after a prompt of 1 token feeds positions 0..256');
    expect(one).toContain('Use --generate 255 or fewer.');
    // With --data, --dim sequence_length is advised because it cuts the data's prompt.
    const data = await refused(['--generate', '250', '--data', ids]);
    expect(data).toContain(
      'Use --generate 244 or fewer, or a prompt of at most 6 tokens (--dim sequence_length=6).',
    );
    const cut = await cli([
      'bench',
      merged,
      '--generate',
      '250',
      '--data',
      ids,
      '--dim',
      'sequence_length=6',
      '--iterations',
      '1',
      '--json',
    ]);
    expect(cut.code, cut.stderr).toBe(0);
    const json = JSON.parse(cut.stdout) as Json;
    expect(json.settings.generate!.promptTokens).toBe(6);
    expect(json.notes).toContain(
      "the prompt is the first 6 of the sample's 12 ids (--dim sequence_length=6).",
    );
    const g = json.results[0]!.generation!;
    expect(g.ids[0]).toBe(nextInPattern(Number(prompt[5]), VOCAB));
  });

  it('guesses a prompt that fits the position table when nothing sets its length, and says so', async () => {
    const run = await cli([
      'bench',
      merged,
      '--generate',
      '200',
      '--iterations',
      '1',
      '--warmup',
      '0',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as Json;
    expect(json.settings.generate!.promptTokens).toBe(56);
    expect(json.settings.generate!.prompt).toContain(
      "length 56 (guessed: the 256 rows of 'embed_positions.weight' less the 200 decode steps",
    );
  });

  it('documents --generate in --help', async () => {
    const help = await cli(['bench', '--help']);
    expect(help.stdout).toContain('--generate N');
    expect(help.stdout).toContain('--profile and --samples are refused');
  });
});
