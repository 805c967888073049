import { describe, expect, it } from 'vitest';
import {
  conditionsDiffer,
  describeBaseline,
  duringAutoOptimize,
  originalBaseline,
  runConditions,
  type RunConditions,
} from './bench-conditions.js';

const SETTINGS = {
  threads: 0,
  interOpThreads: 0,
  optLevel: 'all',
  allowSpinning: false,
  data: 'synthetic (4 samples, seed 0)',
};
const INPUTS = [{ name: 'x', shape: [1, 3, 32, 32] }];

describe('the conditions of a benchmark run', () => {
  it('reads the engine settings, profiling (a profile in its results), the inputs and the data from its record', () => {
    const profiled = runConditions({
      settings: SETTINGS,
      results: [{ profile: {} }, { profile: {} }],
      inputs: INPUTS,
    });
    expect(profiled).toEqual({
      threads: 0,
      interOpThreads: 0,
      optLevel: 'all',
      allowSpinning: false,
      profiling: true,
      inputs: '1x3x32x32',
      data: { key: 'synthetic (4 samples, seed 0)', name: 'synthetic (4 samples, seed 0)' },
    });
    // A browser benchmark holds no engine settings: they differ from nothing.
    const browser = runConditions({ results: [{}] });
    expect(browser).toEqual({ profiling: false });
    expect(conditionsDiffer(browser, { ...profiled, profiling: false })).toEqual([]);
  });

  it('sets a run profiled in a pass of its own beside a plain one: the profiler touched none of its timings', () => {
    const apart = runConditions({
      settings: SETTINGS,
      results: [{ profile: { timedApart: true } }],
      inputs: INPUTS,
    });
    const plain = runConditions({ settings: SETTINGS, results: [{}], inputs: INPUTS });
    expect(apart.profiling).toBe(false);
    expect(conditionsDiffer(apart, plain)).toEqual([]);
    // A record from before, profiled in its timed runs, stays apart.
    const inline = runConditions({ settings: SETTINGS, results: [{ profile: {} }], inputs: INPUTS });
    expect(conditionsDiffer(inline, plain)).toEqual(['with profiling']);
  });

  it('says where a run differs, in words that follow "ran"', () => {
    const base: RunConditions = {
      threads: 0,
      optLevel: 'all',
      allowSpinning: false,
      profiling: true,
      inputs: '1x3x32x32',
    };
    expect(conditionsDiffer({ ...base, profiling: false }, base)).toEqual(['without profiling']);
    expect(conditionsDiffer({ ...base, threads: 4, optLevel: 'basic', inputs: '1x3x64x64' }, base)).toEqual([
      'with 4 intra-op threads',
      'at opt level basic',
      'on inputs 1x3x64x64',
    ]);
    expect(conditionsDiffer(base, { ...base, threads: 1 })).toEqual(['with the default intra-op threads']);
  });

  it("says a decoder's alike cache inputs once in the inputs a run differs on", () => {
    const decoder = (past: number) => [
      { name: 'input_ids', shape: [1, 1] },
      { name: 'attention_mask', shape: [1, past + 1] },
      ...[0, 1, 2, 3].flatMap((n) =>
        ['key', 'value'].map((part) => ({ name: `past_key_values.${n}.${part}`, shape: [1, 2, past, 8] })),
      ),
    ];
    const at = (past: number) => runConditions({ settings: SETTINGS, results: [{}], inputs: decoder(past) });
    expect(at(128).inputs).toBe(
      'input_ids 1x1, attention_mask 1x129, past_key_values.0..3.key/value (8) 1x2x128x8',
    );
    expect(conditionsDiffer(at(0), at(128))).toEqual([
      'on inputs input_ids 1x1, attention_mask 1x1, past_key_values.0..3.key/value (8) 1x2x0x8',
    ]);
    // A single cache-like input is named as before.
    const one = runConditions({
      results: [{}],
      inputs: [...INPUTS, { name: 'past_key_values', shape: [1, 2, 5, 8] }],
    });
    expect(one.inputs).toBe('x 1x3x32x32, past_key_values 1x2x5x8');
  });

  it('tells the benchmarks of an Auto-optimize run by when they were made', () => {
    const tunes = [{ startedAt: '2026-12-07T07:00:11Z', endedAt: '2026-12-07T07:00:24Z' }];
    expect(duringAutoOptimize('2026-12-07T07:00:23Z', tunes)).toBe(true);
    expect(duringAutoOptimize('2026-12-07T06:58:28Z', tunes)).toBe(false);
    expect(duringAutoOptimize('2026-12-07T07:30:00Z', [{ startedAt: '2026-12-07T07:20:00Z' }])).toBe(true);
    expect(duringAutoOptimize(undefined, tunes)).toBe(false);
  });
});

describe("the original's run the variants are set beside", () => {
  interface Run {
    p50: number;
    c?: RunConditions;
    auto?: boolean;
  }
  const on: RunConditions = { profiling: true, threads: 0 };
  const off: RunConditions = { profiling: false, threads: 0 };
  const choose = (original: Run[], variants: Run[]) =>
    originalBaseline(
      original,
      variants,
      (r) => r.c,
      (r) => r.p50,
      (r) => r.auto === true,
    );

  it("is the latest run made like most variants' runs, with a note of how the latest differs", () => {
    const chosen = choose(
      [
        { p50: 0.394, c: on },
        { p50: 0.376, c: on },
        { p50: 0.206, c: off, auto: true },
      ],
      [
        { p50: 0.395, c: on },
        { p50: 0.317, c: on },
        { p50: 0.2, c: off },
      ],
    );
    expect(chosen?.run.p50).toBe(0.376);
    expect(chosen?.note).toEqual({
      kind: 'matched',
      baseMs: 0.376,
      latestMs: 0.206,
      differs: 'without profiling',
      autoOptimize: true,
    });
    expect(describeBaseline(chosen!.note!)).toBe(
      "The original's 0.376 ms is its latest run made like most variants' runs; its latest run (0.206 ms, in an Auto-optimize run) ran without profiling.",
    );
  });

  it('is the latest where it was made like them, as common as any, unknown (still streaming) or nothing was timed', () => {
    expect(
      choose(
        [
          { p50: 1, c: off },
          { p50: 2, c: on },
        ],
        [{ p50: 1, c: on }],
      )?.note,
    ).toBeUndefined();
    expect(
      choose(
        [
          { p50: 1, c: on },
          { p50: 2, c: off },
        ],
        [
          { p50: 1, c: on },
          { p50: 1, c: off },
        ],
      )?.run.p50,
    ).toBe(2);
    expect(choose([{ p50: 1, c: on }, { p50: 2 }], [{ p50: 1, c: on }])?.run.p50).toBe(2);
    expect(
      choose(
        [
          { p50: 1, c: on },
          { p50: 2, c: off },
        ],
        [],
      )?.run.p50,
    ).toBe(2);
    expect(choose([], [{ p50: 1, c: on }])).toBeUndefined();
  });

  it('is the latest where no run of the original was made like them, and says it differs', () => {
    const chosen = choose([{ p50: 0.206, c: off }], [{ p50: 0.395, c: on }]);
    expect(chosen?.run.p50).toBe(0.206);
    expect(chosen?.note).toMatchObject({
      kind: 'unmatched',
      baseMs: 0.206,
      differs: 'without profiling',
      autoOptimize: false,
    });
    expect(describeBaseline(chosen!.note!)).toBe(
      "The original's 0.206 ms is from a run that ran without profiling, unlike most variants' runs: benchmark the original with their settings to set them beside a like run.",
    );
  });
});
