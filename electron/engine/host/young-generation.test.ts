import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const policy = new URL('./young-generation.ts', import.meta.url).href;

/**
 * The young generation's size (MiB) in a fresh process before and after it builds 400,000 small objects
 * that all survive. (tsx has grown it somewhat before the policy is imported, so "before" is not 1 MiB.)
 */
function youngGeneration(withPolicy: boolean): { before: number; after: number } {
  const script = `
    ${withPolicy ? `await import(${JSON.stringify(policy)});` : ''}
    const v8 = await import('node:v8');
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
    const before = young();
    const kept = [];
    for (let i = 0; i < 400000; i++) kept.push({ a: i, b: [i], c: 'x' + i });
    console.log(JSON.stringify({ before, after: young(), kept: kept.length }));`;
  const r = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { before: number; after: number };
}

describe('young-generation policy', () => {
  it('keeps the young generation from growing while objects survive', () => {
    const without = youngGeneration(false);
    expect(without.after).toBeGreaterThanOrEqual(4 * without.before);
    const held = youngGeneration(true);
    expect(held.after).toBeLessThanOrEqual(held.before);
  });

  it('is the first import of every process entry that runs the engine', () => {
    const entries = [
      '../../cli/bin.ts',
      './engine-process.ts',
      '../jobs/task-process.ts',
      '../../scripts/bench-io.ts',
    ];
    for (const entry of entries) {
      const source = fs.readFileSync(fileURLToPath(new URL(entry, import.meta.url)), 'utf8');
      const firstImport = /^import .*$/m.exec(source)?.[0];
      expect(firstImport, entry).toMatch(/^import '.*\/young-generation\.js';$/);
    }
  });
});
