/**
 * What the measurement scripts in e2e/scripts share: a real `onnx-studio serve` on a free port, Chromium
 * launched the way the tests launch it, and the page's long tasks (main-thread work over 50 ms, from the
 * Long Tasks API).
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { ModelProto } from 'onnx-buf';
import { saveModel } from '../../electron/engine/onnx/save-model.js';
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

/** A whole-number command-line option (`--runs 3`), or `fallback` when absent. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a whole number above 0`);
  return value;
}

/** A string command-line option (`--profile DIR`), or undefined when absent. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * A temporary folder with `home/FILE` holding `model` (serve's home, so the in-page file browser opens there)
 * and room for serve's data folder beside it. Remove `work` when done.
 */
export async function modelHome(prefix: string, fileName: string, model: ModelProto) {
  const work = await mkdtemp(join(tmpdir(), prefix));
  const home = join(work, 'home');
  await mkdir(home);
  const modelPath = join(home, fileName);
  await saveModel(model, modelPath);
  return { work, home, modelPath, fileBytes: (await stat(modelPath)).size };
}
