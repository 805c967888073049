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
  /** Whether `destination` is an existing folder (the user picked where, but named no file). */
  isFolder?: boolean;
  overwrite?: boolean;
  replaceOriginal?: boolean;
  /** Compares two paths as the file system does (case-insensitive ones, links). Default: exact equality. */
  sameFile?: (a: string, b: string) => boolean;
}

export type ExportCheck =
  | { kind: 'write' }
  | { kind: 'ask'; reason: 'original' | 'exists' }
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
  if (input.exists && !input.overwrite && !input.replaceOriginal) return { kind: 'ask', reason: 'exists' };
  return { kind: 'write' };
}
