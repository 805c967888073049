/** `1 node`, `3 nodes`, `2 samples`: a count with its noun, for messages and notes. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
