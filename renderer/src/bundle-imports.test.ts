/**
 * The page's bundle must not pull zod (and the schemas) in: shared modules that define zod schemas may be
 * imported by the renderer for their types only. This reads every renderer source file and checks its
 * value imports from shared/ against the modules that are safe at runtime.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;
const SHARED = join(SRC, '../../shared');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Shared modules whose runtime imports include zod. */
function zodModules(): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync(SHARED)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    const text = readFileSync(join(SHARED, name), 'utf8');
    if (/^import\s+(?!type\b)[^;]*from\s+'zod'/m.test(text)) out.add(name.replace(/\.ts$/, '.js'));
  }
  return out;
}

describe('renderer bundle', () => {
  it('imports zod-based shared modules for types only', () => {
    const forbidden = zodModules();
    expect(forbidden.has('ipc-contract.js')).toBe(true);
    const offenders: string[] = [];
    for (const file of files(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^import\s+(type\s+)?[\s\S]*?from\s+'([^']+)';/gm)) {
        const [, typeOnly, source] = match;
        if (typeOnly || !source?.includes('/shared/')) continue;
        const module = source.split('/').pop() ?? '';
        if (forbidden.has(module)) offenders.push(`${relative(SRC, file)} imports ${module} at runtime`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
