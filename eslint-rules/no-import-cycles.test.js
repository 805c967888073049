// The cycle finder of the local lint rule, on a made-up tree and on this repository.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findImportCycles } from './no-import-cycles.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'import-cycles-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(rel, text) {
  const file = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('findImportCycles', () => {
  it('finds a type-only cycle, a three-file cycle through export-from and a self import, and nothing else', () => {
    write('shared/leaf.ts', 'export type Leaf = number;\n');
    write(
      'shared/a.ts',
      "import type { Leaf } from './leaf.js';\nimport type { B } from './b.js';\nexport type A = Leaf | B;\n",
    );
    write('shared/b.ts', "import type { A } from './a.js';\nexport type B = { a: A };\n");
    write('electron/x.ts', "import { y } from './y/index.js';\nexport const x = 1 + y;\n");
    write('electron/y/index.ts', "export { z as y } from '../z.js';\n");
    write('electron/z.ts', "import { x } from './x.js';\nexport const z = 2;\nexport const w = () => x;\n");
    write('renderer/src/self.tsx', "import './self.js';\nexport const s = 1;\n");
    write(
      'renderer/src/ok.tsx',
      "import { x } from '../../electron/x.js';\nimport 'react';\nexport const ok = x;\n",
    );
    const cycles = findImportCycles(tmp);
    const byFile = Object.fromEntries(cycles.map((c) => [c.file, c]));
    expect(Object.keys(byFile).sort()).toEqual(
      [
        'electron/x.ts',
        'electron/y/index.ts',
        'electron/z.ts',
        'renderer/src/self.tsx',
        'shared/a.ts',
        'shared/b.ts',
      ].sort(),
    );
    expect(byFile['shared/a.ts']).toMatchObject({
      line: 2,
      specifier: './b.js',
      cycle: ['shared/a.ts', 'shared/b.ts', 'shared/a.ts'],
    });
    expect(byFile['electron/z.ts']?.cycle).toEqual([
      'electron/z.ts',
      'electron/x.ts',
      'electron/y/index.ts',
      'electron/z.ts',
    ]);
    expect(byFile['renderer/src/self.tsx']?.cycle).toEqual([
      'renderer/src/self.tsx',
      'renderer/src/self.tsx',
    ]);
  });

  it('sees an edit that breaks the cycle', () => {
    write('shared/b.ts', "import type { Leaf } from './leaf.js';\nexport type B = { a: Leaf };\n");
    // A later mtime, even on file systems with coarse timestamps.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(tmp, 'shared/b.ts'), later, later);
    expect(findImportCycles(tmp).map((c) => c.file)).not.toContain('shared/a.ts');
  });

  it('finds no cycle in this repository', () => {
    const cycles = findImportCycles(repoRoot);
    expect(cycles.map((c) => c.cycle.join(' -> '))).toEqual([]);
  });
});
