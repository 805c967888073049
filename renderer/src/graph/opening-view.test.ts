import { describe, expect, it } from 'vitest';
import { LABEL_SCALE, OVERVIEW_SCALE, fitView, openingView } from './opening-view.js';

/** A vertical chain of `count` nodes 120 wide and 40 high, 60 apart, centred at x = 100. */
function chain(count: number) {
  const nodes = Array.from({ length: count }, (_, i) => ({ x: 40, y: i * 60, width: 120, height: 40 }));
  return { width: 200, height: count * 60, nodes };
}

describe('opening view of the graph canvas', () => {
  it('shows a graph whole when it fits with its nodes still visible', () => {
    const scene = chain(20);
    const { view, whole } = openingView(scene, 800, 600);
    expect(whole).toBe(true);
    expect(view).toEqual(fitView(scene, 800, 600));
    expect(view.scale).toBeGreaterThanOrEqual(OVERVIEW_SCALE);
  });

  it('opens a deep graph at its top at a legible size, centred on the inputs', () => {
    const scene = chain(20_000);
    expect(fitView(scene, 800, 600).scale).toBeLessThan(OVERVIEW_SCALE);
    const { view, whole } = openingView(scene, 800, 600);
    expect(whole).toBe(false);
    expect(view.scale).toBeGreaterThanOrEqual(LABEL_SCALE);
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
