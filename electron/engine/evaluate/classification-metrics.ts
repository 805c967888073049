/*
 * Classification metrics, accumulated one sample at a time (counts only; no outputs are kept).
 *
 * Conventions, the same as numpy / scikit-learn so numbers can be checked against them:
 * - The prediction is the index of the highest score; ties go to the lowest index (numpy's argmax). NaN
 *   scores count as lower than any number.
 * - Top-5 counts a sample when fewer than 5 classes rank above its label, where a class ranks above the
 *   label when its score is higher, or equal with a lower index (a stable sort by descending score).
 * - Per-class metrics cover every class that occurs as a label or a prediction (scikit-learn's
 *   unique_labels); macro precision, recall and F1 are their unweighted means, and a metric whose
 *   denominator is 0 (a class never predicted, or never present) is 0 (zero_division=0). Macro F1 is the mean
 *   of the per-class F1 scores, not the F1 of macro precision and recall.
 */

export interface ClassMetrics {
  /** Class index. */
  class: number;
  /** Class name, when the data names its classes. */
  name?: string;
  /** Samples whose label is this class. */
  support: number;
  /** Samples predicted as this class. */
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationMetrics {
  samples: number;
  /** Samples whose top-1 prediction equals the label. */
  correct: number;
  accuracy: number;
  /** Top-5 accuracy; only when the model scores more than 5 classes. */
  top5?: number;
  /** Macro averages over `perClass`. */
  precision: number;
  recall: number;
  f1: number;
  /** Every class seen as a label or a prediction, by class index. */
  perClass: ClassMetrics[];
  /** `confusion[i][j]`: samples of class `perClass[i].class` predicted as `perClass[j].class`. */
  confusion: number[][];
}

/**
 * Index of the highest score (first on ties; NaN never wins unless every score is NaN), among `scores[start]` to
 * `scores[end - 1]` (default: all of them), counted from `start`.
 */
export function argmax(scores: ArrayLike<number>, start = 0, end = scores.length): number {
  let best = 0;
  let bestValue = -Infinity;
  let found = false;
  for (let i = start; i < end; i++) {
    const v = scores[i]!;
    if (v > bestValue || (!found && v === -Infinity)) {
      best = i - start;
      bestValue = v;
      found = true;
    }
  }
  return best;
}

/** How many classes rank above `label` (higher score, or equal score and lower index). */
export function rankOf(scores: ArrayLike<number>, label: number): number {
  const raw = scores[label]!;
  const s = Number.isNaN(raw) ? -Infinity : raw;
  let rank = 0;
  for (let i = 0; i < scores.length; i++) {
    if (i === label) continue;
    const v = scores[i]!;
    if (Number.isNaN(v)) continue;
    if (v > s || (v === s && i < label)) rank++;
  }
  return rank;
}

export class ClassificationAccumulator {
  private samples = 0;
  private correct = 0;
  private top5Hits = 0;
  private top5Applies: boolean;
  private readonly support = new Map<number, number>();
  private readonly predicted = new Map<number, number>();
  /** (label, prediction) -> count, keyed `label * 2^26 + prediction`. */
  private readonly pairs = new Map<number, number>();

  /** `numScores`: scores per sample when predictions come from class scores (enables top-5 when > 5). */
  constructor(numScores?: number) {
    this.top5Applies = numScores !== undefined && numScores > 5;
  }

  /** One sample's class scores and its label (an integer within the scores' range). */
  addScores(scores: ArrayLike<number>, label: number): number {
    const prediction = argmax(scores);
    if (this.top5Applies && rankOf(scores, label) < 5) this.top5Hits++;
    this.count(prediction, label);
    return prediction;
  }

  /** One sample whose model output is the predicted class itself. */
  addPrediction(prediction: number, label: number): void {
    this.top5Applies = false;
    this.count(prediction, label);
  }

  private count(prediction: number, label: number): void {
    this.samples++;
    if (prediction === label) this.correct++;
    this.support.set(label, (this.support.get(label) ?? 0) + 1);
    this.predicted.set(prediction, (this.predicted.get(prediction) ?? 0) + 1);
    const key = label * 2 ** 26 + prediction;
    this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
  }

  result(classNames?: readonly string[]): ClassificationMetrics {
    const classes = [...new Set([...this.support.keys(), ...this.predicted.keys()])].sort((a, b) => a - b);
    const position = new Map(classes.map((c, i) => [c, i]));
    const confusion = classes.map(() => classes.map(() => 0));
    for (const [key, n] of this.pairs) {
      const label = Math.floor(key / 2 ** 26);
      const prediction = key - label * 2 ** 26;
      confusion[position.get(label)!]![position.get(prediction)!] = n;
    }
    const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
    const perClass = classes.map((c, i): ClassMetrics => {
      const tp = confusion[i]![i]!;
      const support = this.support.get(c) ?? 0;
      const predicted = this.predicted.get(c) ?? 0;
      const precision = ratio(tp, predicted);
      const recall = ratio(tp, support);
      const f1 = ratio(2 * precision * recall, precision + recall);
      const name = classNames?.[c];
      return { class: c, ...(name !== undefined ? { name } : {}), support, predicted, precision, recall, f1 };
    });
    const mean = (key: 'precision' | 'recall' | 'f1') => ratio(perClass.reduce((a, m) => a + m[key], 0), perClass.length);
    return {
      samples: this.samples,
      correct: this.correct,
      accuracy: ratio(this.correct, this.samples),
      ...(this.top5Applies ? { top5: ratio(this.top5Hits, this.samples) } : {}),
      precision: mean('precision'),
      recall: mean('recall'),
      f1: mean('f1'),
      perClass,
      confusion,
    };
  }
}
