import { describe, expect, it } from 'vitest';
import { overflowCues } from './horizontal-scroll.js';

describe('the sideways scroller’s cues', () => {
  it('shows none when the table fits, give or take a rounding pixel', () => {
    const fits = { overflows: false, moreRight: false, moreLeft: false };
    expect(overflowCues({ scrollLeft: 0, scrollWidth: 700, clientWidth: 700 })).toEqual(fits);
    expect(overflowCues({ scrollLeft: 0, scrollWidth: 701, clientWidth: 700 })).toEqual(fits);
  });

  it('says more lies to the right until scrolled to the end, and to the left once scrolled', () => {
    // The Compare table at 800 px: about 1000 px of columns in a 730 px card.
    const box = { scrollWidth: 1000, clientWidth: 730 };
    expect(overflowCues({ ...box, scrollLeft: 0 })).toEqual({
      overflows: true,
      moreRight: true,
      moreLeft: false,
    });
    expect(overflowCues({ ...box, scrollLeft: 120 })).toEqual({
      overflows: true,
      moreRight: true,
      moreLeft: true,
    });
    // A zoomed page stops a fraction short of the end: that is the end.
    expect(overflowCues({ ...box, scrollLeft: 269.5 })).toEqual({
      overflows: true,
      moreRight: false,
      moreLeft: true,
    });
  });
});
