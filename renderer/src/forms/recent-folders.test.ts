import { describe, expect, it } from 'vitest';
import {
  browserStartFolders,
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

describe('browserStartFolders', () => {
  it('opens in the folder used last, a recent model’s too, before the home folder (user test: it opened at /root)', () => {
    // A page that never chose a folder in the browser: the host's recent model is the folder used last.
    expect(browserStartFolders({ recent: ['/tmp/ut/fx'], home: '/root' })).toEqual(['/tmp/ut/fx', '/root']);
    expect(browserStartFolders({ recent: ['/data', '/tmp/ut/fx'], home: '/root' })[0]).toBe('/data');
    expect(browserStartFolders({ recent: [], home: '/root' })).toEqual(['/root']);
  });

  it('prefers the place the field names, then the open model’s folder, each with the next places after it', () => {
    expect(
      browserStartFolders({ start: '/data', modelFolder: '/models', recent: ['/x'], home: '/h' }),
    ).toEqual(['/data', '/models', '/h']);
    expect(browserStartFolders({ modelFolder: '/models', recent: ['/x'], home: '/h' })).toEqual([
      '/models',
      '/h',
    ]);
  });
});
