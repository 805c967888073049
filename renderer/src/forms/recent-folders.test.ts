import { describe, expect, it } from 'vitest';
import { MAX_RECENT_FOLDERS, withRecentFolder } from './recent-folders.js';

describe('withRecentFolder', () => {
  it('puts the folder first, once, and keeps at most the maximum', () => {
    expect(withRecentFolder(['/a', '/b'], '/b')).toEqual(['/b', '/a']);
    expect(withRecentFolder(['/a'], '/c')).toEqual(['/c', '/a']);
    const many = Array.from({ length: 10 }, (_, i) => `/f${i}`);
    const next = withRecentFolder(many, '/new');
    expect(next).toHaveLength(MAX_RECENT_FOLDERS);
    expect(next[0]).toBe('/new');
  });
});
