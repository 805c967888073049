import type * as ort from 'onnxruntime-node';
import { echoesOwnIds } from '../../../shared/own-ids.js';
import { StudioError } from '../errors.js';
import { formatDims } from '../datasets/input-match.js';
import { tensorToFloat64 } from '../datasets/element-convert.js';
import { type NextTokenMetrics, NextTokenAccumulator } from './next-token.js';
import { type IdsCandidate, type NextTokenPlan, planNextToken } from './next-token-plan.js';
import { hasPadding, maskKeep, maskOfIds } from './padding-mask.js';

/*
 * Eval's next-token task over the sample loop (evaluate-model.ts): plans on the first sample that can be graded
 * (a .jsonl's first line may be one token), picks the ids' attention mask, grades each sample, and writes the
 * figures and their notes into the report.
 */

export interface GraderOptions {
  explicit: boolean;
  candidates: IdsCandidate[];
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** `--output`, `--ids-input`. */
  output?: string;
  idsInput?: string;
  notes: string[];
}

export class NextTokenGrader {
  private plan: NextTokenPlan | undefined;
  private figures: NextTokenAccumulator | undefined;
  private mask: string | undefined;
  /** Why the samples so far could not be graded (one token each). */
  private short: string | undefined;
  private paddingCounted = false;
  /** Auto found no input and output to grade: it does not try again. */
  private none = false;
  /** Why not, where several inputs could hold the ids. */
  private ambiguous: string[] | undefined;
  private scoringMs = 0;

  constructor(private readonly options: GraderOptions) {}

  /** The output the figures read, once planned. */
  get output(): string | undefined {
    return this.plan?.output;
  }

  /** The plan, once made: its task and reason head the report. */
  get planned(): NextTokenPlan | undefined {
    return this.plan;
  }

  /** Auto found nothing to grade on the first sample (and will not try again). */
  get hopeless(): boolean {
    return this.none;
  }

  /** Milliseconds spent grading positions (timing.scoringMs). */
  get ms(): number {
    return this.scoringMs;
  }

  /**
   * Grades one sample, planning first where no plan was made yet. Returns false where auto found no fit on the
   * first sample (nothing to grade in this data).
   */
  grade(
    sample: { index: number; inputs: Readonly<Record<string, ort.Tensor>> },
    outputs: Readonly<Record<string, ort.Tensor>>,
  ): boolean {
    if (this.none) return false;
    const started = performance.now();
    try {
      if (!this.plan) {
        const planned = this.planOn(sample, outputs);
        if (planned === 'none') this.none = true;
        if (planned !== 'planned') return planned === 'later';
      }
      this.add(sample, outputs);
      return true;
    } finally {
      this.scoringMs += performance.now() - started;
    }
  }

  private planOn(
    sample: { index: number; inputs: Readonly<Record<string, ort.Tensor>> },
    outputs: Readonly<Record<string, ort.Tensor>>,
  ): 'planned' | 'later' | 'none' {
    const o = this.options;
    const planned = planNextToken({
      explicit: o.explicit,
      candidates: o.candidates,
      fed: sample.inputs,
      outputs: o.outputNames.map((name) => ({ name, type: outputs[name]!.type, dims: outputs[name]!.dims })),
      ...(o.output !== undefined ? { output: o.output } : {}),
      ...(o.idsInput !== undefined ? { idsInput: o.idsInput } : {}),
      firstScores: (name) => tensorToFloat64(outputs[name]!),
    });
    if (planned === undefined) return 'none';
    if ('ambiguous' in planned) {
      this.ambiguous = planned.ambiguous;
      o.notes.push(
        `no next-token figures: ${planned.ambiguous.map((n) => `'${n}'`).join(', ')} all look up the table the output scores, and nothing tells which holds the token ids; name it with --ids-input NAME`,
      );
      return 'none';
    }
    if ('short' in planned) {
      this.short ??= `sample ${sample.index}: ${planned.short}`;
      return 'later';
    }
    this.plan = planned;
    const { mask, ambiguous } = maskOfIds(o.inputNames, planned.idsInput, sample.inputs);
    this.mask = mask;
    if (ambiguous)
      o.notes.push(
        `padding is not left out of the next-token figures: ${ambiguous.length === 1 ? `the attention mask '${ambiguous[0]}' is not named as the one` : `of the attention masks ${ambiguous.map((m) => `'${m}'`).join(', ')}, none is told to be the one`} of '${planned.idsInput}' (by its name or shape), so every position is graded`,
      );
    this.figures = new NextTokenAccumulator(planned, mask);
    return 'planned';
  }

  private add(
    sample: { index: number; inputs: Readonly<Record<string, ort.Tensor>> },
    outputs: Readonly<Record<string, ort.Tensor>>,
  ): void {
    const plan = this.plan!;
    const ids = sample.inputs[plan.idsInput]!;
    const scored = outputs[plan.output]!;
    const mask = this.mask !== undefined ? sample.inputs[this.mask] : undefined;
    const padded = mask !== undefined && hasPadding(mask);
    const keep = padded ? maskKeep(mask, ids.dims) : undefined;
    if (padded && !keep && !this.paddingCounted) {
      this.paddingCounted = true;
      this.options.notes.push(
        `${this.mask} ${formatDims(mask.dims)} is not shaped like '${plan.idsInput}' ${formatDims(ids.dims)}, so the next-token figures count the positions it marks as padding: which ids are padding cannot be told`,
      );
    }
    // Float32 scores are read as they are; other types are converted once.
    const scores = scored.type === 'float32' ? (scored.data as Float32Array) : tensorToFloat64(scored);
    this.figures!.add(
      scores,
      ids.data as ArrayLike<number | bigint>,
      ids.dims.at(-1)!,
      {
        index: sample.index,
        where: `Sample ${sample.index}`,
      },
      keep,
    );
  }

  /**
   * The figures and their notes, at the end. Throws where nothing could be graded: every sample one token, or auto
   * with no fit and nothing else measured (`required`).
   */
  result(required: boolean): (NextTokenMetrics & { idsInput: string }) | undefined {
    if (!this.plan || !this.figures) {
      if (this.short !== undefined)
        throw new StudioError(
          'BAD_REQUEST',
          `No position could be graded on a next id: every sample holds one token (${this.short}); next-token grades a position on the id after it, so a sample needs 2 or more.`,
        );
      if (required && this.ambiguous)
        throw new StudioError(
          'BAD_REQUEST',
          `Nothing to measure: the data has no labels, no --reference was given, and next-token grading cannot tell which input holds the token ids: ${this.ambiguous.map((n) => `'${n}'`).join(', ')} all fit.`,
          { cliHint: `Name it with --ids-input ${this.ambiguous[0]}.` },
        );
      if (required)
        throw new StudioError(
          'BAD_REQUEST',
          `Nothing to measure: the data has no labels, no --reference was given, and no output of the model scores the ids its integer inputs look up at each position (${this.options.outputNames.join(', ')}). Add labels or compare with --reference MODEL.`,
        );
      return undefined;
    }
    const figures = this.figures.result();
    const notes = this.options.notes;
    if (figures.padded)
      notes.push(
        `${figures.padded.positions} padded position${figures.padded.positions === 1 ? '' : 's'} left out, by ${figures.padded.by}: the next-token figures grade a position only where it and the one after it are tokens`,
      );
    const bad = this.figures.nonFinitePositions;
    if (bad)
      notes.push(
        `${bad.positions} of ${figures.positions} positions have no finite cross-entropy (the first: sample ${bad.sample}, position ${bad.position}): output '${this.plan.output}' ` +
          (this.plan.probabilities
            ? 'gives the next id a probability of 0 there (a float16 output rounds small probabilities to 0), '
            : 'holds NaN or Inf there, ') +
          'so cross-entropy and perplexity cannot be figured; accuracy and top-5 count those positions as they are',
      );
    if (echoesOwnIds(figures))
      notes.push(
        `output '${this.plan.output}' ranks each position's own id first at ${(figures.ownIdShare! * 100).toFixed(1)}% of the positions and the next id at ${(figures.accuracy * 100).toFixed(1)}%: ` +
          'the model reads as a masked LM or an autoencoder, for which next-token figures say nothing; give labels, or measure fidelity with --reference MODEL',
      );
    return { idsInput: this.plan.idsInput, ...figures };
  }
}
