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
import { groupTrialPoints, sameModelAs } from '../state/tune-view.js';
import type { Studio } from '../state/use-studio.js';
import { chosenQuality, placeLabels, TuneResult } from './tune-result.js';

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
      'No trial meets the budget and is faster than the original beyond its benchmark&#x27;s noise (at least 5%, more on a noisy run)',
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

  it('says why the search stopped and what it left out, from the outcome the CLI prints', () => {
    const html = renderToStaticMarkup(<TuneResult record={record()} studio={studioWith([])} />);
    expect(html).toContain(
      'Done: 2 trials in 12.5 s; the search stopped because the trial limit (max trials) was reached.',
    );
    expect(html).toContain('data-testid="tune-notes"');
    expect(html).toContain('Not int8-dynamic: it quantizes MatMul and Gemm only');
    expect(html).toContain('Not fp16: a CPU computes float16 models in float32');
    expect(html).not.toContain('tune-duplicate');
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
  it('labels every point with its trial, and draws trials at the same spot as one point naming them all', () => {
    const p = (index: number, x: number, y: number, chosen = false) => ({
      index,
      name: `t${index}`,
      x,
      y,
      met: true,
      chosen,
    });
    const groups = groupTrialPoints(
      [p(0, 0.26, 0), p(1, 0.5, -0.2), p(2, 0.261, 0.001, true), p(3, 0.26, -0.4)],
      { x: 1.2, y: 1 },
    );
    expect(groups.map((g) => [g.label, g.chosen])).toEqual([
      ['#0, #2', true],
      ['#1', false],
      ['#3', false],
    ]);
    expect(groups[0]!.names).toEqual(['t0', 't2']);
  });
});

describe('the trial chart labels', () => {
  const domain = { x: [0, 2] as const, y: [-15, 5] as const };
  it('puts a label beside its point where it covers no other point or label', () => {
    // The run of the user test: #0 just left of #1 at the same accuracy, #2/#3 just below and left.
    const sides = placeLabels(
      [
        { x: 1.46, y: -8.5, label: '#0' },
        { x: 1.51, y: -8.5, label: '#1' },
        { x: 1.43, y: -9.5, label: '#2, #3' },
        { x: 1.51, y: -11, label: '#4' },
      ],
      domain,
    );
    expect(sides[0]).not.toBe('right');
    expect(sides[1]).toBe('right');
    expect(sides).not.toContain(undefined);
    // Points apart keep their labels on the right.
    expect(
      placeLabels(
        [
          { x: 0.5, y: 0, label: '#0' },
          { x: 1.5, y: -10, label: '#1' },
        ],
        domain,
      ),
    ).toEqual(['right', 'right']);
  });
});
