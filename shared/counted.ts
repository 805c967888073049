/** `1 node`, `3 nodes`, `2 samples`: a count with its noun, for messages and notes. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `original, fp16 and int4`: names joined for a sentence. */
export function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`;
}

/** A share as a sentence says it: `10%`, `2.5%` (one decimal at most, none when it is 0). */
export function shareText(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`;
}
