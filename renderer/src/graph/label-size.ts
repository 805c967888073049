/**
 * How big node labels are drawn, and how they are cut to their box (pure, tested without a canvas).
 *
 * Labels are laid out for a 12-unit font, so zoomed out they shrink with the boxes: after Fit on a 24-node
 * conv net (scale 0.36 to 0.5) they were 4-6 px, there but unreadable. Below natural size they are drawn at
 * least MIN_LABEL_PX on screen instead, and what no longer fits its box ends in an ellipsis ("BatchNormali…"),
 * as Netron and file managers do, rather than squeezed sideways.
 */

/** The font size labels are laid out for, in graph units. */
export const LABEL_FONT_UNITS = 12;
/** The smallest label on screen, in CSS pixels: small print, still read without zooming ("Conv" fits a box 72 units wide at LABEL_SCALE). */
export const MIN_LABEL_PX = 8;
/** Room between a label and its box's left edge at natural size, in graph units. */
const LABEL_PAD_UNITS = 8;
/** The least of that room on screen, in CSS pixels, once zoomed out. */
const MIN_PAD_PX = 2;

/**
 * Room on each side of a label, in graph units: 8 while labels are drawn at their laid-out size; 2 px on screen
 * once they are enlarged, where every pixel of the box is needed for the label.
 */
export function labelPadUnits(scale: number): number {
  return labelFontUnits(scale) > LABEL_FONT_UNITS ? MIN_PAD_PX / scale : LABEL_PAD_UNITS;
}

/** The font size to draw labels at, in graph units, at this zoom. */
export function labelFontUnits(scale: number): number {
  return Math.max(LABEL_FONT_UNITS, MIN_LABEL_PX / scale);
}

/**
 * `text` cut to at most `maxWidth` (as `measure` counts), ending in "…" where it was cut; "" where not even one
 * character and the ellipsis fit. Binary search: labels are short, but a frame's is a whole tensor name.
 */
export function fitLabel(text: string, maxWidth: number, measure: (s: string) => number): string {
  if (measure(text) <= maxWidth) return text;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${chars.slice(0, mid).join('')}…`) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : `${chars.slice(0, lo).join('')}…`;
}
