import { describe, expect, it } from 'vitest';
import { variantCliCommand } from '../../../electron/engine/jobs/job-executors.js';
import type { BenchRecord, EvalRecord, WorkspaceVariant } from '../../../shared/workspace.js';
import { summarize } from '../../../shared/latency-stats.js';
import { initialState, studioReducer } from '../state/studio-state.js';
import { benchRecord, SUMMARY, tuneRecord, variant, workspace } from '../state/test-fixtures.js';
import { deriveVariants, type Variant } from '../state/variants.js';
import { compareRows, pickQualityMetric } from '../state/compare-data.js';
import {
  replaceQuestion,
  cliOutputPath,
  describePreselection,
  describeQuality,
  exportLatencyFigure,
  keepsExternalData,
  preselectVariant,
  saveHint,
  suggestedDestination,
} from './export-view.js';

const pruned = (id: string, method: string, sparsity: number, parent = 'original'): WorkspaceVariant => ({
  ...variant(id, `${method} ${sparsity * 100}%`, 2000),
  parent,
  recipe: { operation: 'prune', method, common: { sparsity }, options: {} },
});

describe("Export's suggested file name is the one its CLI command writes", () => {
  it("takes the last command's -o, unquoted, and ignores the comment line", () => {
    expect(
      cliOutputPath('onnx-studio quantize /m/net.onnx -o /m/net-int8-dynamic.onnx --method int8-dynamic'),
    ).toBe('/m/net-int8-dynamic.onnx');
    const chain = [
      'onnx-studio prune /m/net.onnx -o /m/net-magnitude30.onnx --method magnitude --sparsity 0.3',
      "onnx-studio quantize /m/net-magnitude30.onnx -o '/my models/it'\\''s-int8-dynamic.onnx' --method int8-dynamic",
      '# not settable from the command line (the app used): x=1',
    ].join('\n');
    expect(cliOutputPath(chain)).toBe("/my models/it's-int8-dynamic.onnx");
    expect(cliOutputPath(undefined)).toBeUndefined();
    expect(cliOutputPath('# the original model: /m/net.onnx')).toBeUndefined();
  });

  it("reads, for a default name, as the engine's command's file (mlp-structured20.onnx)", () => {
    const v = pruned('v1', 'structured', 0.2);
    // The command is recorded as the variant is made, from the variants made before it (none here).
    const ws = workspace({ model: { path: '/models/mlp.onnx', fileBytes: 4000, mtimeMs: 0 }, variants: [] });
    const { output } = variantCliCommand(ws, v.recipe, 'original');
    expect(output).toBe('/models/mlp-structured20.onnx');
    expect(suggestedDestination('/models/mlp.onnx', 'structured 20%')).toBe(output);
    // Made from another variant: the command's chain of files, the name its last.
    const stacked = variant('v2', 'int8-dynamic', 900);
    const chain = variantCliCommand({ ...ws, variants: [v] }, stacked.recipe, 'v1');
    expect(suggestedDestination('/models/mlp.onnx', 'structured 20% + int8-dynamic')).toBe(
      '/models/mlp-structured20-int8-dynamic.onnx',
    );
    expect(chain.output).toBe('/models/mlp-structured20-int8-dynamic.onnx');
    // The same recipe made again is "int8-dynamic (2)": its command writes the file Export suggests for it.
    const again = variantCliCommand(ws, variant('v3', 'int8-dynamic', 900).recipe, 'original');
    const twice = variantCliCommand(
      { ...ws, variants: [variant('v3', 'int8-dynamic', 900)] },
      variant('v4', 'int8-dynamic', 900).recipe,
      'original',
    );
    expect(again.output).toBe('/models/mlp-int8-dynamic.onnx');
    expect(twice.output).toBe(suggestedDestination('/models/mlp.onnx', 'int8-dynamic (2)'));
  });

  it('names the file after the variant, so two variants of one recipe never share it', () => {
    expect(suggestedDestination('/models/net.onnx', 'int8-static (2)')).toBe(
      '/models/net-int8-static-2.onnx',
    );
    // A tuned variant of the same recipe as the plain one: its own file, not the plain one's.
    const names = ['int8-static', 'tuned: int8-static percentile per-tensor'];
    expect(names.map((n) => suggestedDestination('/models/net.onnx', n, names))).toEqual([
      '/models/net-int8-static.onnx',
      '/models/net-tuned-int8-static-percentile-per-tensor.onnx',
    ]);
  });
});

function variantsOf(ws: ReturnType<typeof workspace>): Variant[] {
  return deriveVariants(
    studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws }),
  );
}

function evaluation(target: string, accuracy: number | undefined, top1Agreement?: number): EvalRecord {
  return {
    id: `e-${target}`,
    createdAt: '2026-01-01T00:00:00Z',
    target,
    ...(top1Agreement !== undefined ? { reference: 'original' } : {}),
    dataset: { name: 'digits-test', samples: 360, sha256: 'abc' },
    report: {
      model: target,
      data: 'digits-test',
      samples: 360,
      task: accuracy === undefined ? 'none' : 'classification',
      taskReason: 'test',
      output: 'logits',
      seconds: 1,
      samplesPerSecond: 360,
      timing: { dataMs: 1, inferenceMs: 1, referenceMs: 1 },
      notes: [],
      ...(accuracy !== undefined ? { accuracy, correct: Math.round(accuracy * 360) } : {}),
      ...(top1Agreement !== undefined
        ? {
            fidelity: {
              output: 'logits',
              cosine: 0.999,
              worstSampleCosine: 0.99,
              sqnrDb: 30,
              maxAbsErr: 0.1,
              meanAbsErr: 0.01,
              top1Agreement,
              exact: false,
            },
          }
        : {}),
    } as EvalRecord['report'],
  };
}

describe('Export preselects the best variant, not the last one made', () => {
  // The reviewer's case: int8-dynamic keeps the accuracy and is faster; the last made, structured 20%, is not.
  const variants = [variant('v1', 'int8-dynamic', 1000), pruned('v2', 'structured', 0.2)];
  const benchmarks = [benchRecord('b1', 'cpu', { original: 1, v1: 0.5, v2: 0.9 })];

  it('picks the best variant as the report does, and says why', () => {
    const ws = workspace({
      variants,
      benchmarks,
      evaluations: [evaluation('original', 0.99), evaluation('v1', 0.989), evaluation('v2', 0.59)],
    });
    const made = variantsOf(ws).filter((v) => !v.isOriginal);
    const pick = preselectVariant(made, ws);
    expect(pick).toMatchObject({ id: 'v1', why: 'best' });
    expect(describePreselection(pick!, 'int8-dynamic')).toBe(
      'int8-dynamic is preselected as the best variant: the fastest variant (then the smallest) with at most 0.5 pts ' +
        "of accuracy lost that is faster (beyond the run's noise) or smaller than the original (0.50x p50 latency, " +
        'faster than the original in ' +
        'the same onnxruntime-node cpu benchmark; 0.25x size; 0.10 pts of accuracy lost (budget 0.5 pts)).',
    );
  });

  it('does not call a variant chosen for its size "best" where it is slower than the original', () => {
    // The user test's MLP: int8-dynamic at x1.47, the smallest within the budget, "preselected as the best variant".
    const ws = workspace({
      variants: [variant('v1', 'int8-dynamic', 1000)],
      benchmarks: [benchRecord('b1', 'cpu', { original: 1, v1: 1.47 })],
      evaluations: [evaluation('original', 0.99), evaluation('v1', 0.989)],
    });
    const pick = preselectVariant(variantsOf(ws).slice(1), ws);
    expect(pick).toMatchObject({ id: 'v1', why: 'best' });
    expect(describePreselection(pick!, 'int8-dynamic')).toMatch(
      /^int8-dynamic is preselected though slower than the original: the smallest variant with at most 0\.5 pts/,
    );
  });

  it('decides on one engine: a later in-browser (wasm) benchmark does not pick, and the sentence names the engine', () => {
    // The node run finds v1 faster; a later wasm run of v2 alone would make v2 "fastest" if engines were mixed.
    const ws = workspace({
      variants,
      benchmarks: [
        benchRecord('b1', 'cpu', { original: 1, v1: 0.5, v2: 0.9 }),
        benchRecord('b2', 'wasm', { original: 4, v2: 0.4 }, 'onnxruntime-web'),
      ],
      evaluations: [evaluation('original', 0.99), evaluation('v1', 0.989), evaluation('v2', 0.989)],
    });
    const pick = preselectVariant(variantsOf(ws).slice(1), ws);
    expect(pick).toMatchObject({ id: 'v1', why: 'best' });
    expect(describePreselection(pick!, 'int8-dynamic')).toContain(
      '0.50x p50 latency, faster than the original in the same onnxruntime-node cpu benchmark',
    );
  });

  it('gives cosine-only evaluations a budget (cosine at least 0.99), and calls a variant that is not faster the smallest', () => {
    const cos = (target: string, cosine: number): EvalRecord => {
      const e = evaluation(target, undefined, 0.5);
      e.report.fidelity = { ...e.report.fidelity!, cosine, top1Agreement: null };
      return e;
    };
    // The reviewer's case: fp16 (cosine 1.00000) 1.06x p50, half the size; int8-static (0.99991) never qualified.
    const ws = workspace({
      variants: [variant('v1', 'fp16', 2000), variant('v2', 'int8-static', 1000), variant('v3', 'int4', 500)],
      benchmarks: [benchRecord('b1', 'cpu', { original: 1, v1: 1.06, v2: 1.02, v3: 0.5 })],
      evaluations: [cos('v1', 1), cos('v2', 0.99991), cos('v3', 0.9757)],
    });
    const pick = preselectVariant(variantsOf(ws).slice(1), ws);
    expect(pick).toMatchObject({ id: 'v2', why: 'best' });
    const sentence = describePreselection(pick!, 'int8-static');
    expect(sentence).toContain('the smallest variant with output cosine at least 0.99');
    // 1.02x in a run whose spread is 20% of the median: the same speed, and said so.
    expect(sentence).toContain('1.02x p50 latency, within noise of the original');
    expect(sentence).toContain('output cosine 0.99991 (budget: at least 0.99)');
    expect(sentence).not.toContain('fastest');
  });

  it('uses top-1 agreement where there are no labels', () => {
    const ws = workspace({
      variants,
      benchmarks,
      evaluations: [evaluation('v1', undefined, 0.998), evaluation('v2', undefined, 0.59)],
    });
    expect(preselectVariant(variantsOf(ws).slice(1), ws)).toMatchObject({ id: 'v1', why: 'best' });
  });

  it('falls back to the newest when nothing is measured (or nothing is good enough), and says so', () => {
    const bare = workspace({ variants });
    const pick = preselectVariant(variantsOf(bare).slice(1), bare);
    expect(pick).toMatchObject({ id: 'v2', why: 'newest' });
    expect(describePreselection(pick!, 'structured 20%')).toMatch(
      /^structured 20% is preselected as the newest variant: no variant is both measured .* and within the budget \(at most 0\.5 pts of accuracy lost\)/,
    );
    const tooLossy = workspace({
      variants,
      benchmarks,
      evaluations: [evaluation('original', 0.99), evaluation('v1', 0.95), evaluation('v2', 0.59)],
    });
    expect(preselectVariant(variantsOf(tooLossy).slice(1), tooLossy)).toMatchObject({
      id: 'v2',
      why: 'newest',
    });
    expect(preselectVariant([], undefined)).toBeUndefined();
  });
});

describe("Export judges by the last Auto-optimize run's budget, not the default one", () => {
  // The user test: a tune under --min-cosine 0.995 on a model with class scores; Export explained its pick with
  // "at most 0.5 pts of top-1 agreement lost", a rule the user never gave.
  const withCosine = (target: string, top1Agreement: number, cosine: number): EvalRecord => {
    const e = evaluation(target, undefined, top1Agreement);
    e.report.fidelity = { ...e.report.fidelity!, cosine };
    return e;
  };
  const tune = tuneRecord;
  // v1 keeps the top class (0.2 pts) but its cosine (0.99) is under the tune's 0.995; v2 keeps both.
  const measured = {
    variants: [variant('v1', 'int8-dynamic', 1000), variant('v2', 'int8-static', 1100)],
    benchmarks: [benchRecord('b1', 'cpu', { original: 1, v1: 0.4, v2: 0.5 })],
    evaluations: [withCosine('v1', 0.998, 0.99), withCosine('v2', 0.997, 0.9991)],
  };

  it('a cosine budget: judged by the cosine and its value, and the sentence names that budget', () => {
    const ws = workspace({ ...measured, tunes: [tune({ kind: 'min-cosine', cosine: 0.995 })] });
    const pick = preselectVariant(variantsOf(ws).slice(1), ws);
    expect(pick).toMatchObject({ id: 'v2', why: 'best' });
    const sentence = describePreselection(pick!, 'int8-static');
    expect(sentence).toContain(
      'the fastest variant (then the smallest) with output cosine at least 0.995 that is faster',
    );
    expect(sentence).toContain('output cosine 0.99910 (budget: at least 0.995)');
    expect(sentence).not.toContain('pts');
    expect(sentence).toMatch(/The budget is the last Auto-optimize run's\.$/);
    // Without the tune, the default rule on top-1 agreement picks the faster v1.
    const plain = workspace(measured);
    expect(preselectVariant(variantsOf(plain).slice(1), plain)).toMatchObject({ id: 'v1', why: 'best' });
  });

  it("an accuracy budget: its points, and the newest variant's sentence names them too", () => {
    const ws = workspace({
      ...measured,
      evaluations: [evaluation('original', 0.99), evaluation('v1', 0.975), evaluation('v2', 0.981)],
      tunes: [tune({ kind: 'accuracy-drop', points: 1 })],
    });
    const pick = preselectVariant(variantsOf(ws).slice(1), ws);
    expect(pick).toMatchObject({ id: 'v2', why: 'best' });
    expect(describePreselection(pick!, 'int8-static')).toContain('0.90 pts of accuracy lost (budget 1 pts)');
    const none = workspace({
      variants: measured.variants,
      tunes: [tune({ kind: 'min-cosine', cosine: 0.995 })],
    });
    expect(describePreselection(preselectVariant(variantsOf(none).slice(1), none)!, 'int8-static')).toContain(
      'within the budget (output cosine at least 0.995)',
    );
  });
});

describe("the picker's figures say what they are", () => {
  const variants = [variant('v1', 'int8-dynamic', 1000), pruned('v2', 'structured', 0.2)];

  it('accuracy on the dataset with labels; top-1 agreement with the original without', () => {
    const labelled = variantsOf(
      workspace({ variants, evaluations: [evaluation('original', 0.99), evaluation('v1', 0.989)] }),
    );
    const metric = pickQualityMetric(labelled);
    expect(describeQuality(labelled[1]!, metric)).toBe('accuracy 98.90% on digits-test');
    expect(describeQuality(labelled[2]!, metric)).toBe('not evaluated');

    const unlabelled = variantsOf(workspace({ variants, evaluations: [evaluation('v2', undefined, 0.59)] }));
    expect(describeQuality(unlabelled[2]!, pickQualityMetric(unlabelled))).toBe(
      'top-1 agreement with the original 59.00%',
    );
  });
});

describe('Export preselects no variant for a speed within noise', () => {
  /** n samples with median m and interquartile range iqr (logistic quantiles), plus `slow` runs of slowMs. */
  const samples = (m: number, iqr: number, n = 200, slow = 0, slowMs = 10 * m) => [
    ...Array.from({ length: n - slow }, (_, i) => {
      const u = (i + 0.5) / (n - slow);
      return m + (iqr / (2 * Math.log(3))) * Math.log(u / (1 - u));
    }),
    ...Array.from({ length: slow }, () => slowMs),
  ];
  const run = (id: string, bySample: Record<string, number[]>): BenchRecord => ({
    ...benchRecord(id, 'cpu', {}),
    results: Object.entries(bySample).map(([target, s]) => {
      const { throughput, ...stats } = summarize(s);
      return { target, modelBytes: 1, throughput, ...stats, samples: s };
    }),
  });
  const cos = (target: string): EvalRecord => {
    const e = evaluation(target, undefined, 0.5);
    e.report.fidelity = { ...e.report.fidelity!, cosine: 1, top1Agreement: null };
    return e;
  };
  // The user's OCR model: int4 and int8-dynamic quantized nothing, are 1.06x the size, and measured x0.97 and
  // x0.98 in runs whose middle half spanned 6-10% of the median; structured 10% x1.00.
  const ws = workspace({
    variants: [
      variant('v1', 'int4', 6190),
      variant('v2', 'int8-dynamic', 6180),
      pruned('v3', 'structured', 0.1),
    ],
    benchmarks: [
      run('b1', { original: samples(0.501, 0.029, 200, 3, 4.5), v1: samples(0.486, 0.028) }),
      run('b2', { original: samples(0.494, 0.05, 200, 2, 15.2), v2: samples(0.485, 0.042, 200, 2, 5) }),
    ],
    evaluations: [cos('v1'), cos('v2'), cos('v3')],
  });
  ws.model.fileBytes = 5840;

  it('falls back to the newest, and tags none "best", for a no-op variant measured x0.97 at 1.06x the size', () => {
    const made = variantsOf(ws).filter((v) => !v.isOriginal);
    // Before: int4 was preselected as best, "faster than the original".
    expect(preselectVariant(made, ws)).toMatchObject({ id: 'v3', why: 'newest' });
  });

  it('says "within noise" of a best variant whose speed it read as noise', () => {
    const smaller = workspace({
      variants: [variant('v1', 'fp16', 3000)],
      benchmarks: [run('b1', { original: samples(0.501, 0.029, 200, 3, 4.5), v1: samples(0.486, 0.028) })],
      evaluations: [cos('v1')],
    });
    smaller.model.fileBytes = 5840;
    const pick = preselectVariant(variantsOf(smaller).slice(1), smaller)!;
    expect(pick).toMatchObject({ id: 'v1', why: 'best' });
    const sentence = describePreselection(pick, 'fp16');
    expect(sentence).toContain(
      '0.97x p50 latency, within noise of the original in the same onnxruntime-node cpu benchmark',
    );
    expect(sentence).not.toContain('latency, faster than the original');
  });
});

describe('Export leads with the ratio to the original of its own run, not raw p50s of different runs (user test 2.6)', () => {
  it('two runs of one file read as two ratios of their runs, each p50 said to be of its run', () => {
    // int8-static timed in a run where the original took 2.97 ms; a same-file tuned variant in a faster run.
    const ws = workspace({
      variants: [
        { ...variant('v1', 'int8-static', 1000), sha256: 'f'.repeat(64) },
        { ...variant('v2', 'tuned: int8-static', 1000), sha256: 'f'.repeat(64) },
      ],
      benchmarks: [benchRecord('b1', 'cpu', { original: 2.97, v1: 1.07 }), benchRecord('b2', 'cpu', { original: 1.59, v2: 0.603 })],
    });
    const state = studioReducer(initialState, { type: 'model-opened', summary: SUMMARY, workspace: ws });
    const rows = compareRows(deriveVariants(state), { engine: 'onnxruntime-node', provider: 'cpu' }, undefined);
    const [original, first, second] = ['original', 'v1', 'v2'].map((id) => rows.find((r) => r.id === id));
    // Before: "p50 1.07 ms (×0.36 …)" beside "p50 0.603 ms (×0.38 …)": two speeds for one file.
    // The ms says whose it is: "(1.07 ms there)" read as the original's, the ms Compare prints after "of".
    expect(exportLatencyFigure(first)).toMatch(/^p50 ×0\.36 of the original in its run.* \(this variant 1\.07 ms\)$/);
    expect(exportLatencyFigure(second)).toMatch(/^p50 ×0\.38 of the original in its run.* \(this variant 0\.603 ms\)$/);
    expect(second?.sameFileAs).toBe('int8-static');
    // The original has no ratio: its own p50; nothing measured: a dash.
    expect(exportLatencyFigure(original)).toMatch(/^p50 [\d.]+ ms$/);
    expect(exportLatencyFigure(undefined)).toBe('p50 –');
  });
});

describe('the replace question names every file the export would replace', () => {
  it('names the data file beside the model, alone or with the model (user test 3, finding A1)', () => {
    expect(replaceQuestion('/out/m.onnx')).toBe('/out/m.onnx already exists. Replacing it cannot be undone.');
    expect(replaceQuestion('/out/m.onnx', ['/out/m.onnx.data'])).toBe(
      "m.onnx.data already exists beside m.onnx: the export writes the variant's weights there. Replacing it cannot be undone.",
    );
    expect(replaceQuestion('/out/m.onnx', ['/out/m.onnx', '/out/m.onnx.data'])).toBe(
      "/out/m.onnx already exists, and so does m.onnx.data beside it, where the export writes the variant's weights. Replacing them cannot be undone.",
    );
  });
});

describe('Export names the data file a variant with external data writes (LM user test, finding 7)', () => {
  it('says the data file beside the chosen destination, and the size of the two files', () => {
    expect(keepsExternalData({ isOriginal: false }, 1_000_000)).toBe(true);
    // A variant with a sha256 is one file; so is every variant of a model without external data.
    expect(keepsExternalData({ isOriginal: false, sha256: 'ab'.repeat(32) }, 1_000_000)).toBe(false);
    expect(keepsExternalData({ isOriginal: false }, 0)).toBe(false);
    const hint = saveHint('/tmp/x/int4.onnx', { bytes: 403.3 * 2 ** 20 });
    expect(hint).toContain('int4.onnx.data is written beside it: 403.3 MiB for the two files');
    expect(saveHint('/tmp/x/int4.onnx', undefined)).toBe(
      "A full path on the machine running ONNX Studio (a relative one is taken from the model's folder). The file is written completely or not at all.",
    );
  });
});
