/**
 * What a command says when it was asked for more samples than its data holds (`--samples 500` on 50): it uses
 * them all and says so, in these words, rather than measuring fewer than asked in silence.
 */
export function samplesAskedNote(asked: number, available: number): string | undefined {
  if (available >= asked) return undefined;
  return `${asked} samples asked, the data has ${available}: all ${available} used.`;
}
