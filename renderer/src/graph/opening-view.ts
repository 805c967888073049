/**
 * Where the graph canvas starts, and the zoom bounds it keeps to (pure, so it is tested without a DOM).
 *
 * A graph is opened so that its labels can be read, as Netron does: one that fits the canvas at a readable
 * size is shown whole. Any other is not shrunk to fit: a 20-node conv net fitted whole is a column of
 * unlabelled coloured bars, and a transformer export or a 2,000-layer MLP a one-pixel line. It opens
 * instead at its top, where the inputs are, at a readable size, to be panned and zoomed; Fit still shows
 * all of it.
 */

export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 4;
/**
 * Below this scale node labels are not drawn: boxes are under 10 px high, too low for a label of
 * MIN_LABEL_PX (label-size.ts; from here to natural size labels are drawn at least that large, and cut to
 * their box). Fit on a 27-node conv net chain at 1440x900 lands at 0.36, just above.
 */
export const LABEL_SCALE = 0.35;
/**
 * The smallest scale a graph opens at: its 12-unit labels are 9 px, read without zooming. Between LABEL_SCALE
 * and this, labels are drawn (while zooming) but are a strain to read, so a first view never goes there.
 */
export const READABLE_SCALE = 0.75;
/**
 * The most Fit enlarges a graph: a 4-node model blown up to fill the canvas read as a poster (2x labels), and
 * the + button still zooms in to MAX_SCALE.
 */
export const FIT_MAX_SCALE = 1.25;
/** Margin around the graph, in graph units. */
const MARGIN = 20;

interface SceneBox {
  width: number;
  height: number;
  nodes: readonly { x: number; y: number; width: number; height: number }[];
}

/** The whole scene, centred, as large as fits (within the zoom bounds, and never above FIT_MAX_SCALE). */
export function fitView(scene: SceneBox, width: number, height: number): View {
  const scale = Math.min(
    FIT_MAX_SCALE,
    Math.max(MIN_SCALE, Math.min(width / (scene.width + 2 * MARGIN), height / (scene.height + 2 * MARGIN))),
  );
  return {
    scale,
    tx: (width - scene.width * scale) / 2,
    ty: Math.max(MARGIN * scale, (height - scene.height * scale) / 2),
  };
}

/** Whether the whole scene fits a canvas of this size at a readable scale. */
export function fitsReadable(scene: SceneBox, width: number, height: number): boolean {
  return scene.nodes.length === 0 || fitView(scene, width, height).scale >= READABLE_SCALE;
}

/** The first view of a scene, and whether it shows all of it. */
export function openingView(scene: SceneBox, width: number, height: number): { view: View; whole: boolean } {
  const fitted = fitView(scene, width, height);
  if (scene.nodes.length === 0 || fitted.scale >= READABLE_SCALE) return { view: fitted, whole: true };
  // As wide as fits, but never below readable nor above natural size.
  const scale = Math.min(1, Math.max(READABLE_SCALE, width / (scene.width + 2 * MARGIN)));
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

interface Size {
  width: number;
  height: number;
}

/** The view after the canvas was resized: what was at its middle stays at its middle, at the same zoom. */
export function resizedView(view: View, before: Size, after: Size): View {
  return {
    scale: view.scale,
    tx: view.tx + (after.width - before.width) / 2,
    ty: view.ty + (after.height - before.height) / 2,
  };
}

/** Screen pixels kept between a box brought into view and the canvas's edge. */
const SHOW_MARGIN = 16;

/**
 * The view panned the least that shows a box (in graph units) whole on the canvas, `view` itself when it does
 * already; a box larger than the canvas is shown from its top left.
 */
export function viewShowing(
  view: View,
  box: { x: number; y: number; width: number; height: number },
  width: number,
  height: number,
): View {
  const axis = (t: number, start: number, size: number, room: number) => {
    const a = start * view.scale + t;
    const b = a + size * view.scale;
    if (a < SHOW_MARGIN || b - a > room - 2 * SHOW_MARGIN) return t + SHOW_MARGIN - a;
    if (b > room - SHOW_MARGIN) return t - (b - (room - SHOW_MARGIN));
    return t;
  };
  return {
    scale: view.scale,
    tx: axis(view.tx, box.x, box.width, width),
    ty: axis(view.ty, box.y, box.height, height),
  };
}
