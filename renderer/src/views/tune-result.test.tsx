/**
 * The Auto-optimize result as the page renders it (server-side, no DOM): why the search stopped and what it
 * left out (the outcome's own `stoppedBy` and `notes`, which the CLI prints too), and a kept variant that
 * repeats one the workspace already had. The chart's point groups are tested on their own.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TuneOutcome, TuneTrial } from '../../../shared/tune.js';
import type { TuneRecord, WorkspaceVariant } from '../../../shared/workspace.js';
import { variant } from '../state/test-fixtures.js';
import { groupTrialPoints, sameModelAs, trialModelKey } from '../state/tune-view.js';
import type { Studio } from '../state/use-studio.js';
import { HostContext } from '../host/host-context.js';
import type { StudioHost } from '../host/studio-host.js';
import { AutoOptimizePanel, shownTuneRun, tuneCalibrationName } from './auto-optimize-panel.js';
import {
  chosenLatency,
  chosenQuality,
  layoutTrialChart,
  runningHeadline,
  tuneDataSentence,
  trialChartNotes,
  trialChartSubtitle,
  TrialMarker,
  trialPlot,
  trialPointTitle,
  TuneResult,
} from './tune-result.js';
import { ParetoPoint } from '../charts/pareto-points.js';
import { DRAWN_NOISY, NOISY_RUN, PARETO_RULE } from '../state/compare-data.js';

const trial = (index: number, name: string, variantId?: string): TuneTrial => ({
  index,
  name,
  recipe: { kind: 'quantize', method: 'int8-static', common: {}, options: {} },
  status: 'done',
  ...(variantId ? { variantId } : {}),
  sizeRatio: 0.26,
  p50Ratio: 0.4,
  dropPoints: 0,
  accuracy: 0.99,
  meetsBudget: true,
  seconds: 1,
});

function record(chosenVariantId?: string): TuneRecord {
  const trials = [trial(0, 'int8-static percentile', chosenVariantId), trial(1, 'int8-static minmax')];
  const outcome: TuneOutcome = {
    model: '/m/net.onnx',
    objective: 'latency',
    budget: { kind: 'accuracy-drop', points: 0.5 },
    original: { bytes: 4000, accuracy: 0.99 },
    trials,
    pareto: [0],
    chosen: 0,
    stoppedBy: 'max-trials',
    seconds: 12.5,
    notes: [
      'Not int8-dynamic: it quantizes MatMul and Gemm only (1 here) and leaves the 9 convolutions in float.',
      'Not fp16: a CPU computes float16 models in float32, so it halves the file but is not faster (try Objective: size).',
    ],
  };
  return {
    id: 't1',
    jobId: 'j1',
    startedAt: '2026-01-01T00:00:00Z',
    status: 'done',
    objective: 'latency',
    budget: outcome.budget,
    data: { evaluation: 'test set', calibration: 'test set' },
    trials,
    outcome,
    ...(chosenVariantId ? { chosenVariantId } : {}),
  };
}

const studioWith = (variants: WorkspaceVariant[]) =>
  ({
    state: { workspace: { variants } },
    variants: variants.map((v) => ({ id: v.id, label: v.name })),
  }) as unknown as Studio;

describe('the Auto-optimize result', () => {
  // The chart reads its colors from the page's CSS: no page here, so every color takes its fallback.
  beforeAll(() => {
    vi.stubGlobal('document', { documentElement: {} });
    vi.stubGlobal('getComputedStyle', () => ({ getPropertyValue: () => '' }));
  });
  it('marks a p50 its benchmark cannot tell from the original, and says what beating the original asks', () => {
    const base = record();
    const noisy: TuneTrial = { ...trial(0, 'int8-dynamic'), p50Ratio: 0.9, latencyVerdict: 'same' };
    const html = renderToStaticMarkup(
      <TuneResult
        record={{
          ...base,
          trials: [noisy],
          outcome: { ...base.outcome!, trials: [noisy], chosen: undefined },
        }}
        studio={studioWith([])}
      />,
    );
    expect(html).toContain('0.900×<span class="muted">, within noise</span>');
    expect(html).toContain(
      '1 trial meets the budget, but it is not faster than the original beyond its benchmark&#x27;s noise (at least 5%, more on a noisy run): nothing was kept.',
    );
  });

  it('says why nothing was kept in sentences that agree: trials met the budget, none beat the original', () => {
    // The text opened "No trial meets the budget and is faster …" and went on "Trials met the budget": one
    // read as the opposite of the other. Each case of the outcome now says what happened, once.
    const base = record();
    const noChoice = (trials: TuneTrial[], objective: 'latency' | 'size' = 'latency') => {
      const html = renderToStaticMarkup(
        <TuneResult
          record={{
            ...base,
            objective,
            trials,
            outcome: { ...base.outcome!, objective, trials, chosen: undefined, pareto: [] },
          }}
          studio={studioWith([])}
        />,
      );
      return /data-testid="tune-no-choice">(.*?)<\/p>/.exec(html)?.[1]?.replaceAll('&#x27;', "'");
    };
    const gain = "faster than the original beyond its benchmark's noise (at least 5%, more on a noisy run)";
    // The app test's case: three trials within the budget at x0.18 of a run too noisy to tell.
    const noisy = [0, 1, 2].map((i) => ({
      ...trial(i, `int8-static ${i}`),
      p50Ratio: 0.18,
      latencyVerdict: 'same' as const,
      latencyUnreliable: true,
    }));
    const said = noChoice(noisy);
    expect(said).toBe(
      `3 trials meet the budget, but none is ${gain}: nothing was kept. Their benchmarks spread too much to call any faster: run again with the machine otherwise idle, or choose the size objective.`,
    );
    expect(said).not.toContain('No trial meets the budget');
    // Within the budget, measured no faster on a quiet run.
    const same = noisy.map((t) => ({ ...t, p50Ratio: 0.98, latencyUnreliable: undefined }));
    expect(noChoice(same)).toBe(
      `3 trials meet the budget, but none is ${gain}: nothing was kept. The size objective may still find a smaller variant.`,
    );
    // None within the budget: that, and the advice that fits it.
    const over = noisy.map((t) => ({ ...t, meetsBudget: false }));
    expect(noChoice(over)).toBe(
      'No trial meets the budget: nothing was kept. Loosen the budget or allow more trials.',
    );
    // Every trial failed: no budget was tried, so loosening it is no advice.
    const failed = noisy.map((t) => ({ ...t, status: 'failed' as const, error: 'boom' }));
    expect(noChoice(failed)).toBe(
      "Every trial failed (see each trial's error), so no budget was tried: nothing was kept. Fix what the errors say and run again.",
    );
    // The size objective: within the budget, but none smaller enough.
    expect(noChoice([{ ...trial(0, 'fp16'), sizeRatio: 0.99 }], 'size')).toBe(
      '1 trial meets the budget, but it is not at least 3% smaller than the original: nothing was kept. Allow pruning or loosen the budget for a smaller file.',
    );
  });

  it("names the chosen trial's quality figure (a bare 1.00000 was an unnamed cosine)", () => {
    const accuracy = record();
    expect(chosenQuality(trial(0, 'a'), accuracy)).toBe('accuracy 99.00% (0.00 pts)');
    const cosineBudget: TuneRecord = { ...accuracy, budget: { kind: 'min-cosine', cosine: 0.99 } };
    expect(chosenQuality({ ...trial(0, 'a'), cosine: 1 }, cosineBudget)).toBe('output cosine 1.00000');
    const html = renderToStaticMarkup(<TuneResult record={accuracy} studio={studioWith([])} />);
    expect(html).toMatch(/Chosen: .*p50.*, accuracy 99\.00%/);
  });

  it("names a language model's budgeted figure next-token accuracy, as tune's text does", () => {
    const lm: TuneRecord = {
      ...record(),
      original: { bytes: 4000, accuracy: 0.99, accuracyTask: 'next-token' },
    };
    expect(chosenQuality(trial(0, 'a'), lm)).toBe('next-token accuracy 99.00% (0.00 pts)');
    const html = renderToStaticMarkup(<TuneResult record={lm} studio={studioWith([])} />);
    expect(html).toContain('<th>Next-token accuracy (Δ)</th>');
    expect(html).toContain('vs next-token accuracy change');
  });

  it('says why the search stopped and what it left out, from the outcome the CLI prints', () => {
    const html = renderToStaticMarkup(<TuneResult record={record()} studio={studioWith([])} />);
    expect(html).toContain(
      'Done: 2 trials in 12.5 s; the search stopped because the trial limit (max trials) was reached.',
    );
    expect(html).toContain('data-testid="tune-notes"');
    expect(html).toContain('Not int8-dynamic: it quantizes MatMul and Gemm only');
    expect(html).toContain('Not fp16: a CPU computes float16 models in float32');
    expect(html).not.toContain('tune-duplicate');
    // The benchmark of the choice after the search is said too, as the CLI says it (it took 96 s on a 1 GB model).
    const benched = record();
    benched.outcome = { ...benched.outcome!, benchSeconds: 4.25 };
    expect(renderToStaticMarkup(<TuneResult record={benched} studio={studioWith([])} />)).toContain(
      'was reached. Benchmarking the choice against the original took 4.3 s more (16.8 s for search and benchmark).',
    );
  });

  it('says the connection to serve is lost instead of "Searching…" while it is (a killed serve)', () => {
    // A serve killed mid-search closes with no word: the page kept "Searching…" until a reload.
    const { outcome: _outcome, ...base } = record();
    const running: TuneRecord = { ...base, status: 'running' };
    const studio = {
      state: {
        model: { path: '/m/net.onnx', inputs: [], outputs: [], opCounts: { Conv: 1 } },
        workspace: { variants: [], tunes: [running] },
        jobs: [{ jobId: 'j1', kind: 'tune', status: 'running', modelPath: '/m/net.onnx', fraction: 0.3 }],
      },
      variants: [],
    } as unknown as Studio;
    const panel = (connection?: 'connected' | 'reconnecting') =>
      renderToStaticMarkup(
        <HostContext.Provider
          value={{ host: {} as StudioHost, appInfo: null, ...(connection ? { connection } : {}) }}
        >
          <AutoOptimizePanel
            studio={studio}
            catalog={undefined}
            ready
            hasEvaluationData
            prepareData={() => Promise.resolve(true)}
          />
        </HostContext.Provider>,
      );
    expect(panel('connected')).toContain('Searching…');
    expect(panel()).toContain('Searching…');
    const lost = panel('reconnecting');
    expect(lost).not.toContain('Searching…');
    expect(lost).toContain('Lost the connection to onnx-studio serve');
    expect(lost).toContain('If serve is still running, the search goes on there');
    // serve said it stopped, which cancels its jobs; or it came back restarted: nothing goes on there.
    for (const state of ['stopped', 'outdated', 'expired'] as const) {
      expect(runningHeadline(state), state).not.toContain('goes on');
      expect(runningHeadline(state), state).toMatch(/cancelled the search|ended the search/);
    }
  });

  it('says a search ONNX Studio stopped under was interrupted, how, and that its finished trials are kept', () => {
    const { outcome: _outcome, ...base } = record();
    const cutOff: TuneRecord = { ...base, status: 'interrupted', interrupted: 'cut off' };
    const html = renderToStaticMarkup(<TuneResult record={cutOff} studio={studioWith([])} />);
    expect(html).toContain(
      'Interrupted: ONNX Studio stopped before this search finished (it was killed or crashed); its 2 finished trials are kept. Start Auto-optimize to search again.',
    );
    expect(html).toContain('data-status="interrupted"');
    expect(html).not.toContain('Searching');
    expect(html).not.toContain('Cancelled');
    expect(html.match(/data-trial=/g)).toHaveLength(2);
    const closing = renderToStaticMarkup(
      <TuneResult record={{ ...cutOff, interrupted: 'closing', trials: [] }} studio={studioWith([])} />,
    );
    expect(closing).toContain(
      'Interrupted: ONNX Studio was closing (the app quit, or onnx-studio serve was stopped), which stopped this search; no trial had finished. Start Auto-optimize to search again.',
    );
  });

  it('says a stopped search chose nothing and names its best trial so far, by the rule the engine chooses by', () => {
    // A cancelled run whose trials met the budget read "No trial meets the budget…: nothing was kept", and
    // "none was faster": both false, and its variants are kept.
    const base = record();
    const trials = [
      trial(0, 'int8-static percentile', 'v-2'),
      { ...trial(1, 'int8-static minmax', 'v-3'), p50Ratio: 0.3 },
      // Faster still, but over the budget: not the best so far.
      { ...trial(2, 'int4'), p50Ratio: 0.2, meetsBudget: false },
    ];
    const cancelled: TuneRecord = {
      ...base,
      status: 'cancelled',
      trials,
      outcome: { ...base.outcome!, trials, chosen: undefined, stoppedBy: 'cancelled' },
    };
    const studio = studioWith([
      variant('v-2', 'int8-static percentile', 1000),
      variant('v-3', 'int8-static minmax', 900),
    ]);
    const html = renderToStaticMarkup(<TuneResult record={cancelled} studio={studio} />);
    expect(html).not.toContain('No trial meets the budget');
    expect(html).not.toContain('nothing was kept');
    expect(html).not.toContain('data-testid="tune-chosen"');
    expect(html).toContain(
      'Stopped before the search ended, so nothing was chosen; best so far: #1 int8-static minmax (kept as variant &#x27;int8-static minmax&#x27;).',
    );
    const rows = html.match(/<tr[^>]*data-trial="\d"[^>]*>.*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.includes('best so far'))).toEqual([false, true, false]);

    // Cut off before any outcome was written: the same, from the trials recorded so far.
    const { outcome: _outcome, ...noOutcome } = cancelled;
    const cutOff = renderToStaticMarkup(
      <TuneResult record={{ ...noOutcome, status: 'interrupted', interrupted: 'cut off' }} studio={studio} />,
    );
    expect(cutOff).toContain('best so far: #1 int8-static minmax');

    // None within the budget yet: said so, and no row marked.
    const over = trials.map((t) => ({ ...t, meetsBudget: false }));
    const none = renderToStaticMarkup(
      <TuneResult
        record={{ ...cancelled, trials: over, outcome: { ...cancelled.outcome!, trials: over } }}
        studio={studio}
      />,
    );
    expect(none).toContain(
      'Stopped before the search ended, so nothing was chosen; no trial met the budget yet.',
    );
    expect(none).not.toContain('best so far');
    expect(none).not.toContain('No trial meets the budget');
  });

  it('shows a run still recorded running as interrupted once serve stopped its job, not as searching', () => {
    const { outcome: _outcome, ...base } = record();
    const running: TuneRecord = { ...base, status: 'running' };
    const stopped = {
      status: 'cancelled' as const,
      interrupted: 'closing' as const,
      finishedAtMs: Date.UTC(2026, 0, 1, 0, 5),
    };
    expect(shownTuneRun(running, stopped)).toMatchObject({
      status: 'interrupted',
      interrupted: 'closing',
      endedAt: '2026-01-01T00:05:00.000Z',
      trials: running.trials,
    });
    // Cancelled by the user (the record follows), still running, or a run that ended: as recorded.
    expect(shownTuneRun(running, { status: 'cancelled' })).toBe(running);
    expect(shownTuneRun(running, { status: 'running' })).toBe(running);
    expect(shownTuneRun(running, undefined)).toBe(running);
    const done = record();
    expect(shownTuneRun(done, stopped)).toBe(done);
  });

  it('says when the variant it kept is the same model as one the workspace had', () => {
    const kept = {
      ...variant('v-2', 'tuned: int8-static percentile', 703_600),
      recipe: {
        operation: 'quantize' as const,
        method: 'int8-static',
        common: {},
        options: { calibMethod: 'percentile' },
      },
    };
    const earlier = { ...kept, id: 'v-1', name: 'int8-static' };
    const html = renderToStaticMarkup(
      <TuneResult record={record('v-2')} studio={studioWith([earlier, kept])} />,
    );
    expect(html).toContain('data-testid="tune-duplicate"');
    expect(html).toMatch(
      /<strong>tuned: int8-static percentile<\/strong> is the same model as <strong>int8-static<\/strong>/,
    );
    // Another recipe, another size or another calibration set is another model.
    expect(
      sameModelAs(
        [{ ...earlier, recipe: { ...earlier.recipe, options: { calibMethod: 'minmax' } } }, kept],
        'v-2',
      ),
    ).toBeUndefined();
    expect(sameModelAs([{ ...earlier, fileBytes: 1 }, kept], 'v-2')).toBeUndefined();
    const calibrated = (sha256: string) => ({
      ...kept.recipe,
      calibrationDataset: { name: 'c', samples: 64, sha256 },
    });
    expect(
      sameModelAs(
        [
          { ...earlier, recipe: calibrated('a') },
          { ...kept, recipe: calibrated('b') },
        ],
        'v-2',
      ),
    ).toBeUndefined();
    expect(
      sameModelAs(
        [
          { ...earlier, recipe: calibrated('a') },
          { ...kept, recipe: calibrated('a') },
        ],
        'v-2',
      )?.id,
    ).toBe('v-1');
  });

  it('goes by the recorded sha256 where both variants have one, whatever their recipes', () => {
    const kept = { ...variant('v-2', 'tuned: int8-static minmax', 703_600), sha256: 'a'.repeat(64) };
    const earlier = {
      ...variant('v-1', 'int8-static', 703_600),
      recipe: {
        operation: 'quantize' as const,
        method: 'int8-static',
        common: {},
        options: { perChannel: true },
      },
      sha256: 'a'.repeat(64),
    };
    // Other recipes wrote the same bytes: the same model.
    expect(sameModelAs([earlier, kept], 'v-2')?.id).toBe('v-1');
    // The same recipe and size but other bytes: another model.
    const sameRecipe = { ...kept, id: 'v-1', name: 'int8-static', sha256: 'b'.repeat(64) };
    expect(sameModelAs([sameRecipe, kept], 'v-2')).toBeUndefined();
  });
});

describe('trial points on the chart', () => {
  const p = (index: number, x: number, y: number, model = `m${index}`, chosen = false) => ({
    index,
    name: `t${index}`,
    x,
    y,
    model,
    met: true,
    chosen,
    noisy: false,
  });

  it('draws a trial a noisy run placed hollow and dashed, as Compare draws a noisy run, and says so', () => {
    // An "unreliable run" trial within the budget and on the engine's front was drawn filled dark green, which
    // on this chart means "on the Pareto front"; Compare draws a noisy run's variant hollow and dashed.
    const circle = (noisy: boolean) => {
      const group = { ...groupTrialPoints([{ ...p(3, 0.18, 0), noisy }])[0]!, at: 0 };
      const html = renderToStaticMarkup(
        <svg>
          <TrialMarker
            cx={50}
            cy={50}
            payload={group}
            layout={{ offsets: [{ dx: 0, dy: 0 }], labels: [undefined], spread: [] }}
            front={new Set([3])}
            textColor="#000"
          />
        </svg>,
      );
      return /<circle[^>]*>/.exec(html)![0];
    };
    const compare = /<circle[^>]*>/.exec(
      renderToStaticMarkup(
        <svg>
          <ParetoPoint
            cx={50}
            cy={50}
            payload={{ id: 'v', label: 'v', isOriginal: false, index: 1, unreliableRun: 'p90 4x p50' }}
            layout={{ radius: new Map(), offsets: new Map(), groups: [], counts: new Map() }}
            styles={new Map([['v', { fill: '#2e7d32', ring: undefined, hollow: true }]])}
            textColor="#000"
          />
        </svg>,
      ),
    )![0];
    // Compare's hollow marker: no fill, a dashed outline.
    expect(compare).toContain('fill="none"');
    expect(compare).toContain('stroke-dasharray="4 3"');
    const hollow = circle(true);
    expect(hollow).toContain('fill="none"');
    expect(hollow).toContain('stroke-dasharray="4 3"');
    expect(hollow).toContain('stroke="#2e7d32"');
    // A trial from a quiet run on the front stays filled dark, solid.
    const filled = circle(false);
    expect(filled).toContain('fill="#2e7d32"');
    expect(filled).not.toContain('stroke-dasharray');
    // The engine leaves a noisy trial off the front, and the chart says how such a trial is drawn, in Compare's
    // words (PARETO_RULE); its tooltip names it so.
    expect(PARETO_RULE).toContain(`a variant ${NOISY_RUN} is ${DRAWN_NOISY}`);
    const subtitle = trialChartSubtitle(record(), true);
    expect(subtitle).toContain(`a trial ${NOISY_RUN} is ${DRAWN_NOISY}`);
    expect(subtitle).toContain('never on the front');
    expect(trialChartSubtitle(record(), false)).not.toContain(NOISY_RUN);
    expect(trialPointTitle({ indices: [3], names: ['int8-dynamic'], noisy: true })).toBe(
      `#3 int8-dynamic; ${NOISY_RUN}`,
    );
    // One model at one place is drawn hollow if any of its trials' runs was noisy.
    expect(groupTrialPoints([p(0, 0.5, 0, 'same'), { ...p(1, 0.5, 0, 'same'), noisy: true }])[0]!.noisy).toBe(
      true,
    );
  });

  it('share a point only between trials that made the same model at the same figures', () => {
    const groups = groupTrialPoints([
      p(0, 0.26, 0, 'same'),
      p(1, 0.5, -0.2),
      p(2, 0.26, 0, 'same', true),
      // Close to #0 but another model (or the same figures of another model): a point of its own.
      p(3, 0.261, 0.001),
      p(4, 0.26, 0, 'other'),
    ]);
    expect(groups.map((g) => [g.label, g.chosen])).toEqual([
      ['#0, #2', true],
      ['#1', false],
      ['#3', false],
      ['#4', false],
    ]);
    expect(groups[0]!.names).toEqual(['t0', 't2']);
  });

  it("tells a trial's model by its size and quality figures", () => {
    const t = trial(0, 'a');
    expect(trialModelKey({ ...t, bytes: 51_637 })).toBe(trialModelKey({ ...trial(2, 'b'), bytes: 51_637 }));
    expect(trialModelKey({ ...t, bytes: 51_637 })).not.toBe(trialModelKey({ ...t, bytes: 51_633 }));
    expect(trialModelKey({ ...t, cosine: 0.9247 })).not.toBe(trialModelKey({ ...t, cosine: 0.9248 }));
  });

  // The run of the user test (cnn.onnx, max drop 0.5, 8 trials): 5 markers were drawn, #2 at #0's place and #7
  // at #3's, and the marker of #4 and #6 had no label.
  const userRun = [
    [0, 0.7175, -33.33, 51_637],
    [1, 0.7124, -40, 49_955],
    [2, 0.6879, -33.33, 51_633],
    [3, 0.623, -30, 51_634],
    [4, 0.6796, -28.33, 52_768],
    [5, 0.6663, -25, 53_835],
    [6, 0.6967, -28.33, 87_350],
    [7, 0.6463, -30, 52_701],
  ] as const;
  const domain = {
    x: [0, 1.5] as const,
    y: [-60, 20] as const,
  };

  it('draws every trial of the user test at its own figures, each with its label', () => {
    const groups = groupTrialPoints(userRun.map(([i, x, y, bytes]) => p(i, x, y, String(bytes))));
    expect(groups.map((g) => g.label)).toEqual(['#0', '#1', '#2', '#3', '#4', '#5', '#6', '#7']);
    // The narrowest card (an 800 px window) and a wide one.
    for (const width of [673, 1156]) {
      const plot = trialPlot(width);
      const layout = layoutTrialChart(groups, domain, plot);
      expect(layout.labels, `width ${width}`).not.toContain(undefined);
      // Where a marker is drawn: at its figures, or a few px from them where markers cover each other.
      const at = groups.map((g, i) => ({
        x: (g.x / 1.5) * plot.width + layout.offsets[i]!.dx,
        y: (1 - (g.y + 60) / 80) * plot.height + layout.offsets[i]!.dy,
      }));
      for (const o of layout.offsets) expect(Math.hypot(o.dx, o.dy)).toBeLessThanOrEqual(10);
      // No label covers a marker or another label.
      const boxes = layout.labels.map((l, i) => {
        const w = groups[i]!.label.length * 7;
        const x = at[i]!.x + l!.dx;
        const left = l!.anchor === 'start' ? x : l!.anchor === 'end' ? x - w : x - w / 2;
        return { left, right: left + w, top: at[i]!.y + l!.dy - 7, bottom: at[i]!.y + l!.dy + 7 };
      });
      const hit = (a: (typeof boxes)[number], b: (typeof boxes)[number]) =>
        a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      for (const [i, box] of boxes.entries()) {
        for (const m of at)
          expect(hit(box, { left: m.x - 7, right: m.x + 7, top: m.y - 7, bottom: m.y + 7 })).toBe(false);
        for (const [k, other] of boxes.entries())
          if (k !== i) expect(hit(box, other), `#${i} and #${k}`).toBe(false);
      }
    }
  });

  it('spreads markers that cover each other, and says which; a label with no room is named in the note', () => {
    // Three trials at nearly one place, among many close by: spread by a few px, never merged.
    const crowd = groupTrialPoints([p(0, 0.7, -30), p(1, 0.7005, -30.05), p(2, 0.7002, -29.98)]);
    const layout = layoutTrialChart(crowd, domain, trialPlot(673));
    expect(layout.spread).toEqual([['#0', '#1', '#2']]);
    const moved = layout.offsets.map((o) => Math.round(Math.hypot(o.dx, o.dy)));
    expect(moved.every((d) => d > 0 && d <= 11)).toBe(true);
    expect(trialChartNotes(crowd, layout, () => '')).toContain(
      "#0, #1 and #2 sit at nearly one place, so each is drawn 10 px from it; hover for each one's figures.",
    );
    // Points packed so tight that labels run out of room: none is dropped silently.
    const packed = Array.from({ length: 40 }, (_, i) =>
      p(i, 0.6 + (i % 8) * 0.012, -30 + Math.floor(i / 8) * 1.5),
    );
    const groups = groupTrialPoints(packed);
    const tight = layoutTrialChart(groups, domain, trialPlot(673));
    const unlabelled = groups.filter((_, i) => !tight.labels[i]);
    expect(unlabelled.length).toBeGreaterThan(0);
    const [note] = trialChartNotes(groups, { labels: tight.labels, spread: [] }, (g) => `${g.x.toFixed(3)}×`);
    expect(note).toMatch(/^No room on the chart for the label of #\d+ \(at 0\.\d{3}×\)/);
    for (const g of unlabelled) expect(note).toContain(`${g.label} (at `);
    expect(
      trialChartNotes(
        groupTrialPoints([p(0, 0.5, 0, 'x'), p(1, 0.5, 0, 'x')]),
        { labels: [{ dx: 0, dy: 0, anchor: 'start' }], spread: [] },
        () => '',
      ),
    ).toEqual([
      '#0 and #1 made the same model (the same size and quality at the same figures): one point each, labelled with all of them.',
    ]);
  });
});

describe('the Auto-optimize result says its data, its choice’s latency and cosines as the CLI does', () => {
  it('names the data by the outcome’s identities, and no calibration data where nothing calibrated', () => {
    const r = record('v1');
    expect(tuneDataSentence(r)).toBe('Measured on test set (also the calibration data).');
    const data = { evaluation: { name: 'test-inputs.npy + test-labels.npy', samples: 360, sha256: 'e' } };
    expect(tuneDataSentence({ ...r, outcome: { ...r.outcome!, data } })).toBe(
      'Measured on test-inputs.npy + test-labels.npy (360 samples); no recipe tried calibrates.',
    );
    expect(tuneDataSentence({ data: { evaluation: 'x.npy' } })).toBe(
      'Measured on x.npy; no recipe tried calibrates.',
    );
  });

  it('gives the size objective’s choice its benchmark and verdict, never a bare dash', () => {
    // A user test: "Chosen: tuned: int8-weight: 0.255× size, – p50".
    const t = trial(0, 'int8-weight');
    expect(chosenLatency({ ...t, p50Ratio: 1.331, latencyVerdict: 'slower' })).toBe('1.331× p50 (slower)');
    expect(chosenLatency({ ...t, p50Ratio: 1.02, latencyVerdict: 'same', latencyUnreliable: true })).toBe(
      '1.020× p50 (unreliable run)',
    );
    const { p50Ratio: _p50, ...unmeasured } = t;
    expect(chosenLatency(unmeasured)).toBe('p50 not benchmarked');
  });

  it('prints a cosine beside its budget with the digits that tell them apart', () => {
    const r = record();
    const cosine = { ...r, budget: { kind: 'min-cosine' as const, cosine: 0.99997 } };
    expect(chosenQuality({ ...trial(0, 'a'), cosine: 0.9999663 }, cosine)).toBe('output cosine 0.999966');
  });

  it('names the calibration data Auto-optimize will use: the form’s, under its saved name while unchanged', () => {
    const saved = { name: 'my calib', spec: { kind: 'npy' as const, path: '/d/calib.npy' } };
    expect(tuneCalibrationName({ kind: 'npy', path: '/d/calib.npy' }, saved)).toBe('my calib');
    expect(tuneCalibrationName({ kind: 'npy', path: '/d/other.npy' }, saved)).toBe('other.npy');
    // An empty form: the experiment's saved data is what the job reads.
    expect(tuneCalibrationName(undefined, saved)).toBe('my calib');
    expect(tuneCalibrationName(undefined, undefined)).toBeUndefined();
  });
});
