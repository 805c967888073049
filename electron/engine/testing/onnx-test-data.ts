import fs from 'node:fs';
import path from 'node:path';

/** Where Debian's libonnx-testdata puts ONNX's backend test models (CI installs it). */
export const ONNX_TESTDATA = '/usr/share/libonnx-testdata/data';

/** Every .onnx file under `dir` (default: ONNX's test data), sorted; none when it is missing. */
export function onnxFilesUnder(dir: string = ONNX_TESTDATA): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...onnxFilesUnder(full));
    else if (entry.name.endsWith('.onnx')) out.push(full);
  }
  return out.sort();
}
