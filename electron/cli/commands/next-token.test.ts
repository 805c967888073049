import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TuneOutcome } from '../../../shared/tune.js';
import type { EvalReport } from '../../engine/evaluate/evaluate-model.js';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { buildPatternLm, patternIds } from '../../engine/testing/tied-lm.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

/*
 * A language model measured on its own token ids, without labels, from every command that measures accuracy:
 * eval, tune's accuracy budget, and a recipe's eval step of the source. The pattern LM ranks the next id of its
 * pattern first; the ids follow it but for 20% random jumps, so its next-token accuracy is about 80%.
 */

const VOCAB = 64;
const TOKENS = 12;
const SAMPLES = 30;

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('a language model graded on its own ids', () => {
  const tmp = makeTempDir('onnx-studio-next-token-cli-');
  const model = path.join(tmp.dir, 'lm.onnx');
  const ids = path.join(tmp.dir, 'ids.npy');

  beforeAll(() => {
    fs.writeFileSync(model, modelBytes(buildPatternLm({ vocab: VOCAB, tokens: TOKENS })));
    fs.writeFileSync(ids, encodeNpyArray(patternIds(SAMPLES, TOKENS, VOCAB), 'int64', [SAMPLES, TOKENS]));
  });
  afterAll(() => tmp.cleanup());

  it('eval prints next-token accuracy and perplexity, and says what it read', async () => {
    const text = await cli(['eval', model, '--data', ids]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      "Task       next-token: the data has no labels; input 'ids' ([12] in the first sample) looks up 'embed_tokens.weight' (64 rows), and output 'logits' [12, 64] scores 64 ids at each position",
    );
    expect(text.stdout).toMatch(/Next-token accuracy +\d+\.\d\d% \(\d+\/330 positions\)/);
    expect(text.stdout).toMatch(/Perplexity +\d+\.\d{4}/);
    const json = await cli(['eval', model, '--data', ids, '--json']);
    const report = JSON.parse(json.stdout) as EvalReport;
    expect(report.task).toBe('next-token');
    expect(report.nextToken).toMatchObject({ idsInput: 'ids', positions: SAMPLES * (TOKENS - 1) });
    // The pattern: ~80% of the next ids follow it, and the model ranks them first.
    expect(report.accuracy).toBeGreaterThan(0.7);
    expect(report.accuracy).toBeLessThan(0.9);
    expect(report.nextToken!.perplexity).toBeCloseTo(Math.exp(report.nextToken!.crossEntropy), 9);
  });

  it('--task next-token on a variant reads fidelity too, and int4 costs perplexity', async () => {
    const int4 = path.join(tmp.dir, 'lm-int4.onnx');
    expect((await cli(['quantize', model, '-o', int4, '--method', 'int4'])).code).toBe(0);
    const json = await cli([
      'eval',
      int4,
      '--data',
      ids,
      '--reference',
      model,
      '--task',
      'next-token',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const variant = JSON.parse(json.stdout) as EvalReport;
    const original = JSON.parse((await cli(['eval', model, '--data', ids, '--json'])).stdout) as EvalReport;
    expect(variant.task).toBe('next-token');
    expect(variant.taskReason).not.toContain('the data has no labels');
    expect(variant.fidelity?.output).toBe('logits');
    expect(variant.nextToken!.perplexity).toBeGreaterThan(original.nextToken!.perplexity);
  });

  it("tune keeps an accuracy budget on the model's own ids and names it next-token accuracy", async () => {
    // One trial, for file size: no timing needed.
    const tune = (name: string, ...flags: string[]) =>
      cli([
        'tune',
        model,
        '-o',
        path.join(tmp.dir, name),
        '--data',
        ids,
        '--max-accuracy-drop',
        '1',
        '--objective',
        'size',
        '--max-trials',
        '1',
        ...flags,
      ]);
    const run = await tune('tuned.onnx', '--json');
    expect(run.code, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout) as TuneOutcome;
    expect(outcome.original).toMatchObject({ accuracyTask: 'next-token' });
    expect(outcome.original.accuracy).toBeGreaterThan(0.7);
    expect(outcome.trials[0]!.accuracy).toBeDefined();
    expect(outcome.trials[0]!.dropPoints).toBeDefined();
    const text = await tune('tuned-text.onnx');
    expect(text.stdout).toMatch(/Original: [\d.]+ KiB, next-token accuracy \d+\.\d\d%\./);
    // Random ids say nothing of the model: synthetic data still refuses an accuracy budget.
    const synthetic = await cli([
      'tune',
      model,
      '-o',
      path.join(tmp.dir, 's.onnx'),
      '--data',
      'synthetic',
      '--max-accuracy-drop',
      '1',
    ]);
    expect(synthetic.code).toBe(2);
    expect(synthetic.stderr).toMatch(/accuracy budget needs labels/);
    // A model that echoes its ids (a masked LM): next-token accuracy says nothing of it, and the budget is refused.
    const echo = path.join(tmp.dir, 'echo.onnx');
    fs.writeFileSync(echo, modelBytes(buildPatternLm({ vocab: VOCAB, tokens: TOKENS, echo: true })));
    const refused = await cli([
      'tune',
      echo,
      '-o',
      path.join(tmp.dir, 'e.onnx'),
      '--data',
      ids,
      '--max-accuracy-drop',
      '1',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/ranks each position's own id first at 100\.0% .* reads as a masked LM/);
  });

  it('tune --emit writes a sweep that grades the original on its ids, and says which accuracy', async () => {
    const dir = path.join(tmp.dir, 'sweep');
    const emitted = await cli(['tune', model, '--data', ids, '--max-accuracy-drop', '1', '--emit', 'slurm', dir]);
    expect(emitted.code, emitted.stderr).toBe(0);
    const sweep = JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as Record<string, unknown>;
    expect(sweep).toMatchObject({ labelled: true, accuracyTask: 'next-token' });
  });

  it("a recipe's eval step of the source runs on the ids without labels", async () => {
    const dir = path.join(tmp.dir, 'recipe');
    fs.mkdirSync(dir);
    fs.copyFileSync(model, path.join(dir, 'lm.onnx'));
    fs.copyFileSync(ids, path.join(dir, 'ids.npy'));
    const recipe = {
      version: 1,
      source: { name: 'lm.onnx', sha256: sha256(model) },
      steps: [
        {
          kind: 'eval',
          evaluation: {
            spec: { kind: 'npy', path: 'ids.npy' },
            files: [{ name: 'ids.npy', sha256: sha256(ids) }],
          },
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'recipe.json'), JSON.stringify(recipe));
    const run = await cli(['run', path.join(dir, 'recipe.json'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const step = (JSON.parse(run.stdout) as { steps: { report: EvalReport }[] }).steps[0]!;
    expect(step.report.task).toBe('next-token');
    const text = await cli(['run', path.join(dir, 'recipe.json'), '--out', path.join(dir, 'text-out')]);
    expect(text.stdout).toMatch(/1\. eval +30 samples, next-token accuracy \d+\.\d\d%, perplexity \d/);
  });
});
