/**
 * A Cancel during the benchmark or the export of the choice leaves no choice (only a finished search chooses):
 * the notes that explained the choice go with it, and the search's other notes stay (a review finding).
 */
import { describe, expect, it } from 'vitest';
import type { TuneBudget } from '../../../shared/options/tune-options.js';
import { sameSizeNote, tuneChoice, type TuneOutcome, type TuneTrial } from '../../../shared/tune.js';
import { withdrawChoice } from './tune-search.js';

const budget: TuneBudget = { kind: 'min-cosine', cosine: 0.99 };
const sized = (index: number, name: string, bytes: number, cosine: number): TuneTrial => ({
  index,
  name,
  recipe: { kind: 'quantize', method: 'int8-dynamic', common: {}, options: {} },
  status: 'done',
  bytes,
  sizeRatio: bytes / 1_000_000_000,
  cosine,
  meetsBudget: cosine >= budget.cosine,
  seconds: 1,
});

describe('a choice withdrawn after a Cancel', () => {
  it('takes the choice and the notes that explain it, and keeps the others', () => {
    const trials = [
      sized(0, 'int8-weight', 587_249_823, 0.99888),
      sized(1, 'int8-static', 584_826_308, 0.9956),
    ];
    const searchNote = 'Not fp16: a CPU computes float16 models in float32.';
    // The tie note as the search wrote it beside the choice of #0 over the 0.4% smaller #1.
    const tieNote = sameSizeNote(tuneChoice(trials, 'size', budget), budget);
    expect(tieNote).toContain('was kept over');
    const outcome: TuneOutcome = {
      model: '/m.onnx',
      objective: 'size',
      budget,
      original: { bytes: 1_000_000_000 },
      trials,
      pareto: [0, 1],
      chosen: 0,
      stoppedBy: 'cancelled',
      seconds: 3,
      notes: [searchNote, tieNote!],
    };
    withdrawChoice(outcome);
    expect(outcome.chosen).toBeUndefined();
    expect(outcome.notes).toEqual([searchNote]);
  });
});
