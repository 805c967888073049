/**
 * A wide table's sideways scroller that shows it scrolls: at 800 px the Compare table's right-hand columns
 * lie outside its card, and a plain `overflow-x: auto` box looks like the whole table (most scrollbars only show
 * while scrolling). While more lies to the right, the clipped edge fades out and a hint above says so (a button:
 * a mouse without a sideways wheel scrolls with it too); none of it shows when everything fits. The cues are
 * attributes on the wrapper (`data-more-right`, `data-more-left`) so CSS draws them and tests read them.
 */
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface OverflowCues {
  /** The content is wider than the box. */
  overflows: boolean;
  /** Columns lie to the right of the visible part. */
  moreRight: boolean;
  /** Columns lie to the left (scrolled). */
  moreLeft: boolean;
}

/** Rounding slack: zoomed pages report fractional widths and never quite reach the end. */
const SLACK_PX = 2;

export function overflowCues(box: {
  scrollLeft: number;
  scrollWidth: number;
  clientWidth: number;
}): OverflowCues {
  const hidden = box.scrollWidth - box.clientWidth;
  const overflows = hidden > SLACK_PX;
  return {
    overflows,
    moreRight: overflows && box.scrollLeft < hidden - SLACK_PX,
    moreLeft: overflows && box.scrollLeft > SLACK_PX,
  };
}

const FITS: OverflowCues = { overflows: false, moreRight: false, moreLeft: false };

export function HorizontalScroll({
  label,
  testId,
  children,
}: {
  /** Names the scrolling region for screen readers and keyboard users (it takes focus when it scrolls). */
  label: string;
  testId?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [cues, setCues] = useState<OverflowCues>(FITS);

  useLayoutEffect(() => {
    const box = ref.current;
    if (!box) return;
    const update = () => {
      // The fade stops above a classic scrollbar, which it would otherwise dim.
      box.parentElement?.style.setProperty('--hscroll-bar', `${box.offsetHeight - box.clientHeight}px`);
      setCues((was) => {
        const now = overflowCues(box);
        return was.overflows === now.overflows &&
          was.moreRight === now.moreRight &&
          was.moreLeft === now.moreLeft
          ? was
          : now;
      });
    };
    update();
    box.addEventListener('scroll', update, { passive: true });
    // The box narrows with the window; the table widens as figures and tags arrive.
    const resized = new ResizeObserver(update);
    resized.observe(box);
    for (const child of box.children) resized.observe(child);
    return () => {
      box.removeEventListener('scroll', update);
      resized.disconnect();
    };
  }, []);

  const scrollOn = () => {
    const box = ref.current;
    if (!box) return;
    // Most of a box's width at a time, so a column cut at the edge is whole after the step.
    box.scrollBy({ left: cues.moreRight ? box.clientWidth * 0.8 : -box.scrollWidth, behavior: 'smooth' });
  };

  return (
    <div
      className="hscroll"
      data-overflows={cues.overflows}
      data-more-right={cues.moreRight}
      data-more-left={cues.moreLeft}
    >
      {cues.overflows && (
        <div className="hscroll-hint-row">
          <button
            type="button"
            className="hscroll-hint"
            onClick={scrollOn}
            {...(testId ? { 'data-testid': `${testId}-hint` } : {})}
          >
            {cues.moreRight ? 'Scroll for more columns →' : '← Back to the first columns'}
          </button>
        </div>
      )}
      <div className="hscroll-frame">
        <div
          ref={ref}
          className="hscroll-box"
          role="region"
          aria-label={label}
          {...(cues.overflows ? { tabIndex: 0 } : {})}
          {...(testId ? { 'data-testid': testId } : {})}
        >
          {children}
        </div>
        <div className="hscroll-fade" aria-hidden="true" />
      </div>
    </div>
  );
}
