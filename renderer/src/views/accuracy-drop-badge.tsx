/**
 * A measured accuracy loss, loud enough to see beside the variant (one-shot pruning without fine-tuning can
 * cost tens of points): Compare's table and the Optimize view's pipelines show it the same way.
 */
import { formatDrop, isNotableDrop } from '../state/accuracy-drop.js';

export function AccuracyDropBadge({ points }: { points: number | undefined }) {
  if (!isNotableDrop(points)) return null;
  return (
    <span
      className="badge badge-drop"
      data-testid="accuracy-drop"
      title="Accuracy lost against the original, both measured on the same labelled data"
    >
      {formatDrop(points)}
    </span>
  );
}
