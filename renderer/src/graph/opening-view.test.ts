import { describe, expect, it } from 'vitest';
import { LABEL_SCALE, READABLE_SCALE, fitView, openingView } from './opening-view.js';

/** A vertical chain of `count` nodes 120 wide and 40 high, 60 apart, centred at x = 100. */
function chain(count: number) {
  const nodes = Array.from({ length: count }, (_, i) => ({ x: 40, y: i * 60, width: 120, height: 40 }));
  return { width: 200, height: count * 60, nodes };
}

describe('opening view of the graph canvas', () => {
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
