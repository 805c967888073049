import { describe, expect, it } from 'vitest';
import { worstTop1Agreement } from './tune-runner.js';

describe("a trial's top-1 agreement from eval's fidelity", () => {
  it('takes the worst output’s, and says when it is a share of positions (per-token scores)', () => {
    // A user test: tune's note said "17.2% of the samples" where eval had counted 64 positions of 4 samples.
    expect(
      worstTop1Agreement([
        { top1Agreement: 0.9 },
        { top1Agreement: 0.828, top1Positions: 64 },
        { top1Agreement: null },
      ]),
    ).toEqual({ top1Agreement: 0.828, top1PerPosition: true });
    expect(worstTop1Agreement([{ top1Agreement: 0.75 }, { top1Agreement: 0.9, top1Positions: 64 }])).toEqual({
      top1Agreement: 0.75,
    });
    expect(worstTop1Agreement([{ top1Agreement: null }])).toEqual({});
  });
});
