/**
 * Compare on a language model graded on its own token ids (eval's next-token task): the figures say they are
 * next-token accuracy, never a classifier's accuracy on labelled samples, and perplexity stands beside them.
 */
import { describe, expect, it } from 'vitest';
import type { EvalReportInfo } from '../../../shared/job-reports.js';
import type { DatasetIdentity, EvalRecord, PipelineRecord } from '../../../shared/workspace.js';
import { describeQuality } from '../views/export-view.js';
import { formatDrop, pipelineAccuracyDrop, pipelineDropTitle } from './accuracy-drop.js';
import {
  accuracyDropPoints,
  compareRows,
  mixedDatasetsHeading,
  pickQualityMetric,
  QUALITY_LABELS,
  QUALITY_NOUNS,
  qualityCaption,
} from './compare-data.js';
import { accuracyDropTitle, formatPerplexity, PERPLEXITY_LABEL } from './quality-words.js';
import { initialState, studioReducer } from './studio-state.js';
import { LM_SUMMARY, variant, workspace } from './test-fixtures.js';
import { deriveVariants } from './variants.js';

const ids: DatasetIdentity = { name: 'ids.npy', samples: 32, sha256: 'c'.repeat(64) };
const labelled: DatasetIdentity = { name: 'tags.npz', samples: 32, sha256: 'd'.repeat(64) };

function report(accuracy: number, perplexity: number | undefined): EvalReportInfo {
  return {
    model: 'm',
    data: 'ids.npy',
    samples: 32,
    task: perplexity !== undefined ? 'next-token' : 'classification',
    taskReason: '',
    output: 'logits',
    seconds: 1,
    samplesPerSecond: 1,
    timing: { dataMs: 0, inferenceMs: 0, referenceMs: 0 },
    notes: [],
    accuracy,
    ...(perplexity !== undefined
      ? {
          nextToken: {
            idsInput: 'input_ids',
            positions: 224,
            correct: Math.round(accuracy * 224),
            accuracy,
            crossEntropy: Math.log(perplexity),
            perplexity,
          },
        }
      : {}),
  };
}

function record(id: string, target: string, r: EvalReportInfo, dataset = ids): EvalRecord {
  return {
    id,
    createdAt: '',
    target,
    ...(target !== 'original' ? { reference: 'original' } : {}),
    dataset,
    report: r,
  };
}

function variantsOf(evaluations: EvalRecord[]) {
  const ws = workspace({
    variants: [variant('v1', 'int8-dynamic', 1000), variant('v2', 'int4', 600)],
    evaluations,
  });
  return deriveVariants(
    studioReducer(initialState, { type: 'model-opened', summary: LM_SUMMARY, workspace: ws }),
  );
}

describe("Compare on a language model's next-token evaluations", () => {
  const variants = variantsOf([
    record('e0', 'original', report(0.5, 20)),
    record('e1', 'v1', report(0.48, 21)),
    record('e2', 'v2', report(0.44, 25)),
  ]);
  const metric = pickQualityMetric(variants);
  const rows = compareRows(variants, undefined, metric);

  it('names the figure next-token accuracy, in the table, the chart and its caption', () => {
    // Before: "Accuracy (top-1)" over "Share of labelled samples classified correctly", of data without labels.
    expect(metric).toBe('nextTokenAccuracy');
    expect(QUALITY_LABELS[metric!]).toBe('Next-token accuracy');
    const caption = qualityCaption(metric);
    expect(caption).toMatch(/^Share of token positions whose next token the model ranks first/);
    expect(caption).not.toMatch(/labelled|classified/);
    expect(caption).toContain('Perplexity');
    expect(mixedDatasetsHeading(metric)).toBe(
      'These next-token accuracies were measured on different datasets:',
    );
  });

  it('puts each perplexity beside its accuracy, with its ratio to the original (lower is better)', () => {
    expect(rows.map((r) => [r.label, r.quality, r.perplexity])).toEqual([
      ['original', 0.5, 20],
      ['int8-dynamic', 0.48, 21],
      ['int4', 0.44, 25],
    ]);
    expect(rows[1]!.perplexityRatio).toBeCloseTo(1.05, 12);
    expect(rows[2]!.perplexityRatio).toBeCloseTo(1.25, 12);
    expect(rows[2]!.qualityRatio).toBeCloseTo(0.88, 12);
    expect(PERPLEXITY_LABEL).toBe('Perplexity (lower is better)');
    expect(formatPerplexity(21)).toBe('21.00');
    // Other figures have no perplexity.
    expect(compareRows(variants, undefined, 'top1Agreement').some((r) => r.perplexity !== undefined)).toBe(
      false,
    );
  });

  it('calls a drop a drop of next-token accuracy, on the same ids', () => {
    const points = accuracyDropPoints(rows[2]!, rows[0], metric);
    expect(points).toBeCloseTo(6, 9);
    expect(formatDrop(points!, QUALITY_NOUNS[metric!])).toBe('−6.0 pts next-token accuracy');
    expect(accuracyDropTitle('nextTokenAccuracy')).not.toContain('labelled');
  });

  it("says what Export's figure is, with its perplexity", () => {
    expect(describeQuality(variants[2]!, metric)).toBe(
      'next-token accuracy 44.00% (perplexity 25.00) on ids.npy',
    );
  });

  it("shows one kind of accuracy at a time: the original's, a figure of the other kind left out", () => {
    // The original measured on labels, one variant on its own ids: not one column of "accuracy".
    const mixed = variantsOf([
      record('e0', 'original', report(0.9, undefined), labelled),
      record('e1', 'v1', report(0.48, 21)),
    ]);
    expect(pickQualityMetric(mixed)).toBe('accuracy');
    expect(compareRows(mixed, undefined, 'accuracy').map((r) => r.quality)).toEqual([
      0.9,
      undefined,
      undefined,
    ]);
    // No original figure: the kind most variants have.
    const variantsOnly = variantsOf([record('e1', 'v1', report(0.48, 21))]);
    expect(pickQualityMetric(variantsOnly)).toBe('nextTokenAccuracy');
  });

  it('drops the perplexity of an accuracy a later evaluation on labels replaced', () => {
    const later = variantsOf([
      record('e0', 'original', report(0.5, 20)),
      record('e1', 'original', report(0.9, undefined), labelled),
    ]);
    expect(later[0]!.evaluation).toMatchObject({ accuracy: 0.9, task: 'classification' });
    expect(later[0]!.evaluation?.nextToken).toBeUndefined();
  });

  it("names a pipeline's drop of next-token accuracy as such", () => {
    const pipeline = {
      variant: 'v2',
      steps: [{ kind: 'evaluate', title: 'Evaluate', status: 'done', recordId: 'e2' }],
    } as unknown as PipelineRecord;
    const drop = pipelineAccuracyDrop(
      [record('e0', 'original', report(0.5, 20)), record('e2', 'v2', report(0.44, 25))],
      pipeline,
    );
    expect(pipelineDropTitle(drop!)).toMatch(
      /^Next-token accuracy lost in this pipeline's evaluation: 44\.00%/,
    );
  });
});
