/**
 * A measured accuracy loss, loud enough to see beside the variant (one-shot pruning without fine-tuning can
 * cost tens of points): Compare's table and the Optimize view's pipelines show it the same way.
 */
import { formatDrop, isNotableDrop } from '../state/accuracy-drop.js';

export function AccuracyDropBadge({
  points,
  title = 'Accuracy lost against the original, both measured on the same labelled data',
}: {
  points: number | undefined;
  /** What the drop is measured on and by which evaluation (a pipeline's says; Compare's table has a Data column). */
  title?: string;
}) {
  if (!isNotableDrop(points)) return null;
  return (
    <span className="badge badge-drop" data-testid="accuracy-drop" title={title}>
      {formatDrop(points)}
    </span>
  );
}
