import { describe, expect, it } from 'vitest';
import {
  benchmarkFailure,
  compareRows,
  describeFailure,
  earlierQualityMark,
  evaluationFailure,
  formatMeasuredAt,
  qualityFiguresSource,
  jobFailure,
  formatLatencyRatio,
  formatRatio,
  baselineNote,
  dataRelationOf,
  latencyNoiseNote,
  latencyVerdict,
  mixedDatasetsHeading,
  latencyNormalisation,
  offSpecNote,
  offSpecShapes,
  comparedOutput,
  paretoCaption,
  paretoFront,
  paretoTag,
  qualityCaption,
  ratioBaseToShow,
  staleFigureIds,
  staleFiguresNote,
  unreliableRunsWarning,
  type CompareRow,
} from './compare-data.js';
import { summarize } from '../../../shared/latency-stats.js';
import type { BenchRecord, EvalRecord } from '../../../shared/workspace.js';
import { initialState, studioReducer, type JobRecord, type MeasurementSource } from './studio-state.js';
import { benchRecord, MODEL_PATH, SUMMARY, tuneRecord, variant, workspace } from './test-fixtures.js';
import { deriveVariants } from './variants.js';

const CPU = { engine: 'onnxruntime-node' as const, provider: 'cpu' };

function rowsOf(benchmarks: ReturnType<typeof benchRecord>[]): CompareRow[] {
  const ws = workspace({
    variants: [variant('v1', 'int8-dynamic', 1000), variant('v2', 'int4', 800)],
    benchmarks,
  });
  const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
  return compareRows(deriveVariants(state), CPU, undefined);
}

describe('latency ratios beside the figures they are against', () => {
  // The reviewer's if-loop.onnx: each variant timed in its own run with the original; the original's row
  // shows its latest run (0.281 ms), int8-dynamic's run timed the original at 0.2109 ms.
  const rows = rowsOf([
    benchRecord('b1', 'cpu', { original: 0.2109, v1: 0.2234 }),
    benchRecord('b2', 'cpu', { original: 0.2545, v2: 0.2637 }),
    benchRecord('b3', 'cpu', { original: 0.2811 }),
  ]);
  const [original, int8, int4] = rows as [CompareRow, CompareRow, CompareRow];

  it('keeps the interleaved ratio and says which original p50 it divides by', () => {
    expect(original.p50Ms).toBe(0.2811);
    expect(int8.latencyRatio).toBeCloseTo(0.2234 / 0.2109, 12);
    expect(int8.latencyRatioBaseMs).toBe(0.2109);
    expect(int4.latencyRatioBaseMs).toBe(0.2545);
  });

  it('prints that base next to a ratio that would otherwise contradict the original row', () => {
    // Before: "×1.06" beside 0.223 ms, under an original of 0.281 ms. The ms says it is the original's: Export's
    // "(0.811 ms there)" after a ratio was the variant's own, and "×1.06 of 0.211 ms" read as the same.
    expect(formatLatencyRatio(int8, original)).toBe("×1.06 of the original's 0.211 ms");
    expect(formatLatencyRatio(int4, original)).toBe("×1.04 of the original's 0.255 ms");
    // Both within their runs' noise (p90 1.2x p50), said beside them.
    expect([latencyNoiseNote(int8), latencyNoiseNote(int4)]).toEqual(['within noise', 'within noise']);
    expect(ratioBaseToShow(original, original)).toBeUndefined();
  });

  it('says "within noise" beside a ratio that prints as ×1.00 too, as beside ×0.98 and ×1.03', () => {
    // The user test: ×0.98 and ×1.03 said "within noise", ×1.00 said nothing, and read as the one not judged.
    const same = { ...int8, latencyRatio: 1.001 };
    expect(formatLatencyRatio(same, original)).toBe("×1.00 of the original's 0.211 ms");
    expect(latencyNoiseNote(same)).toBe('within noise');
    expect(latencyNoiseNote({ ...same, latencyNoise: { ...int8.latencyNoise!, unreliable: true } })).toBe(
      'unreliable run',
    );
  });

  it('names the quality figures measured on different datasets as what they are', () => {
    expect(mixedDatasetsHeading('accuracy')).toBe('These accuracies were measured on different datasets:');
    // No labels: agreement with the original, never called accuracy.
    expect(mixedDatasetsHeading('top1Agreement')).toBe(
      'These top-1 agreements with the original were measured on different datasets:',
    );
    expect(mixedDatasetsHeading('cosine')).toBe(
      'These output cosine similarities were measured on different datasets:',
    );
  });

  it('adds nothing where the base is the original row (one run, or a run without the original)', () => {
    const together = rowsOf([benchRecord('b1', 'cpu', { original: 4, v1: 2, v2: 3 })]);
    expect(together.map((r) => formatLatencyRatio(r, together[0]))).toEqual(['×1.00', '×0.50', '×0.75']);
    // v1 alone: no same-run original, so the ratio is to the original's row, which needs no repeating.
    const alone = rowsOf([benchRecord('b1', 'cpu', { original: 4 }), benchRecord('b2', 'cpu', { v1: 2 })]);
    expect(alone[1]?.latencyRatioBaseMs).toBe(4);
    expect(formatLatencyRatio(alone[1]!, alone[0])).toBe('×0.50');
  });

  it('every ratio shown agrees with the two figures it is printed with', () => {
    for (const r of rows.slice(1)) {
      const base = ratioBaseToShow(r, original) ?? original.p50Ms!;
      expect(r.p50Ms! / base).toBeCloseTo(r.latencyRatio!, 12);
    }
  });
});

function job(partial: Partial<JobRecord> & Pick<JobRecord, 'jobId' | 'status'>): JobRecord {
  return {
    kind: 'bench',
    title: `Benchmark ${partial.jobId}`,
    modelPath: MODEL_PATH,
    targets: ['original', 'v1'],
    measurement: CPU,
    fraction: 1,
    stage: '',
    submittedAtMs: 0,
    notes: [],
    cancelRequested: false,
    lastSeq: 0,
    ...partial,
  };
}

const ORT_ERROR = { code: 'ORT' as const, message: 'Got invalid dimensions for input: x.' };

describe('benchmarkFailure', () => {
  it('reports the latest benchmark of the model when it failed, with its error and how many failed in a row', () => {
    const failure = benchmarkFailure(
      [
        job({ jobId: 'a', status: 'failed', error: ORT_ERROR, submittedAtMs: 1, finishedAtMs: 2 }),
        job({
          jobId: 'b',
          status: 'failed',
          error: ORT_ERROR,
          submittedAtMs: 3,
          finishedAtMs: 4,
          kind: 'web-bench',
        }),
        // Still running, another model's, not a benchmark, cancelled: none of them says anything.
        job({ jobId: 'c', status: 'running', submittedAtMs: 5 }),
        job({
          jobId: 'd',
          status: 'done',
          modelPath: '/models/other.onnx',
          submittedAtMs: 6,
          finishedAtMs: 7,
        }),
        job({ jobId: 'e', status: 'done', kind: 'evaluate', submittedAtMs: 6, finishedAtMs: 7 }),
        job({ jobId: 'f', status: 'cancelled', submittedAtMs: 6, finishedAtMs: 8 }),
      ],
      MODEL_PATH,
    );
    expect(failure).toMatchObject({
      jobId: 'b',
      title: 'Benchmark b',
      error: ORT_ERROR,
      inARow: 2,
      source: CPU,
    });
  });

  it('is old news once a benchmark of the model finished after it', () => {
    const jobs = [
      job({ jobId: 'a', status: 'failed', error: ORT_ERROR, submittedAtMs: 1, finishedAtMs: 2 }),
      job({ jobId: 'b', status: 'done', submittedAtMs: 3, finishedAtMs: 4 }),
    ];
    expect(benchmarkFailure(jobs, MODEL_PATH)).toBeUndefined();
    expect(benchmarkFailure([], MODEL_PATH)).toBeUndefined();
  });

  it('orders by when the jobs ended, and names a failure that came without an error', () => {
    const failure = benchmarkFailure(
      [
        job({ jobId: 'late', status: 'failed', submittedAtMs: 1, finishedAtMs: 10 }),
        job({ jobId: 'early', status: 'done', submittedAtMs: 2, finishedAtMs: 5 }),
      ],
      MODEL_PATH,
    );
    expect(failure?.jobId).toBe('late');
    expect(failure?.error.message).toBe('Benchmark late failed without a message.');
  });
});

describe('evaluationFailure: the same rule as benchmarks, for evaluations', () => {
  const DATA_ERROR = { code: 'BAD_INPUT' as const, message: 'Could not read /data/x.npy: no such file.' };
  const evaluation = (partial: Partial<JobRecord> & Pick<JobRecord, 'jobId' | 'status'>): JobRecord =>
    job({ kind: 'evaluate', title: `Evaluate ${partial.jobId}`, targets: [], ...partial });

  it('reports the latest evaluation of the model when it failed, counting the failures in a row', () => {
    const jobs = [
      evaluation({
        jobId: 'original',
        status: 'failed',
        error: DATA_ERROR,
        submittedAtMs: 1,
        finishedAtMs: 2,
      }),
      evaluation({
        jobId: 'int8-dynamic',
        status: 'failed',
        error: DATA_ERROR,
        submittedAtMs: 3,
        finishedAtMs: 4,
      }),
      // A benchmark that finished later says nothing about evaluations, nor a cancelled or running evaluation.
      job({ jobId: 'b', status: 'done', submittedAtMs: 5, finishedAtMs: 6 }),
      evaluation({ jobId: 'c', status: 'cancelled', submittedAtMs: 5, finishedAtMs: 7 }),
      evaluation({ jobId: 'r', status: 'running', submittedAtMs: 8 }),
    ];
    const failure = evaluationFailure(jobs, MODEL_PATH);
    expect(failure).toMatchObject({
      kind: 'evaluation',
      jobId: 'int8-dynamic',
      title: 'Evaluate int8-dynamic',
      error: DATA_ERROR,
      inARow: 2,
    });
    expect(describeFailure(failure!)).toBe('The last 2 evaluations ran and failed');
    // The benchmarks of the same jobs: none failed.
    expect(benchmarkFailure(jobs, MODEL_PATH)).toBeUndefined();
  });

  it('is old news once an evaluation of the model finished after it; a failed benchmark is not an evaluation', () => {
    const failedBench = job({
      jobId: 'b',
      status: 'failed',
      error: ORT_ERROR,
      submittedAtMs: 10,
      finishedAtMs: 11,
    });
    const jobs = [
      evaluation({ jobId: 'a', status: 'failed', error: DATA_ERROR, submittedAtMs: 1, finishedAtMs: 2 }),
      evaluation({ jobId: 'b2', status: 'done', submittedAtMs: 3, finishedAtMs: 4 }),
      failedBench,
    ];
    expect(evaluationFailure(jobs, MODEL_PATH)).toBeUndefined();
    expect(evaluationFailure([failedBench], MODEL_PATH)).toBeUndefined();
    expect(jobFailure(jobs, MODEL_PATH, 'benchmark')).toMatchObject({
      kind: 'benchmark',
      jobId: 'b',
      inARow: 1,
    });
  });

  it('is per variant: an evaluation of another variant since leaves it standing, one of the same variant ends it', () => {
    const v1Failed = evaluation({
      jobId: 'v1',
      status: 'failed',
      error: DATA_ERROR,
      targets: ['v1'],
      submittedAtMs: 1,
      finishedAtMs: 2,
    });
    const v2Done = evaluation({
      jobId: 'v2',
      status: 'done',
      targets: ['v2'],
      submittedAtMs: 3,
      finishedAtMs: 4,
    });
    const failure = evaluationFailure([v1Failed, v2Done], MODEL_PATH);
    expect(failure).toMatchObject({ jobId: 'v1', targets: ['v1'], error: DATA_ERROR, inARow: 1 });
    const rows = [
      { id: 'original', label: 'original' },
      { id: 'v1', label: 'int8-dynamic' },
      { id: 'v2', label: 'int4' },
    ] as CompareRow[];
    // No figure of int8-dynamic in these rows: said to be missing, by its name.
    expect(staleFiguresNote(failure!, rows)).toBe('there is no figure of int8-dynamic');
    // An earlier figure of it: said to be from earlier, and only that row is marked.
    const shown = rows.map((r) => ({ ...r, quality: 1 }));
    expect(staleFiguresNote(failure!, shown)).toBe(
      'the figure of int8-dynamic is from an earlier evaluation (marked “earlier”)',
    );
    expect([...staleFigureIds(failure, shown, (r) => r.quality !== undefined)]).toEqual(['v1']);
    expect([...staleFigureIds(failure, rows, (r) => r.quality !== undefined)]).toEqual([]);
    expect(staleFigureIds(undefined, shown, (r) => r.quality !== undefined).size).toBe(0);
    // A failure that recorded no targets may have been about any of them: every figure is marked.
    expect([...staleFigureIds({ ...failure!, targets: [] }, shown, () => true)]).toEqual([
      'original',
      'v1',
      'v2',
    ]);

    // Failed again, with the other variant's success between: two in a row for v1.
    const again = evaluation({
      jobId: 'v1-again',
      status: 'failed',
      error: DATA_ERROR,
      targets: ['v1'],
      submittedAtMs: 5,
      finishedAtMs: 6,
    });
    expect(evaluationFailure([v1Failed, v2Done, again], MODEL_PATH)).toMatchObject({
      jobId: 'v1-again',
      inARow: 2,
    });

    // v1 evaluated since: old news. A job that records no targets might have measured v1: old news too.
    const v1Done = evaluation({
      jobId: 'v1-done',
      status: 'done',
      targets: ['v1'],
      submittedAtMs: 7,
      finishedAtMs: 8,
    });
    expect(evaluationFailure([v1Failed, v2Done, v1Done], MODEL_PATH)).toBeUndefined();
    const unknown = evaluation({ jobId: 'unknown', status: 'done', submittedAtMs: 7, finishedAtMs: 8 });
    expect(evaluationFailure([v1Failed, v2Done, unknown], MODEL_PATH)).toBeUndefined();

    // The same rule for benchmarks: a failed run of original + v1 stands while only original + v2 ran since.
    const benchFailed = job({
      jobId: 'b1',
      status: 'failed',
      targets: ['original', 'v1'],
      submittedAtMs: 1,
      finishedAtMs: 2,
    });
    const benchV2 = job({
      jobId: 'b2',
      status: 'done',
      targets: ['original', 'v2'],
      submittedAtMs: 3,
      finishedAtMs: 4,
    });
    expect(benchmarkFailure([benchFailed, benchV2], MODEL_PATH)).toMatchObject({ jobId: 'b1', inARow: 1 });
    const latest = benchmarkFailure([benchFailed, benchV2], MODEL_PATH)!;
    // A benchmark's failure is about latencies, an evaluation's about quality: each by default.
    const timed = rows.map((r) => (r.id === 'original' ? { ...r, p50Ms: 1, quality: 0.9 } : r));
    expect(staleFiguresNote(latest, timed)).toBe(
      'the figure of original is from an earlier benchmark (marked “earlier”) and there is no figure of int8-dynamic',
    );
    const both = rows.map((r) => ({ ...r, p50Ms: 1 }));
    expect(staleFiguresNote(latest, both)).toBe(
      'the figures of original and int8-dynamic are from earlier benchmarks (marked “earlier”)',
    );
    // The latency card and the table mark the latencies it was to replace, by the same rule as quality figures:
    // original's (its latency shown), not int8-dynamic (none shown), nor int4 (not a target of the failed run).
    expect([...staleFigureIds(latest, timed)]).toEqual(['original']);
    expect([...staleFigureIds(latest, both)]).toEqual(['original', 'v1']);
    // A quality figure without a latency is no latency from earlier.
    expect([
      ...staleFigureIds(
        latest,
        rows.map((r) => ({ ...r, quality: 0.9 })),
      ),
    ]).toEqual([]);
  });

  it('adopts the targets the page records when it starts an evaluation, so its failure stays on its variant', () => {
    // As the page registers an evaluation of v1 that fails, then one of v2 that succeeds.
    let state = studioReducer(initialState, {
      type: 'job-submitted',
      jobId: 'e1',
      kind: 'evaluate',
      title: 'Evaluate int8-dynamic',
      modelPath: MODEL_PATH,
      targets: ['v1'],
      atMs: 1,
    });
    state = studioReducer(state, {
      type: 'job-event',
      event: { jobId: 'e1', seq: 0, timeMs: 2, type: 'failed', error: DATA_ERROR },
    });
    state = studioReducer(state, {
      type: 'job-submit-failed',
      jobId: 'e2',
      kind: 'evaluate',
      title: 'Evaluate int4',
      modelPath: MODEL_PATH,
      error: DATA_ERROR,
      atMs: 3,
      targets: ['v2'],
    });
    state = studioReducer(state, {
      type: 'job-submitted',
      jobId: 'e3',
      kind: 'evaluate',
      title: 'Evaluate int4',
      modelPath: MODEL_PATH,
      targets: ['v2'],
      atMs: 4,
    });
    state = studioReducer(state, {
      type: 'job-event',
      event: { jobId: 'e3', seq: 0, timeMs: 5, type: 'result', result: {} },
    });
    expect(evaluationFailure(state.jobs, MODEL_PATH)).toMatchObject({
      jobId: 'e1',
      title: 'Evaluate int8-dynamic',
      targets: ['v1'],
    });
  });

  it('says one failure in the singular, and names a failure that came without an error', () => {
    const failure = evaluationFailure(
      [evaluation({ jobId: 'v1', status: 'failed', submittedAtMs: 1, finishedAtMs: 2 })],
      MODEL_PATH,
    );
    expect(describeFailure(failure!)).toBe('The evaluation ran and failed');
    expect(failure?.error.message).toBe('Evaluate v1 failed without a message.');
    expect(describeFailure(benchmarkFailure([job({ jobId: 'x', status: 'failed' })], MODEL_PATH)!)).toBe(
      'The benchmark ran and failed',
    );
  });
});

describe('latency from different benchmark runs is placed by each run’s ratio', () => {
  // The reviewer's busy machine: the original took 0.107 ms in v1's run and 0.234 ms in its latest run; v1 was
  // x1.01 (slower) in its own run. By absolute p50 it sat left of the original and got the Pareto badge.
  const rows = rowsOf([
    benchRecord('b1', 'cpu', { original: 0.107, v1: 0.108 }),
    benchRecord('b2', 'cpu', { original: 0.234, v2: 0.117 }),
  ]);
  const [original, slower, faster] = rows as [CompareRow, CompareRow, CompareRow];

  it('normalises every variant to the original’s row: ratio × its p50, whiskers scaled alike', () => {
    expect(original.plotP50Ms).toBe(0.234);
    expect(slower.plotP50Ms).toBeCloseTo((0.108 / 0.107) * 0.234, 12);
    expect(slower.plotP99Ms).toBeCloseTo(0.108 * 1.5 * (0.234 / 0.107), 12);
    expect(faster.plotP50Ms).toBeCloseTo(0.117, 12);
    expect(slower.plotP50Ms!).toBeGreaterThan(original.plotP50Ms!);
    expect(latencyNormalisation(rows)).toEqual({ baseMs: 0.234 });
    // All in one run: nothing moves, nothing to say.
    expect(
      latencyNormalisation(rowsOf([benchRecord('b1', 'cpu', { original: 4, v1: 2, v2: 3 })])),
    ).toBeUndefined();
  });

  it('gives the Pareto badge by ratio: a variant slower in its own run is not on the front at equal quality', () => {
    const rated = rows.map((r) => ({ ...r, quality: 1 }));
    expect([...paretoFront(rated)]).toEqual(['v2']);
    // Byte-identical files timed in two runs (0.620 vs 1.32 ms, the original 0.62 and 1.31 there) land together.
    const twins = rowsOf([
      benchRecord('b1', 'cpu', { original: 0.62, v1: 0.62 }),
      benchRecord('b2', 'cpu', { original: 1.31, v2: 1.32 }),
    ]);
    expect(twins[1]!.plotP50Ms! / twins[2]!.plotP50Ms!).toBeCloseTo(0.99, 2);
  });
});

describe('the Pareto tag of a figure from before a failed job', () => {
  // All in one run: int8-dynamic (v1) is the fastest, the original the best; int4 (v2) is dominated by v1.
  const quality: Record<string, number> = { original: 0.9, v1: 0.85, v2: 0.8 };
  const rows = rowsOf([benchRecord('b1', 'cpu', { original: 4, v1: 2, v2: 3 })]).map((r) => ({
    ...r,
    quality: quality[r.id]!,
  }));
  const front = paretoFront(rows);
  // The next benchmark of int8-dynamic failed: its latency shown is the earlier one.
  const failed = benchmarkFailure(
    [
      job({
        jobId: 'a',
        status: 'failed',
        error: ORT_ERROR,
        targets: ['v1'],
        submittedAtMs: 1,
        finishedAtMs: 2,
      }),
    ],
    MODEL_PATH,
  );
  const staleLatency = staleFigureIds(failed, rows);
  const none = new Set<string>();

  it('says the place on the front rests on the earlier latency, where the table marks that latency', () => {
    expect([...staleLatency]).toEqual(['v1']);
    expect(paretoTag('v1', front, staleLatency, none)).toEqual({
      text: 'Pareto (earlier)',
      title:
        'On the front by its latency from an earlier benchmark (the latest of this variant failed): no other ' +
        'variant is both faster and better as last measured',
      earlier: true,
    });
    expect(paretoTag('original', front, staleLatency, none)).toEqual({
      text: 'Pareto',
      title:
        'No other variant is faster (beyond the runs’ noise) and as good, or better and not slower; of the same speed ' +
        'within noise and the same quality, the smaller is kept (the original on a tie in size)',
      earlier: false,
    });
    expect(paretoTag('v2', front, staleLatency, none)).toBeUndefined();
  });

  it('keeps the front to the figures shown: leaving the stale row off would promote int4 on no measurement', () => {
    expect([...front].sort()).toEqual(['original', 'v1']);
    expect([...paretoFront(rows.filter((r) => !staleLatency.has(r.id)))].sort()).toEqual(['original', 'v2']);
  });

  it('says so for an earlier quality too, and for both', () => {
    expect(paretoTag('original', front, none, new Set(['original']))?.title).toMatch(
      /^On the front by its quality from an earlier evaluation /,
    );
    expect(paretoTag('v1', front, staleLatency, new Set(['v1']))?.title).toMatch(
      /^On the front by its latency and quality from an earlier benchmark and evaluation /,
    );
  });
});

describe('latencies measured at other shapes than the input spec now gives', () => {
  const at = (width: number) => [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, width] }];
  const spec = (width: number) => ({ shapes: { x: [1, 3, 48, width] } });
  /** The original and int8-dynamic benchmarked at width 320, int4 at 256 in another run. */
  function rowsFed(int4Dataset?: { name: string; samples: number; sha256: string }): CompareRow[] {
    const ws = workspace({
      variants: [variant('v1', 'int8-dynamic', 1000), variant('v2', 'int4', 800)],
      benchmarks: [
        { ...benchRecord('b1', 'cpu', { original: 2, v1: 1 }), inputs: at(320) },
        {
          ...benchRecord('b2', 'cpu', { v2: 1.5 }),
          inputs: at(256),
          ...(int4Dataset ? { dataset: int4Dataset } : {}),
        },
      ],
    });
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    return compareRows(deriveVariants(state), CPU, undefined);
  }

  it('flags each row fed other shapes, with what it was fed and what the spec gives now', () => {
    const rows = rowsFed();
    expect(rows.map((r) => offSpecShapes(r, spec(640)))).toEqual([
      { fed: '1x3x48x320', now: '1x3x48x640', changed: 'size' },
      { fed: '1x3x48x320', now: '1x3x48x640', changed: 'size' },
      { fed: '1x3x48x256', now: '1x3x48x640', changed: 'size' },
    ]);
    expect(offSpecNote(rows, spec(640))).toBe(
      'Latency of original, int8-dynamic was measured at 1x3x48x320, of int4 at 1x3x48x256; the inputs are now ' +
        '1x3x48x640. Benchmark again for figures at the new size.',
    );
  });

  it("says a decoder's alike cache inputs once in what a row was fed and what the spec gives now", () => {
    // 4 layers: 8 cache inputs, each listed, buried the mask that changed with the past.
    const cache = (past: number) =>
      [0, 1, 2, 3].flatMap((n) =>
        ['key', 'value'].map((part) => ({
          name: `past_key_values.${n}.${part}`,
          dtype: 'float32',
          shape: [1, 2, past, 8],
        })),
      );
    const fed = [
      { name: 'input_ids', dtype: 'int64', shape: [1, 1] },
      { name: 'attention_mask', dtype: 'int64', shape: [1, 1] },
      ...cache(0),
    ];
    const ws = workspace({
      variants: [variant('v1', 'int8-dynamic', 1000)],
      benchmarks: [{ ...benchRecord('b1', 'cpu', { original: 2, v1: 1 }), inputs: fed }],
    });
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    const rows = compareRows(deriveVariants(state), CPU, undefined);
    const now = {
      shapes: Object.fromEntries(
        [...fed.slice(0, 1), { name: 'attention_mask', shape: [1, 129] }, ...cache(128)].map((i) => [
          i.name,
          i.shape,
        ]),
      ),
    };
    expect(offSpecShapes(rows[0]!, now)).toEqual({
      fed: 'input_ids 1x1, attention_mask 1x1, past_key_values.0..3.key/value (8) 1x2x0x8',
      now: 'input_ids 1x1, attention_mask 1x129, past_key_values.0..3.key/value (8) 1x2x128x8',
      changed: 'size',
    });
  });

  it('flags a run fed other values (sr 8000, the spec now 16000) and says to benchmark at the new values', () => {
    const fedSr = (value: number) => [
      { name: 'x', dtype: 'float32', shape: [1, 3, 48, 320] },
      { name: 'sr', dtype: 'int64', shape: [1], values: { kind: 'constant' as const, value } },
    ];
    const ws = workspace({
      variants: [variant('v1', 'int8-dynamic', 1000)],
      benchmarks: [{ ...benchRecord('b1', 'cpu', { original: 2, v1: 1 }), inputs: fedSr(8000) }],
    });
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    const rows = compareRows(deriveVariants(state), CPU, undefined);
    const now = {
      shapes: { x: [1, 3, 48, 320] },
      values: { sr: { kind: 'constant' as const, value: 16000 } },
    };
    expect(offSpecShapes(rows[0]!, now)).toEqual({
      fed: 'x 1x3x48x320, sr [1]=8000',
      now: 'x 1x3x48x320, sr [1]=16000',
      changed: 'values',
    });
    expect(offSpecNote(rows, now)).toBe(
      'Latency of original, int8-dynamic was measured at x 1x3x48x320, sr [1]=8000; the inputs are now ' +
        'x 1x3x48x320, sr [1]=16000. Benchmark again for figures at the new values.',
    );
  });

  it('flags nothing measured at the shapes of the spec, and says nothing without a spec', () => {
    const rows = rowsFed();
    expect(rows.map((r) => offSpecShapes(r, spec(320)) !== undefined)).toEqual([false, false, true]);
    expect(offSpecNote(rows, spec(320))).toBe(
      'Latency of int4 was measured at 1x3x48x256; the inputs are now 1x3x48x320. Benchmark again for figures at the new size.',
    );
    expect(rows.map((r) => offSpecShapes(r, undefined))).toEqual([undefined, undefined, undefined]);
    expect(offSpecNote(rows, undefined)).toBeUndefined();
  });

  it('does not flag a benchmark fed from data: the data decided its shapes', () => {
    const rows = rowsFed({ name: 'lines.npy', samples: 8, sha256: 'ab' });
    expect(offSpecShapes(rows[2]!, spec(320))).toBeUndefined();
    expect(offSpecNote(rows, spec(320))).toBeUndefined();
  });
});

describe('variants that are the same file', () => {
  function rowsWith(hashes: (string | undefined)[]): CompareRow[] {
    const names = ['int8-static', 'int8-static (2)', 'int8-dynamic'];
    const variants = hashes.map((sha256, i) => ({
      ...variant(`v${i}`, names[i]!, 1000),
      ...(sha256 ? { sha256 } : {}),
    }));
    const state = studioReducer(initialState, {
      type: 'model-opened',
      summary: SUMMARY,
      workspace: workspace({ variants }),
    });
    return compareRows(deriveVariants(state), CPU, undefined);
  }

  it('name the earlier variant with the same sha256, and no other', () => {
    const rows = rowsWith(['aaa', 'aaa', 'bbb']);
    expect(rows.map((r) => r.sameFileAs)).toEqual([undefined, undefined, 'int8-static', undefined]);
  });

  it('are not told apart or matched in a workspace from before sha256 was recorded', () => {
    expect(rowsWith([undefined, undefined, undefined]).map((r) => r.sameFileAs)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('speed within the run’s noise: the Pareto front and what is said beside a ratio', () => {
  /** n samples with median m and interquartile range iqr (logistic quantiles), plus `slow` runs of slowMs. */
  const samples = (m: number, iqr: number, n = 200, slow = 0, slowMs = 10 * m) => [
    ...Array.from({ length: n - slow }, (_, i) => {
      const u = (i + 0.5) / (n - slow);
      return m + (iqr / (2 * Math.log(3))) * Math.log(u / (1 - u));
    }),
    ...Array.from({ length: slow }, () => slowMs),
  ];
  /** One interleaved run of the given targets' samples. */
  const run = (
    id: string,
    bySample: Record<string, number[]>,
    engine: BenchRecord['engine'] = 'onnxruntime-node',
  ): BenchRecord => {
    const provider = engine === 'onnxruntime-node' ? 'cpu' : 'wasm';
    return {
      ...benchRecord(id, provider, {}, engine),
      results: Object.entries(bySample).map(([target, s]) => {
        const { throughput, ...stats } = summarize(s);
        return { target, modelBytes: 1, throughput, ...stats, samples: s };
      }),
    };
  };
  const cosine = (target: string, c: number): EvalRecord => ({
    id: `e-${target}`,
    createdAt: '',
    target,
    reference: 'original',
    dataset: { name: 'ocr_x.npy', samples: 4, sha256: 'ab' },
    report: {
      model: target,
      data: 'ocr_x.npy',
      samples: 4,
      fidelity: { cosine: c, sqnrDb: null, top1Agreement: null },
    } as unknown as EvalRecord['report'],
  });
  /** The user's OCR model (original 5.84 KiB): each variant in its own run with the original. */
  const rowsOf = (benchmarks: BenchRecord[], source: MeasurementSource = CPU) => {
    const ws = workspace({
      variants: [
        variant('v1', 'fp16', 3570),
        variant('v2', 'int4', 6190),
        variant('v3', 'int8-dynamic', 6180),
        variant('v4', 'int8-weight', 2640),
      ],
      benchmarks,
      evaluations: [cosine('v1', 1), cosine('v2', 1), cosine('v3', 1), cosine('v4', 0.99999)],
    });
    ws.model.fileBytes = 5840;
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    return compareRows(deriveVariants(state), source, 'cosine');
  };
  const node = [
    run('b1', { original: samples(0.286, 0.023, 200, 2, 0.8), v4: samples(0.354, 0.024, 200, 2, 4.3) }),
    run('b2', { original: samples(0.447, 0.107, 200, 2, 15.8), v1: samples(0.453, 0.09, 200, 2, 16) }),
    run('b3', { original: samples(0.501, 0.029, 200, 3, 4.5), v2: samples(0.486, 0.028) }),
    run('b4', { original: samples(0.494, 0.05, 200, 2, 15.2), v3: samples(0.485, 0.042, 200, 2, 5) }),
  ];

  it('keeps a no-op variant measured x0.97 off the front: the same speed and quality as the original, and bigger', () => {
    const rows = rowsOf(node);
    const int4 = rows.find((r) => r.label === 'int4')!;
    expect(int4.latencyRatio).toBeLessThan(0.98);
    expect(int4.latencyNoise?.verdict).toBe('same');
    // Before: int4 had the Pareto badge as the fastest at cosine 1.
    const front = paretoFront(rows);
    expect(front.has('v2')).toBe(false);
    expect(front.has('v3')).toBe(false);
    // fp16 is as fast within noise, as good, and smaller than the original: it is the front at cosine 1.
    expect([...front].sort()).toEqual(['v1']);
  });

  it('says whose spread made a run unreliable: a quiet variant in a run whose original was not is not blamed for it', () => {
    // v1's own runs are quiet; the original of its run had 40 of 200 runs held up 10x.
    const rows = rowsOf([
      run('b1', { original: samples(0.07, 0.004, 200, 40, 0.7), v1: samples(0.12, 0.006) }),
    ]);
    const fp16 = rows.find((r) => r.label === 'fp16')!;
    expect(fp16.unreliableRun).toMatch(/^its run's original: /);
    const warning = unreliableRunsWarning(rows)!;
    expect(warning).toContain("fp16: its run's original: ");
  });

  it('does not call a run undecided whose variants all stood wholly apart from its noisy original', () => {
    // The app test's 48 MB MLP on a loaded machine: the original spread 24-56 ms between its quartiles, int8 at
    // 6.5-11 ms. The warning said "no variant is called faster" over a variant called x0.18 faster.
    const rows = rowsOf([run('b1', { original: samples(40, 32), v3: samples(7.6, 4.5) })]);
    const int8 = rows.find((r) => r.id === 'v3')!;
    expect(int8.latencyNoise).toMatchObject({ verdict: 'faster', unreliable: false });
    expect(rows.find((r) => r.isOriginal)!.unreliableRun).toBeUndefined();
    expect(unreliableRunsWarning(rows)).toBeUndefined();
  });

  it('keeps the original on the front when its latest run (another variant’s) was noisy: a slower variant is dominated', () => {
    // The user's multi_output: fp16 x1.82 in its own quiet run; int8-dynamic's run (the original's latest) noisy.
    const rows = rowsOf([
      run('b1', { original: samples(0.0671, 0.004), v1: samples(0.122, 0.006) }),
      run('b2', { original: samples(0.0731, 0.01, 200, 40, 0.6), v3: samples(0.0828, 0.012, 200, 40, 0.6) }),
    ]);
    const original = rows.find((r) => r.isOriginal)!;
    const fp16 = rows.find((r) => r.label === 'fp16')!;
    expect(original.unreliableRun).toBeDefined();
    expect(fp16.latencyNoise?.verdict).toBe('slower');
    expect(fp16.unreliableRun).toBeUndefined();
    // Before: the original was left off, and fp16, 1.82x slower and no better, took the Pareto tag.
    expect([...paretoFront(rows)]).toEqual(['original']);
  });

  it('says "within noise" next to a ratio the product reads as the same speed, and nothing next to a real one', () => {
    const rows = rowsOf(node);
    const original = rows[0];
    const int4 = rows.find((r) => r.label === 'int4')!;
    expect(latencyNoiseNote(int4)).toBe('within noise');
    expect(formatLatencyRatio(int4, original)).toBe("×0.97 of the original's 0.501 ms");
    const int8w = rows.find((r) => r.label === 'int8-weight')!;
    expect(int8w.latencyNoise?.verdict).toBe('slower');
    expect(latencyNoiseNote(int8w)).toBeUndefined();
    expect(unreliableRunsWarning(rows)).toBeUndefined();
  });

  it('awards no Pareto badge from a browser run whose p90 is 10x its p50, and warns on the latency card', () => {
    // The user's first wasm run: no-op variants at x0.51-0.59 (a rerun gave x1.00 and x1.11).
    const wasm = run(
      'w1',
      {
        original: samples(0.74, 0.1, 100, 15, 13),
        v1: samples(0.41, 0.05, 100, 15, 20),
        v2: samples(0.38, 0.05, 100, 15, 9),
        v3: samples(0.44, 0.06, 100, 15, 8),
        v4: samples(0.42, 0.05, 100, 15, 17),
      },
      'onnxruntime-web',
    );
    const rows = rowsOf([...node, wasm], { engine: 'onnxruntime-web', provider: 'wasm' });
    const int4 = rows.find((r) => r.label === 'int4')!;
    expect(int4.latencyRatio).toBeLessThan(0.6);
    expect(int4.latencyNoise).toMatchObject({ verdict: 'same', unreliable: true });
    expect(latencyNoiseNote(int4)).toBe('unreliable run');
    // No variant from such a run: the original, the baseline at x1 by definition, is all the front holds.
    expect([...paretoFront(rows)]).toEqual(['original']);
    const warning = unreliableRunsWarning(rows, 'onnxruntime-web · wasm')!;
    expect(warning).toMatch(
      /^These latencies are unreliable: the runs' spread is too large to tell speeds apart \(original: p90 is \d+\.\dx the p50; /,
    );
    expect(warning).toContain('No variant is called faster or put on the Pareto front from such a run.');
    expect(warning).toContain('more runs');
    expect(warning).toContain('other tabs and programs closed');
    expect(warning).toContain('engine benchmark (onnxruntime-node)');
    // Each variant is described by its own spread, not the original's repeated: v2's p90 is 9x its p50, the
    // original's 13x.
    const original = /original: p90 is (\d+\.\d)x/.exec(warning)![1];
    const perRow = [...warning.matchAll(/(int4|int8-dynamic|int8-weight|fp16): ([^;)]*)/g)].map((m) => m[2]);
    expect(perRow.length).toBeGreaterThan(0);
    expect(perRow.every((words) => words === `p90 is ${original}x the p50`)).toBe(false);
    // The engine's own figures get no advice to use the engine benchmark.
    expect(unreliableRunsWarning(rows, 'onnxruntime-node · cpu')).not.toContain('use the engine benchmark');
  });

  it("gives each variant's verdict in the words of the table, for the CSV's latency_verdict (user test 3)", () => {
    const rows = rowsOf(node);
    const verdict = (label: string) => latencyVerdict(rows.find((r) => r.label === label)!);
    expect(verdict('int4')).toBe('within noise');
    expect(verdict('int8-weight')).toBe('slower');
    expect(latencyVerdict(rows[0]!)).toBeUndefined();
    const faster = run('b5', { original: samples(0.5, 0.02), v2: samples(0.3, 0.02) });
    expect(latencyVerdict(rowsOf([...node, faster]).find((r) => r.label === 'int4')!)).toBe('faster');
    // A noisy run's ratio is "unreliable run", as beside its ratio in the table, whatever it prints as.
    const wasm = run(
      'w1',
      { original: samples(0.74, 0.1, 100, 15, 13), v2: samples(0.74, 0.05, 100, 15, 9) },
      'onnxruntime-web',
    );
    const noisy = rowsOf([wasm], { engine: 'onnxruntime-web', provider: 'wasm' }).find(
      (r) => r.label === 'int4',
    )!;
    expect(noisy.latencyNoise?.unreliable).toBe(true);
    expect(latencyVerdict(noisy)).toBe('unreliable run');
    expect(latencyVerdict(noisy)).toBe(latencyNoiseNote(noisy));
  });
});

describe('the Pareto front when "within noise" is not transitive', () => {
  it('is never empty: a cycle of size tie-breaks among rows within noise of each other keeps its rows', () => {
    const band = (ratio: number) => ({
      ratio,
      margin: 0.1,
      ciLow: ratio - 0.01,
      ciHigh: ratio + 0.01,
      unreliable: false,
    });
    const point = (id: string, ratio: number, bytes: number) =>
      ({
        id,
        isOriginal: id === 'original',
        plotP50Ms: ratio,
        latencyRatio: ratio,
        quality: 1,
        bytes,
        ...(id === 'original' ? {} : { latencyNoise: band(ratio) }),
      }) as unknown as CompareRow;
    // A at x0.80 (largest) beats B at x0.96 beyond noise; C at x0.88 is as fast as A and smaller; B is as fast as
    // C and smaller still. Mixing the tie-break with the strict grounds left every row dominated.
    const rows = [
      point('original', 1, 1000),
      point('A', 0.8, 900),
      point('C', 0.88, 600),
      point('B', 0.96, 300),
    ];
    const front = paretoFront(rows);
    expect(front.size).toBeGreaterThan(0);
    // B is beaten on a strict ground (A is faster beyond noise); the tie-break chooses among the rest.
    expect(front.has('B')).toBe(false);
    expect([...front]).toEqual(['C']);
  });
});

describe('what the Compare charts say beside their figures', () => {
  const rows = rowsOf([
    benchRecord('w1', 'wasm', { original: 0.142, v1: 0.16, v2: 0.36 }, 'onnxruntime-web'),
  ]);
  const wasmRows = (() => {
    const ws = workspace({
      variants: [variant('v1', 'int8-dynamic', 1000), variant('v2', 'int4', 800)],
      benchmarks: [
        benchRecord('b1', 'cpu', { original: 0.176, v1: 0.1 }),
        benchRecord('w1', 'wasm', { original: 0.142, v1: 0.16, v2: 0.36 }, 'onnxruntime-web'),
      ],
    });
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    return compareRows(deriveVariants(state), { engine: 'onnxruntime-web', provider: 'wasm' }, undefined);
  })();

  it('states the Pareto rule the front applies, size tie-break included, with the engine and its original p50', () => {
    const caption = paretoCaption(wasmRows, 'onnxruntime-web · wasm');
    // Before: "nothing else is both faster … and at least as good", with no word of the size tie-break.
    expect(caption).toContain('the same speed within noise and as good as a smaller one is off');
    expect(caption).toContain('The original is the baseline');
    expect(caption).toContain("Latency is onnxruntime-web · wasm's (the original's p50 there: 0.142 ms)");
    expect(caption).not.toContain('0.176');
    expect(rows.length).toBeGreaterThan(0);
  });

  it('says what the quality chart shows in its own units, and names the output compared', () => {
    // Before: "1 = identical" above an axis of percentages, and no word of which of the outputs.
    const agreement = qualityCaption('top1Agreement', 'logits');
    expect(agreement).toContain('100% = always the same');
    expect(agreement).toContain('output “logits”');
    expect(agreement).not.toContain('1 = identical');
    expect(qualityCaption('cosine')).toContain('1 = identical');
    const fidelity = (output: string) => ({
      fidelity: { cosine: 1, top1Agreement: 1, sqnrDb: null, output },
    });
    const evaluated = [
      { id: 'original', label: 'original', isOriginal: true, path: '', latency: {} },
      { id: 'v1', label: 'fp16', isOriginal: false, path: '', latency: {}, evaluation: fidelity('logits') },
      { id: 'v2', label: 'int8', isOriginal: false, path: '', latency: {}, evaluation: fidelity('logits') },
    ];
    expect(comparedOutput(evaluated)).toBe('logits');
    expect(
      comparedOutput([...evaluated, { ...evaluated[1]!, id: 'v3', evaluation: fidelity('boxes') }]),
    ).toBeUndefined();
  });
});

describe("no accuracy ratio across other data than the original's (user test 2)", () => {
  const IMGS = { name: 'imgs', samples: 60, sha256: 'a'.repeat(64) };
  const accuracy = (target: string, value: number, dataset: typeof IMGS): EvalRecord =>
    ({
      id: `e-${target}`,
      createdAt: '2026-01-01T00:00:00Z',
      target,
      dataset,
      report: { model: target, data: dataset.name, samples: dataset.samples, accuracy: value },
    }) as unknown as EvalRecord;
  const rows = (v2Data: typeof IMGS) => {
    const ws = workspace({
      variants: [variant('v1', 'int8-static', 1000), variant('v2', 'magnitude 30% + int8-static', 1000)],
      evaluations: [accuracy('original', 1, IMGS), accuracy('v1', 0.7, IMGS), accuracy('v2', 0.1, v2Data)],
    });
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    return compareRows(deriveVariants(state), CPU, 'accuracy');
  };

  it('leaves the ratio out of the row (the table and the CSV read it) where the chart says "other data"', () => {
    // The tester's: the original on imgs, a variant on cnn_eval.npz; the table read "10.00% ×0.10", the CSV 0.1.
    const [original, same, other] = rows({ name: 'cnn_eval.npz', samples: 60, sha256: 'b'.repeat(64) });
    expect(same!.qualityRatio).toBeCloseTo(0.7, 12);
    expect(other!.quality).toBe(0.1);
    expect(other!.qualityRatio).toBeUndefined();
    expect(dataRelationOf(other!.dataset, original!.dataset)?.kind).toBe('other');
    expect(formatRatio(other!.qualityRatio)).toBe('–');
  });

  it('keeps it for fewer samples of the same data, which the chart flags but still compares', () => {
    const [, , limited] = rows({ name: 'imgs', samples: 30, sha256: 'c'.repeat(64) });
    expect(limited!.qualityRatio).toBeCloseTo(0.1, 12);
  });
});

describe("the original's run the variants are set beside (user test 4)", () => {
  const profiled = (record: BenchRecord): BenchRecord => ({
    ...record,
    results: record.results.map((r) => ({ ...r, profile: { byOpType: [], topNodes: [] } as never })),
  });
  const at = (record: BenchRecord, createdAt: string): BenchRecord => ({ ...record, createdAt });
  // Each variant timed with the original, profiling on; then an Auto-optimize run timed the original alone,
  // profiling off, several times: its latest run (0.206 ms) became what every variant was normalised to.
  const variantRuns = [
    at(profiled(benchRecord('b1', 'cpu', { original: 0.394, v1: 0.395 })), '2026-12-07T06:58:22Z'),
    at(profiled(benchRecord('b2', 'cpu', { original: 0.376, v2: 0.317 })), '2026-12-07T06:58:28Z'),
  ];
  const tune = {
    ...tuneRecord({ kind: 'accuracy-drop', points: 0.5 }),
    startedAt: '2026-12-07T07:00:11Z',
    endedAt: '2026-12-07T07:00:24Z',
  };
  const tuneRuns = [
    at(benchRecord('t1', 'cpu', { original: 0.194 }), '2026-12-07T07:00:13Z'),
    at(benchRecord('t2', 'cpu', { original: 0.206 }), '2026-12-07T07:00:23Z'),
  ];
  const rowsOf = (benchmarks: BenchRecord[]) => {
    const ws = workspace({
      variants: [variant('v1', 'fp16', 2000), variant('v2', 'int8-static', 1000)],
      benchmarks,
      tunes: [tune],
    });
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    return compareRows(deriveVariants(state), CPU, undefined);
  };

  it("is the original's latest run made like most variants' runs, and the charts say which and why", () => {
    const rows = rowsOf([...variantRuns, ...tuneRuns]);
    const [original, fp16, int8] = rows as [CompareRow, CompareRow, CompareRow];
    // Before: the original's row was the Auto-optimize run's 0.206 ms, and fp16 was drawn at 0.207 ms.
    expect(original.p50Ms).toBe(0.376);
    expect(fp16.plotP50Ms).toBeCloseTo((0.395 / 0.394) * 0.376, 12);
    expect(int8.plotP50Ms).toBeCloseTo(0.317, 12);
    // Each variant keeps its ratio to the original of its own run.
    expect(fp16.latencyRatio).toBeCloseTo(0.395 / 0.394, 12);
    expect(latencyNormalisation(rows)).toEqual({ baseMs: 0.376 });
    expect(original.baseline).toMatchObject({ kind: 'matched', latestMs: 0.206, autoOptimize: true });
    expect(baselineNote(rows)).toBe(
      "The original's 0.376 ms is its latest run made like most variants' runs; its latest run (0.206 ms, in an Auto-optimize run) ran without profiling.",
    );
    expect(paretoCaption(rows, 'onnxruntime-node · cpu')).toContain(baselineNote(rows)!);
  });

  it('stays the latest run where that was made like the variants’ runs, and says nothing', () => {
    const again = at(profiled(benchRecord('b3', 'cpu', { original: 0.35 })), '2026-12-07T07:05:00Z');
    const rows = rowsOf([...variantRuns, ...tuneRuns, again]);
    expect(rows[0]!.p50Ms).toBe(0.35);
    expect(rows[0]!.baseline).toBeUndefined();
    expect(baselineNote(rows)).toBeUndefined();
  });

  it('is the latest run where no run of the original was made like theirs, and says how it differs', () => {
    // The variants timed without the original (no run of theirs timed it), profiling on.
    const alone = [
      at(profiled(benchRecord('b1', 'cpu', { v1: 0.395 })), '2026-12-07T06:58:22Z'),
      at(profiled(benchRecord('b2', 'cpu', { v2: 0.317 })), '2026-12-07T06:58:28Z'),
    ];
    const rows = rowsOf([...alone, ...tuneRuns]);
    expect(rows[0]!.p50Ms).toBe(0.206);
    expect(rows[0]!.baseline).toMatchObject({ kind: 'unmatched', baseMs: 0.206 });
    expect(baselineNote(rows)).toBe(
      "The original's 0.206 ms is from an Auto-optimize run that ran without profiling, unlike most variants' runs: benchmark the original with their settings to set them beside a like run.",
    );
  });
});

describe('a figure left from an earlier evaluation', () => {
  // A user test: the original's bar read "100.00% (earlier)" after every evaluation of the original in that session
  // had failed, on other data than the earlier one it came from: the mark did not say which.
  const at = new Date(2026, 11, 7, 21, 51).toISOString();
  const now = new Date(2026, 11, 8, 9, 0);
  const A = { name: 'a-inputs.npy + a-labels.npy', samples: 20, sha256: 'aa' };
  const record = {
    id: 'e-original',
    createdAt: at,
    target: 'original',
    dataset: A,
    report: { model: MODEL_PATH, data: A.name, samples: 20, accuracy: 1 },
  } as unknown as EvalRecord;
  const state = studioReducer(initialState, {
    type: 'model-opened',
    summary: SUMMARY,
    workspace: workspace({ evaluations: [record] }),
  });
  const [original] = compareRows(deriveVariants(state), CPU, 'accuracy') as [CompareRow];
  const failure = {
    kind: 'evaluation' as const,
    jobId: 'j',
    title: 'Evaluate original',
    error: { code: 'BAD_REQUEST' as const, message: '15 labels, 20 samples' },
    targets: ['original'],
    inARow: 2,
  };

  it('says what data it was measured on, and when', () => {
    expect(original.measuredAt).toBe(at);
    expect(formatMeasuredAt(at, now)).toBe('7 Dec 21:51');
    expect(formatMeasuredAt(at, new Date(2027, 0, 2))).toBe('7 Dec 2026 21:51');
    // A record made without a clock (the epoch) or with no time says no time, not "1 Jan 1970".
    expect(formatMeasuredAt(new Date(0).toISOString(), now)).toBeUndefined();
    expect(formatMeasuredAt('', now)).toBeUndefined();
    expect(formatMeasuredAt('not a date')).toBeUndefined();
    expect(qualityFiguresSource(original, now)).toBe('a-inputs.npy + a-labels.npy, 7 Dec 21:51');
    expect(earlierQualityMark(original, now)).toBe('(earlier, 7 Dec 21:51)');
    expect(staleFiguresNote(failure, [original])).toMatch(
      /^the figure of original is from an earlier evaluation \(a-inputs\.npy \+ a-labels\.npy, 7 Dec (2026 )?21:51\) \(marked “earlier”\)$/,
    );
  });

  it('is marked "(earlier)" alone where its record names neither its data nor its time', () => {
    const bare = { id: 'original', label: 'original', isOriginal: true, index: 0, quality: 1 } as CompareRow;
    expect(earlierQualityMark(bare)).toBe('(earlier)');
    expect(staleFiguresNote(failure, [bare])).toBe(
      'the figure of original is from an earlier evaluation (marked “earlier”)',
    );
  });
});
