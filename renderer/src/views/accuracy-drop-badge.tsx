/**
 * A measured accuracy loss, loud enough to see beside the variant (one-shot pruning without fine-tuning can
 * cost tens of points): Compare's table and the Optimize view's pipelines show it the same way.
 */
import { formatDrop, isNotableDrop } from '../state/accuracy-drop.js';
import { accuracyDropTitle, QUALITY_NOUNS, type AccuracyMetric } from '../state/quality-words.js';

export function AccuracyDropBadge({
  points,
  metric = 'accuracy',
  title = accuracyDropTitle(metric),
}: {
  points: number | undefined;
  /** Which accuracy lost the points: against labels, or a language model's next-token accuracy. */
  metric?: AccuracyMetric;
  /** What the drop is measured on and by which evaluation (a pipeline's says; Compare's table has a Data column). */
  title?: string;
}) {
  if (!isNotableDrop(points)) return null;
  return (
    <span className="badge badge-drop" data-testid="accuracy-drop" title={title}>
      {formatDrop(points, QUALITY_NOUNS[metric])}
    </span>
  );
}
