/**
 * Where the graph canvas starts, and the zoom bounds it keeps to (pure, so it is tested without a DOM).
 *
 * A graph that fits the canvas with its nodes still visible as boxes is shown whole. A deep one is not: a
 * transformer export or a 2,000-layer MLP fitted whole is a one-pixel line at the smallest zoom. It opens
 * instead at its top, where the inputs are, at a size whose labels can be read; Fit still shows all of it.
 */

export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 4;
/** Below this scale node labels are not drawn (too small to read). */
export const LABEL_SCALE = 0.45;
/** Below this scale a whole-graph view shows nodes of a few pixels: the graph opens at its top instead. */
export const OVERVIEW_SCALE = 0.15;
/** Margin around the graph, in graph units. */
const MARGIN = 20;

interface SceneBox {
  width: number;
  height: number;
  nodes: readonly { x: number; y: number; width: number; height: number }[];
}

/** The whole scene, centred, as large as fits (within the zoom bounds). */
export function fitView(scene: SceneBox, width: number, height: number): View {
  const scale = Math.min(
    MAX_SCALE,
    Math.max(MIN_SCALE, Math.min(width / (scene.width + 2 * MARGIN), height / (scene.height + 2 * MARGIN))),
  );
  return {
    scale,
    tx: (width - scene.width * scale) / 2,
    ty: Math.max(MARGIN * scale, (height - scene.height * scale) / 2),
  };
}

/** The first view of a scene, and whether it shows all of it. */
export function openingView(scene: SceneBox, width: number, height: number): { view: View; whole: boolean } {
  const fitted = fitView(scene, width, height);
  if (fitted.scale >= OVERVIEW_SCALE || scene.nodes.length === 0) return { view: fitted, whole: true };
  // As wide as fits, but never below legible nor above natural size.
  const scale = Math.min(1, Math.max(LABEL_SCALE, width / (scene.width + 2 * MARGIN)));
  // Horizontally: the whole width when it fits, else centred on the topmost row of nodes (the inputs).
  let top = Infinity;
  for (const n of scene.nodes) top = Math.min(top, n.y);
  let centre = scene.width / 2;
  if (scene.width * scale > width - 2 * MARGIN * scale) {
    let sum = 0;
    let count = 0;
    for (const n of scene.nodes) {
      if (n.y > top + 1) continue;
      sum += n.x + n.width / 2;
      count++;
    }
    centre = sum / count;
  }
  return {
    view: { scale, tx: width / 2 - centre * scale, ty: (MARGIN - Math.min(0, top)) * scale },
    whole: false,
  };
}
