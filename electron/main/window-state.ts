/**
 * Remembers the main window's size, position and maximized state between runs (`window-state.json` in the
 * user data folder, written atomically). Restored bounds are checked against the displays now attached, so
 * a window last seen on an unplugged monitor opens on a visible one instead of off-screen.
 *
 * No Electron imports: main.ts passes the window and the displays' work areas in, so this runs under Node.
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../engine/onnx/atomic-files.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

/** The part of BrowserWindow used here. */
export interface StatefulWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isDestroyed(): boolean;
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown;
}

/** At least this much of the window (px) must lie on a display for saved bounds to be used. */
const MIN_VISIBLE = { width: 120, height: 60 };

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

function isRect(value: unknown): value is Rect {
  const r = value as Rect;
  return (
    typeof value === 'object' &&
    value !== null &&
    [r.x, r.y, r.width, r.height].every((n) => Number.isFinite(n))
  );
}

/**
 * The bounds to open with: the saved ones when enough of them is on an attached display (shrunk to fit it),
 * otherwise just the default size (the OS centres the window).
 */
export function boundsToRestore(
  saved: Rect | undefined,
  workAreas: readonly Rect[],
  defaults: { width: number; height: number },
): Partial<Rect> & { width: number; height: number } {
  if (!saved) return { ...defaults };
  for (const area of workAreas) {
    const o = overlap(saved, area);
    if (o.width >= MIN_VISIBLE.width && o.height >= MIN_VISIBLE.height) {
      return {
        x: saved.x,
        y: saved.y,
        width: Math.max(200, Math.min(saved.width, area.width)),
        height: Math.max(150, Math.min(saved.height, area.height)),
      };
    }
  }
  return { width: Math.min(saved.width, defaults.width), height: Math.min(saved.height, defaults.height) };
}

export async function loadWindowState(file: string): Promise<WindowState | undefined> {
  try {
    const json = JSON.parse(await fs.promises.readFile(file, 'utf8')) as Partial<WindowState>;
    if (!isRect(json.bounds)) return undefined;
    return { bounds: json.bounds, maximized: json.maximized === true };
  } catch {
    return undefined;
  }
}

/** Saves the window's state whenever it settles after a move or resize, and when it closes. */
export function trackWindowState(window: StatefulWindow, file: string, debounceMs = 400): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    if (window.isDestroyed()) return;
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    void writeFileAtomic(file, JSON.stringify(state)).catch(() => undefined);
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, debounceMs);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) window.on(event, later);
  window.on('close', save);
}
