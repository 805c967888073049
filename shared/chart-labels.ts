/**
 * Chart text laid out without a browser: how wide a line is, a caption wrapped at spaces, and a category name
 * (a variant's) in the room a chart has for it. The report's SVG is written in Node, where no font can be
 * measured, and the app's charts do not measure either (reading a width forces a layout per label on every
 * redraw); both lay names out here, so a name reads the same in the app and the report. A leaf of `shared/`.
 *
 * The width estimate is per character class, from DejaVu Sans (the widest of the fonts `system-ui` falls back
 * to: Segoe UI, San Francisco and Cantarell are narrower), so text laid out by it fits in every browser.
 */

/** Widths in ems of DejaVu Sans, rounded up per class of character. */
function charEm(c: string): number {
  if (c === ' ') return 0.32;
  if (/[0-9]/.test(c)) return 0.64;
  if (/[mwMW@%]/.test(c)) return 0.98;
  if (/[A-Z]/.test(c)) return 0.72;
  if (/[iljtf.,:;'!|()[\]]/.test(c)) return 0.4;
  if (/[a-z]/.test(c)) return 0.62;
  // ×, –, …, arrows and anything else: as wide as a capital.
  return 0.8;
}

/** The width in px of `text` at `fontPx`, an estimate never much below the real one. */
export function textWidth(text: string, fontPx: number): number {
  let em = 0;
  for (const c of text) em += charEm(c);
  return em * fontPx;
}

/**
 * `text` broken at spaces into lines of at most `maxPx`: a long caption wraps under the chart's title instead of
 * running off its right edge. A single word longer than a line gets a line of its own, or with `breakWords` is
 * cut into lines that fit (a path or a hash in an image's heading, which nothing can scroll).
 */
export function wrapText(text: string, maxPx: number, fontPx: number, breakWords = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (!line || textWidth(next, fontPx) <= maxPx) {
      line = next;
    } else {
      lines.push(line);
      line = word;
    }
    if (!breakWords) continue;
    while (textWidth(line, fontPx) > maxPx && [...line].length > 1) {
      const chars = [...line];
      let n = chars.length - 1;
      while (n > 1 && textWidth(chars.slice(0, n).join(''), fontPx) > maxPx) n--;
      lines.push(chars.slice(0, n).join(''));
      line = chars.slice(n).join('');
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** `text` whole where it fits in `maxPx`, else cut at its end, "…" last (at least one character kept). */
export function fitLine(text: string, maxPx: number, fontPx: number): string {
  if (textWidth(text, fontPx) <= maxPx) return text;
  const chars = [...text];
  let n = chars.length;
  while (n > 1 && textWidth(`${chars.slice(0, n).join('').trimEnd()}…`, fontPx) > maxPx) n--;
  return `${chars.slice(0, n).join('').trimEnd()}…`;
}

/**
 * A category name (a variant's, on the left of a bar) in lines of at most `maxPx`: whole on one line when it
 * fits, else broken at spaces onto up to `maxLines` lines. A name that needs more keeps its start and its end,
 * with "…" for the words between, at a space: names that differ only at the end (`tuned: int8-static percentile`
 * and `… (2)`) stay apart. A word is never cut in the middle into two half-words ("structured 10%…g pruned)"); only
 * a single word wider than a line is cut, at its end. The whole name belongs in a tooltip beside it.
 */
export function labelLines(label: string, maxPx: number, fontPx: number, maxLines = 2): string[] {
  if (textWidth(label, fontPx) <= maxPx) return [label];
  const fit = (line: string) => fitLine(line, maxPx, fontPx);
  const lines = wrapText(label, maxPx, fontPx);
  if (lines.length <= maxLines) return lines.map(fit);
  // The first lines as wrapped, and on the last as many of the name's last words as fit after "…".
  const head = lines.slice(0, maxLines - 1).map(fit);
  const words = label.split(' ');
  const used = head.length > 0 ? head.join(' ').split(' ').length : 0;
  let tail: string[] = [];
  for (let i = words.length - 1; i >= used; i--) {
    const next = [words[i]!, ...tail];
    if (textWidth(`… ${next.join(' ')}`, fontPx) > maxPx) break;
    tail = next;
  }
  const last = tail.length > 0 ? `… ${tail.join(' ')}` : fitLine(words.slice(used).join(' '), maxPx, fontPx);
  return [...head, last];
}
