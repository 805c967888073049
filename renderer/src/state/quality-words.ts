/**
 * The quality figures Compare, Export and the badges show, and their words: one declaration, so the table, the
 * charts, the CSV and the drop badges name a figure alike. An accuracy is either against labels (`accuracy`) or a
 * language model's graded on its own token ids (`nextTokenAccuracy`: eval's next-token task, the report's
 * `task === 'next-token'`); they are different figures and never share a label ("Accuracy (top-1)" over a
 * next-token accuracy read as a classifier's, "labelled samples classified correctly" of data without labels).
 */
import type { MeasuredTask } from '../../../shared/eval-tasks.js';
import { accuracyWords } from '../../../shared/tune.js';

/** Which quality figure is compared: accuracy against labels or on a language model's own ids, or fidelity. */
export type QualityMetric = 'accuracy' | 'nextTokenAccuracy' | 'top1Agreement' | 'cosine';

/** The accuracies: a drop is in points of them. */
export type AccuracyMetric = Extract<QualityMetric, 'accuracy' | 'nextTokenAccuracy'>;

/** Headings: the table's column, the chart's title, the Pareto chart's axis. */
export const QUALITY_LABELS: Record<QualityMetric, string> = {
  accuracy: 'Accuracy (top-1)',
  nextTokenAccuracy: 'Next-token accuracy',
  top1Agreement: 'Top-1 agreement with the original',
  cosine: 'Output cosine similarity to the original',
};

/**
 * In a sentence, before the figure: `next-token accuracy 41.20%`, a drop's `−2.0 pts next-token accuracy`. The
 * accuracies' words are tune's (shared/tune.ts `accuracyWords`), so Auto-optimize's result and Compare agree.
 */
export const QUALITY_NOUNS: Record<QualityMetric, string> = {
  accuracy: accuracyWords({ bytes: 0 }),
  nextTokenAccuracy: accuracyWords({ bytes: 0, accuracyTask: 'next-token' }),
  top1Agreement: 'top-1 agreement with the original',
  cosine: 'output cosine similarity to the original',
};

export function isAccuracy(metric: QualityMetric | undefined): metric is AccuracyMetric {
  return metric === 'accuracy' || metric === 'nextTokenAccuracy';
}

/** The accuracy an evaluation measured, by its report's task: next-token for a language model on its own ids. */
export function accuracyMetricOf(task: MeasuredTask | undefined): AccuracyMetric {
  return task === 'next-token' ? 'nextTokenAccuracy' : 'accuracy';
}

/**
 * How a language model is measured on data without labels, said where the app decides on it (Compare's Evaluate,
 * Auto-optimize's budget): after "no labels: ".
 */
export const GRADED_ON_OWN_IDS =
  'a language model is graded on its own token ids (next-token accuracy: each position on the id after it)';

/** The Compare table's perplexity column and the CSV's, where some evaluation is next-token. */
export const PERPLEXITY_LABEL = 'Perplexity (lower is better)';

/** What perplexity is, on hover of its column. */
export const PERPLEXITY_MEANING =
  "exp of the mean cross-entropy of each next token (nats), over the positions graded: about how many ids the model hesitates between at each position. Lower is better: a ratio above ×1 to the original's is worse.";

export { formatPerplexity } from '../../../shared/perplexity-format.js';

/** The tooltip of an accuracy drop badge beside a variant, both figures on the same data. */
export function accuracyDropTitle(metric: AccuracyMetric): string {
  return metric === 'nextTokenAccuracy'
    ? 'Next-token accuracy lost against the original, both measured on the same token ids'
    : 'Accuracy lost against the original, both measured on the same labelled data';
}

/** A noun above as a sentence starts with it: `Next-token accuracy lost …`. */
export function capitalized(words: string): string {
  return `${words[0]!.toUpperCase()}${words.slice(1)}`;
}
