/**
 * Made-up numbers that are the same on every run (a hash-like sha256, seeded pseudo-random draws), so the
 * mock's figures, screenshots and assertions are stable.
 */

/** A made-up sha256 (64 hex digits) that is the same for the same value: FNV-1a of its JSON, repeated. */
export function mockSha256(value: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(value)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(8);
}

/** Deterministic pseudo-random numbers, so screenshots and assertions are stable. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Standard normal draw (Box-Muller). */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
