import { describe, expect, it } from 'vitest';
import {
  FIT_MAX_SCALE,
  LABEL_SCALE,
  READABLE_SCALE,
  fitView,
  fitsReadable,
  openingView,
  resizedView,
  viewShowing,
} from './opening-view.js';

/** A vertical chain of `count` nodes 120 wide and 40 high, 60 apart, centred at x = 100. */
function chain(count: number) {
  const nodes = Array.from({ length: count }, (_, i) => ({ x: 40, y: i * 60, width: 120, height: 40 }));
  return { width: 200, height: count * 60, nodes };
}

describe('opening view of the graph canvas', () => {
  it('fits a small graph at no more than FIT_MAX_SCALE: four nodes are not blown up to fill the canvas', () => {
    const view = fitView(chain(4), 870, 625);
    expect(view.scale).toBe(FIT_MAX_SCALE);
    // Still centred.
    expect(view.tx).toBeCloseTo((870 - 200 * FIT_MAX_SCALE) / 2, 9);
  });

  it('shows a graph whole when it fits at a readable size', () => {
    const scene = chain(6);
    const { view, whole } = openingView(scene, 800, 600);
    expect(whole).toBe(true);
    expect(view).toEqual(fitView(scene, 800, 600));
    expect(view.scale).toBeGreaterThanOrEqual(READABLE_SCALE);
  });

  it('opens a small but tall graph at its inputs with readable labels rather than fitting it unlabelled', () => {
    // 20 nodes: fitted whole at 800x600 or 870x625 (the 1440x900 window's canvas), every label is under
    // LABEL_SCALE or barely above it (the review's conv net, a column of bare coloured bars).
    const scene = chain(20);
    for (const [w, h] of [
      [480, 300],
      [800, 600],
      [870, 625],
    ] as const) {
      expect(fitView(scene, w, h).scale).toBeLessThan(READABLE_SCALE);
      const { view, whole } = openingView(scene, w, h);
      expect(whole).toBe(false);
      expect(view.scale).toBeGreaterThanOrEqual(READABLE_SCALE);
      expect(view.scale).toBeGreaterThan(LABEL_SCALE);
      // The top node is in view, and the chain is centred.
      expect(view.ty).toBeGreaterThan(0);
      expect(view.ty + 40 * view.scale).toBeLessThan(h);
      expect(view.tx + 100 * view.scale).toBeCloseTo(w / 2);
    }
  });

  it('says whether a graph fits readable at the canvas size it has now, for the note after a resize', () => {
    const scene = chain(20);
    expect(fitsReadable(scene, 800, 600)).toBe(false);
    // The window made taller: the same graph now fits whole at a readable size.
    expect(fitsReadable(scene, 800, 2000)).toBe(true);
    expect(fitsReadable(scene, 800, 2000)).toBe(openingView(scene, 800, 2000).whole);
    expect(fitsReadable({ width: 0, height: 0, nodes: [] }, 10, 10)).toBe(true);
  });

  it('opens a deep graph at its top at a legible size, centred on the inputs', () => {
    const scene = chain(20_000);
    expect(fitView(scene, 800, 600).scale).toBeLessThan(LABEL_SCALE);
    const { view, whole } = openingView(scene, 800, 600);
    expect(whole).toBe(false);
    expect(view.scale).toBeGreaterThanOrEqual(READABLE_SCALE);
    expect(view.scale).toBeLessThanOrEqual(1);
    // The first node's top is just below the canvas top, and the chain runs down the middle.
    expect(view.ty + 0 * view.scale).toBeGreaterThan(0);
    expect(view.ty).toBeLessThan(50);
    expect(view.tx + 100 * view.scale).toBeCloseTo(400);
  });

  it('centres a deep and wide graph on its top row rather than on its middle', () => {
    // Inputs at the far left; the rest of the graph spreads far to the right.
    const nodes = [
      { x: 0, y: 0, width: 100, height: 40 },
      ...Array.from({ length: 5000 }, (_, i) => ({ x: 4000, y: 60 + i * 60, width: 100, height: 40 })),
    ];
    const { view, whole } = openingView({ width: 5000, height: 60 * 5001, nodes }, 800, 600);
    expect(whole).toBe(false);
    expect(view.tx + 50 * view.scale).toBeCloseTo(400);
  });
});

describe('the view when the canvas is resized', () => {
  // A node centred on an 870x625 canvas at scale 1.5 (as search and the table's links leave it).
  const node = { x: 300, y: 900, width: 100, height: 30 };
  const centred = { scale: 1.5, tx: 435 - 350 * 1.5, ty: 312.5 - 915 * 1.5 };
  const onScreen = (v: { scale: number; tx: number; ty: number }, w: number, h: number) => {
    const [x, y] = [node.x * v.scale + v.tx, node.y * v.scale + v.ty];
    return x >= 0 && y >= 0 && x + node.width * v.scale <= w && y + node.height * v.scale <= h;
  };

  it('keeps what was in the middle in the middle, so a node centred before is still on screen', () => {
    // 1440x900 down to 800x600: the canvas shrinks to 480x400; kept at the same offset, the node was off it.
    expect(onScreen(centred, 480, 400)).toBe(false);
    const after = resizedView(centred, { width: 870, height: 625 }, { width: 480, height: 400 });
    expect(after.scale).toBe(1.5);
    expect(node.x * 1.5 + after.tx + (node.width * 1.5) / 2).toBeCloseTo(240);
    expect(node.y * 1.5 + after.ty + (node.height * 1.5) / 2).toBeCloseTo(200);
    expect(onScreen(after, 480, 400)).toBe(true);
  });

  it('pans the least that brings a box into view, and not at all when it is in view', () => {
    expect(viewShowing(centred, node, 870, 625)).toEqual(centred);
    const shown = viewShowing(centred, node, 300, 200);
    expect(onScreen(shown, 300, 200)).toBe(true);
    expect(shown.scale).toBe(1.5);
    // Off to the right and below: it ends 16 px from the right and bottom edges.
    expect(node.x * 1.5 + shown.tx + node.width * 1.5).toBeCloseTo(300 - 16);
    expect(node.y * 1.5 + shown.ty + node.height * 1.5).toBeCloseTo(200 - 16);
  });
});
