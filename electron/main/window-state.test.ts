import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../engine/testing/temp-dir.js';
import { boundsToRestore, loadWindowState, trackWindowState, type Rect } from './window-state.js';

const screen: Rect = { x: 0, y: 0, width: 1920, height: 1080 };
const defaults = { width: 1280, height: 820 };

describe('window state', () => {
  it('restores saved bounds that are on an attached display', () => {
    expect(boundsToRestore({ x: 100, y: 80, width: 1000, height: 700 }, [screen], defaults)).toEqual({
      x: 100,
      y: 80,
      width: 1000,
      height: 700,
    });
  });

  it('falls back to the default size when the saved display is gone', () => {
    const onUnplugged = { x: 2500, y: 100, width: 1000, height: 700 };
    expect(boundsToRestore(onUnplugged, [screen], defaults)).toEqual({ width: 1000, height: 700 });
    expect(boundsToRestore(undefined, [screen], defaults)).toEqual(defaults);
  });

  it('shrinks a window larger than the display it is on', () => {
    expect(boundsToRestore({ x: 0, y: 0, width: 4000, height: 3000 }, [screen], defaults)).toMatchObject({
      width: 1920,
      height: 1080,
    });
  });

  it('saves the state when the window settles and when it closes, and reads it back', async () => {
    const tmp = makeTempDir();
    try {
      const file = path.join(tmp.dir, 'window-state.json');
      const win = Object.assign(new EventEmitter(), {
        getNormalBounds: () => ({ x: 10, y: 20, width: 800, height: 600 }),
        isMaximized: () => true,
        isDestroyed: () => false,
      });
      trackWindowState(win, file, 10);
      win.emit('resize');
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await loadWindowState(file)).toEqual({
        bounds: { x: 10, y: 20, width: 800, height: 600 },
        maximized: true,
      });
      fs.writeFileSync(file, 'garbage');
      expect(await loadWindowState(file)).toBeUndefined();
    } finally {
      tmp.cleanup();
    }
  });
});
