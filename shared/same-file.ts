/**
 * Variants that are the same file. Two Auto-optimize trials, or one recipe run twice, can write byte-identical
 * models; without a word Compare shows them as two models at two speeds (the spread of two runs). The engine
 * records each variant's sha256 (workspace.ts `WorkspaceVariant.sha256`); variants without one (workspaces from
 * before it was recorded) match nothing. A leaf of `shared/`: the page loads it.
 */

/** What matching needs of a variant: its id and the sha256 of its file, when recorded. */
export interface HashedVariant {
  id: string;
  sha256?: string | undefined;
}

/** Whether two variants are the same file: both recorded a sha256, and it is the same. */
export function sameFile(a: HashedVariant, b: HashedVariant): boolean {
  return a.sha256 !== undefined && a.sha256 === b.sha256;
}

/**
 * For each variant whose file an earlier one in `variants` already is, that earlier one (the first with the
 * same sha256), by the later one's id. The first of a group is not in the map: it is the one the others name
 * ("same file as int8-static").
 */
export function sameFileAs<V extends HashedVariant>(variants: readonly V[]): Map<string, V> {
  const firstByHash = new Map<string, V>();
  const same = new Map<string, V>();
  for (const v of variants) {
    if (v.sha256 === undefined) continue;
    const first = firstByHash.get(v.sha256);
    if (first) same.set(v.id, first);
    else firstByHash.set(v.sha256, v);
  }
  return same;
}
