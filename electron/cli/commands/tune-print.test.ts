import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { top1AgreementNote, type TuneOutcome, type TuneTrial } from '../../../shared/tune.js';
import { noChoiceLines, noChoiceMessage, printTuneOutcome } from './tune-print.js';

/*
 * The printed outcome refers to trials by their numbers, which are not positions in the list: a collected
 * sweep holds only the trials that have a result.
 */

function trial(index: number, name: string, cosine: number): TuneTrial {
  return {
    index,
    name,
    recipe: { kind: 'quantize', method: 'int8-dynamic', common: {}, options: {} },
    status: 'done',
    bytes: 300,
    sizeRatio: 0.3,
    p50Ratio: 0.7,
    cosine,
    meetsBudget: cosine >= 0.99,
    seconds: 2,
  };
}

function printed(outcome: TuneOutcome, variantAt?: string, missing?: number[]): string {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  printTuneOutcome(out, outcome, variantAt ? '/tmp/out.onnx' : undefined, variantAt, missing);
  return Buffer.concat(chunks).toString('utf8');
}

const base: Omit<TuneOutcome, 'trials'> = {
  model: 'model.onnx',
  objective: 'size',
  budget: { kind: 'min-cosine', cosine: 0.99 },
  original: { bytes: 1000 },
  pareto: [],
  stoppedBy: 'searched',
  seconds: 4,
  notes: [],
};

describe('printTuneOutcome', () => {
  it('names the chosen trial of a sweep that has results for trials 2 and 4 only', () => {
    const outcome: TuneOutcome = {
      ...base,
      pareto: [4],
      trials: [trial(2, 'int8-static minmax', 0.9), trial(4, 'int8-dynamic', 0.999)],
      chosen: 4,
    };
    const text = printed(outcome, '/sweep/results/4/variant.onnx', [0, 1, 3]);
    expect(text).toContain('Chosen: int8-dynamic');
    expect(text).toContain('Copied /sweep/results/4/variant.onnx to /tmp/out.onnx.');
    expect(text).not.toContain('nothing was written');
    expect(text).toContain('2 trials collected');
    expect(text).toContain('3 more have no result yet');
    expect(text).not.toContain('every promising recipe was tried');
  });

  it('names the closest trial by its number when none qualifies', () => {
    const outcome: TuneOutcome = {
      ...base,
      trials: [trial(1, 'int4 block 32', 0.5), trial(3, 'int8-static percentile', 0.95)],
      closest: 3,
    };
    const text = printed(outcome, undefined, []);
    expect(text).toContain('Closest: #3 int8-static percentile');
    expect(text).toContain('2 trials collected');
    // A sweep with trials still to run: those are what is left to try, not a local search's limits.
    const incomplete = printed({ ...outcome, stoppedBy: 'incomplete' }, undefined, [0, 2]);
    expect(incomplete).toContain(
      'Some trials of the sweep have no result yet (the missing ones above): run them and collect again, or loosen the budget.',
    );
    expect(incomplete).not.toContain('--time-limit');
  });

  it('does not tell to loosen the budget when every trial failed: no budget was tried', () => {
    const failed = (index: number, error: string): TuneTrial => ({
      ...trial(index, `int8-static ${index}`, 0),
      status: 'failed',
      error,
    });
    const outcome: TuneOutcome = { ...base, trials: [failed(0, 'out of memory'), failed(1, 'a crash')] };
    const text = printed(outcome);
    expect(text).toContain("Every trial failed (see each trial's error), so no budget was tried");
    expect(text).not.toContain('Loosen the budget');
    // --json's message is the same sentences.
    expect(text).toContain(noChoiceLines(outcome).join('\n'));
    expect(noChoiceMessage(outcome)).toBe(noChoiceLines(outcome).join(' '));
  });

  it('prints the guessed inputs the figures were measured on beside them, not only as stderr warnings', () => {
    const guess =
      "dim 'samples' of input 'audio' was guessed as 16000 (one second at the 16000 Hz of 'sr') because nothing set it: the figures are for that size. Pass --dim samples=N to measure another.";
    const outcome: TuneOutcome = {
      ...base,
      trials: [trial(0, 'int8-dynamic', 0.9999)],
      chosen: 0,
      notes: [guess, 'Skipped fp16: a CPU computes float16 models in float32.'],
    };
    const text = printed(outcome, '/tmp/v.onnx');
    const lines = text.split('\n');
    expect(lines[2]).toBe(`Guessed: ${guess}`);
    expect(text).toContain('Note: Skipped fp16');
    expect(text).not.toContain(`Note: ${guess}`);
  });

  it('names the limit that stopped the search by its flag (the app names it by its label: tune-result.test.tsx)', () => {
    const outcome = (stoppedBy: TuneOutcome['stoppedBy']): TuneOutcome => ({
      ...base,
      trials: [trial(0, 'int8-dynamic', 0.9)],
      stoppedBy,
    });
    expect(printed(outcome('max-trials'))).toContain(
      '1 trial in 4.0 s; the search stopped because the trial limit (--max-trials) was reached.',
    );
    expect(printed(outcome('time-limit'))).toContain(
      'the search stopped because the time limit (--time-limit) was reached.',
    );
    expect(printed(outcome('searched'))).toContain(
      'the search stopped because every promising recipe was tried.',
    );
  });

  it('a latency trial its benchmark cannot tell from the original is marked within noise, and why none was kept', () => {
    const same: TuneTrial = { ...trial(0, 'int8-dynamic', 0.9999), p50Ratio: 0.92, latencyVerdict: 'same' };
    const outcome: TuneOutcome = { ...base, objective: 'latency', trials: [same], closest: 0 };
    const text = printed(outcome);
    expect(text).toMatch(/0\.920x, within noise/);
    // A slower trial says so too, and the closest line names its quality figure.
    const broken = trial(0, 'int8-dynamic', 0.95);
    const slower = printed({
      ...outcome,
      trials: [{ ...broken, p50Ratio: 1.089, latencyVerdict: 'slower' }],
    });
    expect(slower).toMatch(/1\.089x, slower/);
    expect(slower).toContain('Closest: #0 int8-dynamic: cosine 0.95000, 0.300x size, p50 1.089x (slower).');
    // A run too noisy to tell anything says so, not "within noise" beside a 1.44x.
    const wild = printed({ ...outcome, trials: [{ ...same, p50Ratio: 1.436, latencyUnreliable: true }] });
    expect(wild).toMatch(/1\.436x, unreliable run/);
    expect(wild).toContain("'unreliable run': its runs spread too much to tell anything");
    expect(text).toContain("'within noise' marks one that run cannot tell from 1 (as Compare judges it).");
    // In a sentence the p50 is named first and its verdict follows in brackets ("1.015x, within noise p50" read
    // as if the noise were the p50's).
    const chosen = printed({ ...outcome, objective: 'size', chosen: 0 }, '/tmp/t.onnx');
    expect(chosen).toContain('Chosen: int8-dynamic: 0.300x size, p50 0.920x (within noise), cosine 0.99990.');
    const unreliable = printed(
      { ...outcome, objective: 'size', chosen: 0, trials: [{ ...same, latencyUnreliable: true }] },
      '/tmp/t.onnx',
    );
    expect(unreliable).toContain('0.300x size, p50 0.920x (unreliable run), cosine');
    expect(noChoiceLines(outcome)[1]).toBe(
      "1 trial meets the budget, but none is faster than the original beyond its benchmark's noise (at least 5%, more on a noisy run): the best, #0 int8-dynamic, is at 0.920x.",
    );
    expect(noChoiceLines(outcome)[2]).toMatch(/does not pay off in latency/);
    // Met, but on a run too noisy to judge: the advice is about the machine, not the models or the budget.
    const noisy = noChoiceLines({
      ...outcome,
      trials: [{ ...same, p50Ratio: 0.18, latencyUnreliable: true }],
    });
    expect(noisy[2]).toMatch(
      /^Their benchmarks spread too much to call any faster \(unreliable run\): run again with the machine otherwise idle/,
    );
    expect(noisy.join('\n')).not.toMatch(/does not pay off|Loosen the budget/);
    // Noisy but measured slower (x1.26): a quieter machine would not make it faster, so no such advice.
    const slowNoisy = noChoiceLines({
      ...outcome,
      trials: [{ ...same, p50Ratio: 1.262, latencyUnreliable: true }],
    });
    expect(slowNoisy.join('\n')).not.toMatch(/spread too much/);
    // The size objective asks 3%, and a ratio without a verdict carries no noise note.
    const sized: TuneOutcome = {
      ...base,
      trials: [{ ...trial(0, 'fp16', 0.9999), sizeRatio: 0.99 }],
      closest: 0,
    };
    expect(noChoiceLines(sized)[1]).toContain('but none is at least 3% smaller than the original: the best');
    expect(printed(sized)).not.toContain('within noise');
  });

  it('shows the top-1 agreement of class-score trials beside the cosine, under a cosine budget only', () => {
    // A cosine of 0.993 hid one prediction in ten changed (the CLI user test's int4 of an MLP classifier).
    const int4: TuneTrial = { ...trial(0, 'int4', 0.99291), top1Agreement: 0.9 };
    const text = printed({ ...base, trials: [int4], chosen: 0 });
    expect(text).toMatch(/Cosine +Top-1 agreement/);
    expect(text).toMatch(/0\.99291 +90\.00%/);
    const accuracy = printed({
      ...base,
      budget: { kind: 'accuracy-drop', points: 0.5 },
      trials: [int4],
      chosen: 0,
    });
    expect(accuracy).not.toContain('Top-1 agreement');
    // The note tune adds for a chosen trial past the best-variant rule's 0.5 points, and not within it.
    expect(top1AgreementNote(int4, base.budget, 0.5)).toMatch(
      /^#0 int4 keeps the cosine budget but gives another top class than the original on 10\.0% of the samples/,
    );
    expect(top1AgreementNote({ ...int4, top1Agreement: 0.996 }, base.budget, 0.5)).toBeUndefined();
    expect(top1AgreementNote(int4, { kind: 'accuracy-drop' }, 0.5)).toBeUndefined();
    // Per-token scores: the share is of positions (a user test read "17.2% of the samples" for 4 x 16 tokens).
    expect(top1AgreementNote({ ...int4, top1PerPosition: true }, base.budget, 0.5)).toMatch(
      /another top class than the original on 10\.0% of the positions \(top-1/,
    );
  });

  it('says the final benchmark’s time beside the search’s, so they add up to the run', () => {
    // A user test: "4 trials in 387.7 s" for a run of 7:58, the benchmark of the choice not counted.
    const outcome: TuneOutcome = {
      ...base,
      seconds: 387.7,
      benchSeconds: 90.2,
      trials: [trial(1, 'int8-weight', 0.999)],
      chosen: 1,
    };
    const text = printed(outcome, '/tmp/v.onnx');
    expect(text).toContain(
      '1 trial in 387.7 s; the search stopped because every promising recipe was tried. Benchmarking the choice against the original took 90.2 s more (477.9 s for search and benchmark).',
    );
    expect(printed({ ...outcome, benchSeconds: undefined }, '/tmp/v.onnx')).not.toContain('Benchmarking');
  });

  it('a cancelled search says only that, with what finished: no advice on the budget or the machine', () => {
    // The finished trial meets the budget but is not faster: a search that ran to its end would say that
    // compression does not pay off; a cancelled one knows no such thing.
    const slow = { ...trial(0, 'int8-static percentile per-channel', 0.9999), p50Ratio: 1.0 };
    const outcome: TuneOutcome = {
      ...base,
      objective: 'latency',
      trials: [slow],
      closest: 0,
      stoppedBy: 'cancelled',
      notes: ['Cancelled before it finished, so not listed: #1 int8-dynamic.'],
    };
    const text = printed(outcome);
    expect(noChoiceLines(outcome)).toEqual([
      'The search was cancelled after 1 finished trial (above): nothing was written.',
    ]);
    expect(text).toContain('Note: Cancelled before it finished, so not listed: #1 int8-dynamic.');
    expect(text).not.toMatch(/does not pay off|Loosen the budget|none is faster/);
    expect(noChoiceLines({ ...outcome, trials: [], closest: undefined })).toEqual([
      'The search was cancelled after 0 finished trials: nothing was written.',
    ]);
  });

  it('quotes the recipe command for the shell, and shows the bool and integer outputs on their own', () => {
    const written = '/tmp/ünï cödé/dïr with spaces 日本/t ✓.onnx';
    const outcome: TuneOutcome = {
      ...base,
      trials: [{ ...trial(0, 'int8-dynamic', 0.9999), agreement: 0.975 }],
      chosen: 0,
    };
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    printTuneOutcome(out, outcome, written);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toContain(`(its recipe is in its metadata: onnx-studio recipe '${written}')`);
    expect(text).toMatch(/Cosine\s+Agreement\s+Budget/);
    expect(text).toMatch(/0\.99990\s+97\.50%\s+met/);
    expect(text).toContain(
      'Chosen: int8-dynamic: 0.300x size, p50 0.700x, cosine 0.99990, agreement 97.50%.',
    );
    // A model without such outputs has no Agreement column.
    expect(printed({ ...outcome, trials: [trial(0, 'int8-dynamic', 0.9999)] })).not.toContain('Agreement');
  });
});

describe('printTuneOutcome names the data and tells a cosine from its budget', () => {
  it('prints the data line, the --eval-samples subset, and the cosine digits that show which side of the budget', () => {
    // A user test: against a budget of 0.99997, "0.99997 broken" sat beside "0.99997 met", and nothing named the
    // data or the 120 of 360 samples the budget was judged on.
    const budget = { kind: 'min-cosine' as const, cosine: 0.99997 };
    const broken = { ...trial(3, 'int8-static minmax per-channel', 0.9999663), meetsBudget: false };
    const met = {
      ...trial(13, 'int8-static minmax per-channel + 1 node in float', 0.9999724),
      meetsBudget: true,
    };
    const text = printed({
      ...base,
      budget,
      trials: [broken, met],
      data: {
        evaluation: { name: 'test-inputs.npy + test-labels.npy', samples: 360, sha256: 'e' },
        evalSamples: 120,
        calibration: { name: 'calib-inputs.npy', samples: 200, sha256: 'c' },
      },
    });
    expect(text).toContain(
      'Measured on test-inputs.npy + test-labels.npy (120 of 360 samples, set by --eval-samples); int8-static calibrated on calib-inputs.npy (200 samples).',
    );
    expect(text).toMatch(/^3 .*0\.999966 .*broken/m);
    expect(text).toMatch(/^13 .*0\.999972 .*met/m);
  });
});
