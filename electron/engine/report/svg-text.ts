/**
 * How wide a line of chart text is, without a browser: the report's SVG is written in Node, where no font can be
 * measured, and a text past the SVG's width is cut off at its edge (the latency chart lost the end of its
 * "(measured 2.35)" notes and of its caption). The estimate is per character class, from DejaVu Sans (the
 * widest of the fonts `system-ui` falls back to: Segoe UI, San Francisco and Cantarell are narrower), so text
 * laid out by it fits in every browser.
 */

/** Widths in ems of DejaVu Sans, rounded up per class of character. */
function charEm(c: string): number {
  if (c === ' ') return 0.32;
  if (/[0-9]/.test(c)) return 0.64;
  if (/[mwMW@%]/.test(c)) return 0.98;
  if (/[A-Z]/.test(c)) return 0.72;
  if (/[iljtf.,:;'!|()[\]]/.test(c)) return 0.4;
  if (/[a-z]/.test(c)) return 0.62;
  // ×, ×, –, …, arrows and anything else: as wide as a capital.
  return 0.8;
}

/** The width in px of `text` at `fontPx`, an estimate never much below the real one. */
export function textWidth(text: string, fontPx: number): number {
  let em = 0;
  for (const c of text) em += charEm(c);
  return em * fontPx;
}

/**
 * `text` broken at spaces into lines of at most `maxPx` (a single word longer than that gets a line of its own):
 * a long caption wraps under the chart's title instead of running off its right edge.
 */
export function wrapText(text: string, maxPx: number, fontPx: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, fontPx) > maxPx) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}
