/**
 * What the measurement scripts in e2e/scripts share: a real `onnx-studio serve` on a free port, Chromium
 * launched the way the tests launch it, and the page's long tasks (main-thread work over 50 ms, from the
 * Long Tasks API).
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Starts serve (built in out/electron) on a free port; `env` adds to the process's environment. */
export async function startServe(dataDir: string, env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['bin/onnx-studio.js', 'serve', '--port', '0', '--data-dir', dataDir, '--json'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  const lines = createInterface({ input: child.stdout });
  let text = '';
  const url = await new Promise<string>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    lines.on('line', (line) => {
      text += `${line}\n`;
      try {
        done((JSON.parse(text) as { url: string }).url);
      } catch {
        // The JSON is not complete yet.
      }
    });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** Records the page's long tasks from its first script on; `takeLongTasks` reads and clears them. */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
}

export async function takeLongTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] };
    const out = w.__longTasks.slice();
    w.__longTasks.length = 0;
    return out;
  });
}

export function summarizeTasks(tasks: number[]) {
  return { count: tasks.length, longestMs: tasks.length > 0 ? Math.round(Math.max(...tasks)) : 0 };
}

/** Starts the page's CPU profiler when `dir` is given; `stop(phase)` writes what it recorded. */
export async function phaseProfiler(page: Page, dir: string | undefined) {
  if (!dir) return { start: async () => {}, stop: async (_phase: string) => {} };
  await mkdir(dir, { recursive: true });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  return {
    start: async () => {
      await cdp.send('Profiler.start');
    },
    stop: async (phase: string) => {
      const { profile } = await cdp.send('Profiler.stop');
      await writeFile(join(dir, `${phase}.cpuprofile`), JSON.stringify(profile));
    },
  };
}
