import { describe, expect, it } from 'vitest';
import { sameFile, sameFileAs } from './same-file.js';

describe('variants that are the same file', () => {
  it('name the first variant with the same sha256, and leave that one and the others unmarked', () => {
    const variants = [
      { id: 'v-1', sha256: 'aaa' },
      { id: 'v-2', sha256: 'bbb' },
      { id: 'v-3', sha256: 'aaa' },
      { id: 'v-4', sha256: 'aaa' },
    ];
    const same = sameFileAs(variants);
    expect(same.get('v-3')?.id).toBe('v-1');
    expect(same.get('v-4')?.id).toBe('v-1');
    expect(same.has('v-1')).toBe(false);
    expect(same.has('v-2')).toBe(false);
  });

  it('match nothing for variants without a recorded sha256 (an older workspace)', () => {
    expect(sameFileAs([{ id: 'v-1' }, { id: 'v-2' }, { id: 'v-3', sha256: undefined }]).size).toBe(0);
  });

  it('count two variants without a sha256 as unknown, never as the same file', () => {
    expect(sameFile({ id: 'a', sha256: 'x' }, { id: 'b', sha256: 'x' })).toBe(true);
    expect(sameFile({ id: 'a', sha256: 'x' }, { id: 'b', sha256: 'y' })).toBe(false);
    expect(sameFile({ id: 'a' }, { id: 'b' })).toBe(false);
  });
});
