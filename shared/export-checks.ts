/**
 * What Export decides before it writes anything, the same in the backend and the mock host: refuse a path
 * that is not a .onnx file or is the variant itself, and ask (rather than write) before replacing the original
 * or an existing file.
 */
export interface ExportCheckInput {
  /** Where the user wants the variant written (absolute). */
  destination: string;
  /** The variant's own file. */
  variantPath: string;
  /** The workspace's original model. */
  modelPath: string;
  /** Whether a file already exists at `destination`. */
  exists: boolean;
  /**
   * The external data file the export writes beside `destination` (`DEST.onnx.data`), when the variant keeps its
   * weights in one, and whether a file is there already: replacing it loses that file as surely as the model's.
   */
  dataFile?: { path: string; exists: boolean };
  /** Whether `destination` is an existing folder (the user picked where, but named no file). */
  isFolder?: boolean;
  overwrite?: boolean;
  replaceOriginal?: boolean;
  /** Compares two paths as the file system does (case-insensitive ones, links). Default: exact equality. */
  sameFile?: (a: string, b: string) => boolean;
}

export type ExportCheck =
  | { kind: 'write' }
  /** `replaces`: the existing files the write would replace (the model's, its data file's), for the question. */
  | { kind: 'ask'; reason: 'original' | 'exists'; replaces?: string[] }
  | { kind: 'refuse'; message: string };

export function checkExport(input: ExportCheckInput): ExportCheck {
  const same = input.sameFile ?? ((a, b) => a === b);
  if (input.isFolder) {
    const sep = input.destination.includes('\\') && !input.destination.includes('/') ? '\\' : '/';
    const example = `${input.destination.replace(/[\\/]+$/, '')}${sep}model.onnx`;
    return {
      kind: 'refuse',
      message: `${input.destination} is a folder; add a file name ending in .onnx, such as ${example}.`,
    };
  }
  if (!input.destination.toLowerCase().endsWith('.onnx')) {
    return { kind: 'refuse', message: `${input.destination} does not end in .onnx. Choose a file name ending in .onnx.` };
  }
  if (same(input.variantPath, input.destination)) {
    return { kind: 'refuse', message: 'The destination is the variant itself. Choose another file to export to.' };
  }
  if (same(input.modelPath, input.destination) && !input.replaceOriginal) return { kind: 'ask', reason: 'original' };
  const replaces = [
    ...(input.exists ? [input.destination] : []),
    ...(input.dataFile?.exists ? [input.dataFile.path] : []),
  ];
  if (replaces.length > 0 && !input.overwrite && !input.replaceOriginal) return { kind: 'ask', reason: 'exists', replaces };
  return { kind: 'write' };
}

/**
 * The file name Export suggests for a variant: the model's stem and the variant's display name, as the engine
 * names its files (`bigcnn.onnx` + `structured 10% + int8-static` → `bigcnn-structured10-int8-static.onnx`, the
 * name its CLI command writes; `tuned: int8-static percentile per-tensor` →
 * `bigcnn-tuned-int8-static-percentile-per-tensor.onnx`). From the name, not the recipe: a tuned int8-static and
 * the plain one have one recipe, so both were suggested `bigcnn-int8-static.onnx` and one export replaced the
 * other. Names are unique in a workspace; two that still read alike as files (`a b`, `A-B`) are told apart by
 * their order in `names` (every variant's name): the later gets `-2`, `-3`...
 */
export function defaultExportFileName(modelPath: string, name: string, names: readonly string[]): string {
  const file = modelPath.slice(Math.max(modelPath.lastIndexOf('/'), modelPath.lastIndexOf('\\')) + 1);
  const stem = file.lastIndexOf('.') > 0 ? file.slice(0, file.lastIndexOf('.')) : file;
  const plain = [...new Set([...names, name])].map((n) => [n, nameSlug(n)] as const);
  const everySlug = new Set(plain.map(([, slug]) => slug));
  const taken = new Set<string>();
  for (const [n, slug] of plain) {
    let candidate = slug;
    for (let i = 2; taken.has(candidate) || (candidate !== slug && everySlug.has(candidate)); i++)
      candidate = `${slug}-${i}`;
    taken.add(candidate);
    if (n === name) return `${stem}-${candidate}.onnx`;
  }
  return `${stem}-${nameSlug(name)}.onnx`;
}

/**
 * A display name as part of a file name, lower case (case-insensitive file systems): `structured 10%` reads
 * `structured10` as the engine's step slug does (shared/variant-naming.ts), anything but letters and digits
 * becomes one `-`.
 */
function nameSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/\s*(\d+)%/g, '$1')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'variant';
}
