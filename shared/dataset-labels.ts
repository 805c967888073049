/**
 * True when the data certainly has no labels: synthetic data, or a .npy without a labels file (a .npz, a
 * .jsonl or an image folder may carry them inside). A module of its own, without zod, so the app's page can
 * import it (renderer/src/bundle-imports.test.ts); it takes any dataset spec (shared/dataset-spec.ts) by its
 * two fields, so the two modules import nothing of each other's but the re-export there.
 */
export function datasetLacksLabels(spec: { kind: string; labels?: unknown }): boolean {
  return spec.kind === 'synthetic' || (spec.kind === 'npy' && spec.labels === undefined);
}
