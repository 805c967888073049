/**
 * Telling chart colours apart, measured rather than eyeballed: CIELAB distance (ΔE 1976) between two
 * colours and a colour's chroma (how far from grey it is). The app's series palettes (renderer styles.css)
 * and the HTML report's palette are tested with these: every category gets a colour no other category
 * has, and the "other" bucket's grey is a grey no category is mistaken for. Pure.
 */

/** `#rgb` or `#rrggbb` to [r, g, b] in 0..255; throws on anything else. */
export function parseHex(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) throw new Error(`not a #rgb or #rrggbb colour: ${hex}`);
  const h = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

/** sRGB (D65) to CIELAB [L, a, b]. */
export function toLab(hex: string): [number, number, number] {
  const linear = parseHex(hex).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const [r, g, b] = linear;
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const [fx, fy, fz] = [f(x), f(y), f(z)];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** ΔE 1976: about 2 is a just-noticeable difference; two series need far more (we ask for 20). */
export function colorDistance(a: string, b: string): number {
  const [l1, a1, b1] = toLab(a);
  const [l2, a2, b2] = toLab(b);
  return Math.hypot(l1 - l2, a1 - a2, b1 - b2);
}

/** How coloured a colour is (0 for a grey). */
export function chroma(hex: string): number {
  const [, a, b] = toLab(hex);
  return Math.hypot(a, b);
}

/** The smallest distance between any two colours of the list, with the pair (for a test's message). */
export function closestPair(colors: readonly string[]): { distance: number; pair: [string, string] } {
  let best = { distance: Infinity, pair: ['', ''] as [string, string] };
  for (let i = 0; i < colors.length; i++)
    for (let j = i + 1; j < colors.length; j++) {
      const d = colorDistance(colors[i]!, colors[j]!);
      if (d < best.distance) best = { distance: d, pair: [colors[i]!, colors[j]!] };
    }
  return best;
}

/** Two series colours must differ at least this much (ΔE 1976). */
export const MIN_SERIES_DISTANCE = 20;
/** A category colour must have at least this chroma, so that it never reads as the "other" grey. */
export const MIN_SERIES_CHROMA = 30;

/**
 * The series palettes, one colour per category (variant, op type, dtype), in the order they are handed out:
 * the original first. renderer/src/styles.css declares the same values as `--series-N` (palette.test.ts there
 * checks), and the HTML report draws with the light one. No grey among them: grey is the "other" bucket's.
 */
export const SERIES_LIGHT = [
  '#2457d6',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#7b3294',
  '#17a2b8',
  '#a0522d',
  '#7cb342',
  '#c2185b',
] as const;

export const SERIES_DARK = [
  '#7aa2ff',
  '#ff9a5a',
  '#3fd0a4',
  '#f0a3cf',
  '#ffc94d',
  '#c39bff',
  '#4dd9ec',
  '#b07848',
  '#a5d65a',
  '#ff6b8b',
] as const;

/** The "other" bucket (op types without a colour of their own): a neutral grey (`--series-other`). */
export const OTHER_LIGHT = '#9aa0a6';
export const OTHER_DARK = '#8a8f96';
