import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * onnx/ is the layer every command and task builds on (loading, saving, output checks): it reads nothing from the
 * areas built on it (tune/, jobs/, quantize/, ...), only from itself, errors.ts and shared/. The check of a
 * destination folder that output-folder.ts shares with tune lives here (unwritable-folder.ts) for that reason.
 */
describe('the onnx/ layer', () => {
  it('imports no engine area built on it', () => {
    const dir = path.dirname(new URL(import.meta.url).pathname);
    const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const above = sources.flatMap((file) =>
      [...fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)]
        .map((m) => m[1]!)
        .filter((from) => from !== '../errors.js' && !from.startsWith('../../../shared/'))
        .map((from) => `${file}: ${from}`),
    );
    expect(above).toEqual([]);
  });
});
