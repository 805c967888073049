import { describe, expect, it } from 'vitest';
import { parseRecipe, type Recipe } from '../../../shared/recipe.js';
import type { RunRecipeResult } from '../../engine/recipe/run-recipe.js';
import { summaryLines } from './run-summary.js';

/*
 * run's summary on stdout: each figure with the guesses it rests on (as tune, eval and quantize print them), and
 * an eval step's fidelity naming the output it is of where the model has several.
 */

const synthetic = { spec: { kind: 'synthetic', samples: 8 }, files: [] };
const parsed = parseRecipe({
  version: 1,
  source: { name: 'encoder.onnx', sha256: 'a'.repeat(64) },
  steps: [
    { kind: 'quantize', method: 'int8-dynamic' },
    { kind: 'bench', iterations: 5 },
    { kind: 'eval', evaluation: synthetic },
  ],
});
if (!parsed.ok) throw new Error(parsed.message);
const recipe: Recipe = parsed.recipe;

const dims =
  "dim 'seq' of input 'input_ids' was guessed as 128 ('seq' reads as a sequence length) because nothing set it: " +
  'the figures are for that size. Set it with --dim seq=SIZE or --shape input_ids=AxB, then run it again.';
const values =
  "Synthetic data filled 'input_ids' (int64) with random whole numbers 0-99 (ids or indices), because nothing set " +
  'them: the figures are for those values. Set real ones with --value input_ids=MIN:MAX, then run it again.';

const fidelity = (output: string, cosine: number, top1: number | null) => ({
  output,
  cosine,
  worstSampleCosine: cosine,
  sqnrDb: 30,
  maxAbsErr: 0.1,
  meanAbsErr: 0.01,
  top1Agreement: top1,
  exact: false,
  valueAgreement: null,
});

function result(outputs: ReturnType<typeof fidelity>[]): RunRecipeResult {
  const report = (notes: string[], extra: Record<string, unknown>) => ({ notes, ...extra });
  const steps = [
    {
      kind: 'quantize',
      step: 1,
      seconds: 0.1,
      output: '/out/encoder.1-int8-dynamic.onnx',
      report: report([], { inputBytes: 2048, outputBytes: 1024 }),
    },
    {
      kind: 'bench',
      step: 2,
      seconds: 0.5,
      model: '/out/encoder.1-int8-dynamic.onnx',
      report: report([dims, 'intra-op spinning is off.'], {
        results: [
          { p50Ms: 0.7, peakRssBytes: 1 << 20 },
          { p50Ms: 0.6, peakRssBytes: 1 << 20 },
        ],
        comparisons: [{ p50Ratio: 0.88, sizeRatio: 0.5, latencyVerdict: 'same' }],
      }),
    },
    {
      kind: 'eval',
      step: 3,
      seconds: 0.2,
      model: '/out/encoder.1-int8-dynamic.onnx',
      report: report([dims, values], {
        samples: 8,
        fidelity: { ...outputs[0]!, ...(outputs.length > 1 ? { outputs } : {}) },
      }),
    },
  ];
  return {
    source: '/src/encoder.onnx',
    model: '/out/encoder.1-int8-dynamic.onnx',
    steps,
    notes: [],
  } as unknown as RunRecipeResult;
}

describe('summaryLines', () => {
  it("puts the guesses under the first step whose figures rest on them, in the recipe's terms, and points back after", () => {
    const lines = summaryLines(recipe, result([fidelity('logits', 0.99953, 1)]));
    expect(lines[0]).toMatch(/^ 1\. quantize /);
    expect(lines[1]).toMatch(/^ 2\. bench +p50 0\.600 ms, 0\.88x the source's p50 \(within noise\)/);
    expect(lines[2]).toBe(
      `    Guessed: dim 'seq' of input 'input_ids' was guessed as 128 ('seq' reads as a sequence length) because ` +
        `nothing set it: the figures are for that size. Set it in the recipe's "inputs" ("dims": {"NAME": SIZE}, or ` +
        `"shapes": {"INPUT": [SIZES]}), then run it again.`,
    );
    expect(lines[3]).toMatch(
      /^ 3\. eval +8 samples, top-1 agreement with the source 100\.00%, cosine to the source 0\.99953 /,
    );
    // The values are new at step 3; the dims were said under step 2.
    expect(lines[4]).toMatch(
      /^ {4}Guessed: Synthetic data filled 'input_ids' .*Set real ones in the recipe's "inputs"/,
    );
    expect(lines[5]).toBe('    Guessed: as under step 2');
    expect(lines).toHaveLength(6);
    expect(lines.join('\n')).not.toMatch(/--dim|--value|spinning/);
  });

  it('names the output of each fidelity figure of a model with several outputs', () => {
    const lines = summaryLines(
      recipe,
      result([fidelity('logits', 0.94108, 0.75), fidelity('last_hidden_state', 0.96181, null)]),
    );
    expect(lines.find((l) => l.startsWith(' 3.'))).toMatch(
      /8 samples, top-1 agreement of logits with the source 75\.00%, cosine to the source logits 0\.94108, last_hidden_state 0\.96181 {2}\(/,
    );
  });
});
