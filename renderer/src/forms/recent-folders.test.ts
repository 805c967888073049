import { describe, expect, it } from 'vitest';
import {
  displayFolder,
  MAX_RECENT_FOLDERS,
  recentFolderChoices,
  withRecentFolder,
} from './recent-folders.js';

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

describe('recentFolderChoices', () => {
  it('offers the folders chosen in the browser, then those of recently opened models, once each', () => {
    expect(recentFolderChoices(['/data', '/models'], ['/models', '/home/me/nets'])).toEqual([
      '/data',
      '/models',
      '/home/me/nets',
    ]);
    // A new user who opened a model by dropping it still gets its folder.
    expect(recentFolderChoices([], ['/home/me/nets'])).toEqual(['/home/me/nets']);
    const many = Array.from({ length: 10 }, (_, i) => `/f${i}`);
    expect(recentFolderChoices(many, ['/other'])).toHaveLength(MAX_RECENT_FOLDERS);
  });
});

describe('displayFolder', () => {
  it('shortens folders under home to ~, and leaves the rest (and a home of /) as they are', () => {
    expect(displayFolder('/root/models/v2', '/root')).toBe('~/models/v2');
    expect(displayFolder('/root', '/root')).toBe('~');
    expect(displayFolder('/rootless', '/root')).toBe('/rootless');
    expect(displayFolder('/models', '/')).toBe('/models');
    expect(displayFolder('/models', undefined)).toBe('/models');
  });
});
