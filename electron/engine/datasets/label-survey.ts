import path from 'node:path';
import type { DatasetSpec } from '../../../shared/dataset-spec.js';
import type { DatasetSource } from './dataset-source.js';

/*
 * What the labels of a dataset are, read before anything is measured: class ids or values, their range, and
 * whether vector labels are one-hot rows. Evaluation decides from it which output is scored and how vector labels
 * are read; the data check (check-dataset.ts) decides the same from the same survey.
 */

export interface LabelSurvey {
  /** Labels surveyed. */
  count: number;
  /** Values per label: 1 for a scalar label, else the first row's length. */
  width: number;
  /** Smallest and largest value over every label (of every value of vector rows). */
  min: number;
  max: number;
  /** Every label is one whole number: class ids. */
  classIds: boolean;
  /**
   * Every label is a row of 2 or more values, all 0 or 1 with exactly one 1, of the same length: one-hot class
   * labels, read as the position of their 1 where an output scores that many classes (`oneHotClass`).
   */
  oneHot: boolean;
  /** The smallest and largest class id: of scalar class ids, or positions of one-hot rows' 1. */
  minClass?: number;
  maxClass?: number;
}

/** The position of a one-hot row's 1, or -1 when the row is not one-hot (0/1 values, exactly one 1). */
export function oneHotClass(row: ArrayLike<number>): number {
  let at = -1;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v === 1) {
      if (at >= 0) return -1;
      at = i;
    } else if (v !== 0) return -1;
  }
  return at;
}

/** Collects a survey label by label (check-dataset.ts adds the labels of the samples it reads anyway). */
export class LabelSurveyor {
  private count = 0;
  private width = 0;
  private min = Infinity;
  private max = -Infinity;
  private classIds = true;
  private oneHot = true;
  private minClass = Infinity;
  private maxClass = -1;

  add(label: number | ArrayLike<number>): void {
    const scalar = typeof label === 'number';
    const values: ArrayLike<number> = scalar ? [label] : label;
    if (this.count === 0) this.width = values.length;
    this.count++;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
    if (!scalar || !Number.isInteger(label)) this.classIds = false;
    else this.addClass(label);
    if (this.oneHot) {
      const at = scalar || values.length < 2 || values.length !== this.width ? -1 : oneHotClass(values);
      if (at < 0) this.oneHot = false;
      else this.addClass(at);
    }
  }

  private addClass(id: number): void {
    if (id < this.minClass) this.minClass = id;
    if (id > this.maxClass) this.maxClass = id;
  }

  /** The survey, or undefined when no label was added. */
  result(): LabelSurvey | undefined {
    if (this.count === 0) return undefined;
    const classIds = this.classIds && this.maxClass >= 0;
    return {
      count: this.count,
      width: this.width,
      min: this.min,
      max: this.max,
      classIds,
      oneHot: this.oneHot,
      ...(classIds || this.oneHot ? { minClass: this.minClass, maxClass: this.maxClass } : {}),
    };
  }
}

/**
 * Surveys the labels of the samples a source will produce: through `source.labels` where the source can list
 * them without reading the inputs (arrays, image folders, .jsonl lines), else by reading the samples.
 */
export async function surveyLabels(
  source: DatasetSource,
  signal?: AbortSignal,
): Promise<LabelSurvey | undefined> {
  if (!source.hasLabels) return undefined;
  const surveyor = new LabelSurveyor();
  if (source.labels) {
    for await (const label of source.labels(signal)) surveyor.add(label);
  } else {
    for await (const sample of source.samples(signal))
      if (sample.label !== undefined) surveyor.add(sample.label);
  }
  return surveyor.result();
}

/** The labels as messages name them: the labels file's name, else `the labels`. */
export function labelsName(spec: DatasetSpec): string {
  return 'labels' in spec && spec.labels ? path.basename(spec.labels) : 'the labels';
}

/** What reading one-hot rows as class ids means, said once beside the figures (and by the data check). */
export function oneHotNote(labels: string, width: number): string {
  return (
    `${labels} holds one-hot rows of ${width}: read as class ids 0 to ${width - 1} (the position of each row's 1); ` +
    `--task regression compares them as ${width}-value targets`
  );
}
