import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDeepMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import {
  commitTempFiles,
  copyFileAtomic,
  removeTemporariesNow,
  tempPathFor,
  trackTemporary,
} from './atomic-files.js';
import { saveModel } from './save-model.js';

/*
 * A cancellation of a save, whatever stage it lands in, wins as long as it lands before the rename into place:
 * the save throws CANCELLED and leaves nothing (no temporary file, no output, an output it would replace
 * untouched). A user test's Ctrl+C while a 48 MB model was written (in one synchronous call) was ignored: the
 * save gave the event loop no turn in which the signal handler could run, and the one it gave at the end came
 * before the loop polled again.
 */

const MiB = 2 ** 20;
let tmp: ReturnType<typeof makeTempDir>;
const undo: (() => void)[] = [];
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-save-cancel-');
});
afterEach(() => {
  for (const restore of undo.splice(0).reverse()) restore();
  tmp.cleanup();
});

/** 4 x [1024, 1024] float weights: a 16 MiB model. */
const bigModel = () => buildDeepMlp({ layers: 4, width: 1024 });

/** Wraps fs.writeSync: `onWrite(fd, bytes)` runs after each write; the bytes written to each fd are counted. */
function watchWrites(onWrite: (fd: number, bytes: number) => void): Map<number, number> {
  const real = fs.writeSync as (...args: unknown[]) => number;
  const written = new Map<number, number>();
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    const n = real(fd, ...rest);
    written.set(fd, (written.get(fd) ?? 0) + n);
    onWrite(fd, n);
    return n;
  }) as typeof fs.writeSync;
  undo.push(() => (fs.writeSync = real as typeof fs.writeSync));
  return written;
}

/**
 * Aborts from outside, as a signal handler does: the message is there at once, but its handler runs only when
 * the event loop polls for I/O.
 */
function abortFromOutside(controller: AbortController): void {
  const { port1, port2 } = new MessageChannel();
  port1.once('message', () => {
    controller.abort();
    port1.close();
  });
  port2.postMessage(null);
}

const left = () => fs.readdirSync(tmp.dir).sort();

describe('saveModel, cancelled', () => {
  it('while it writes the model: the abort lands within a few MiB, not at the end, and nothing is left', async () => {
    const controller = new AbortController();
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    let afterAbortAsked = -1;
    const written = watchWrites((_fd, n) => {
      // A slow disk: 5 ms a MiB, the event loop blocked meanwhile, as a synchronous write blocks it.
      Atomics.wait(sleeper, 0, 0, (n / MiB) * 5);
      if (afterAbortAsked < 0) {
        afterAbortAsked = 0;
        abortFromOutside(controller);
      } else {
        afterAbortAsked += n;
      }
    });
    const output = path.join(tmp.dir, 'm.onnx');
    await expect(saveModel(bigModel(), output, { signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
      message: 'Saving was cancelled.',
    });
    // Written in one call per tensor (4 MiB each) and checked only at the end, all 16 MiB went out first.
    expect(afterAbortAsked).toBeLessThan(4 * MiB);
    expect([...written.values()].reduce((a, b) => a + b, 0)).toBeLessThan(8 * MiB);
    expect(left()).toEqual([]);
  });

  it('while it writes the external data file: nothing is left, neither file', async () => {
    const controller = new AbortController();
    const realOpen = fs.openSync;
    const dataFds = new Set<number>();
    fs.openSync = ((file: fs.PathLike, ...rest: unknown[]) => {
      const fd = (realOpen as (...args: unknown[]) => number)(file, ...rest);
      if (String(file).includes('.onnx.data.')) dataFds.add(fd);
      return fd;
    }) as typeof fs.openSync;
    undo.push(() => (fs.openSync = realOpen));
    watchWrites((fd) => {
      if (dataFds.has(fd)) controller.abort();
    });
    await expect(
      saveModel(bigModel(), path.join(tmp.dir, 'm.onnx'), {
        externalData: { thresholdBytes: 1024 },
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(dataFds.size).toBe(1);
    expect(left()).toEqual([]);
  });

  it('during the last fsync, just before the rename: the cancellation still wins', async () => {
    const controller = new AbortController();
    const realFsync = fs.fsync;
    fs.fsync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) =>
      realFsync(fd, (error) => {
        abortFromOutside(controller);
        callback(error);
      })) as typeof fs.fsync;
    undo.push(() => (fs.fsync = realFsync));
    await expect(
      saveModel(buildDeepMlp({ layers: 2, width: 64 }), path.join(tmp.dir, 'm.onnx'), {
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(left()).toEqual([]);
  });

  it('an output it would replace (--force) stays as it was', async () => {
    const output = path.join(tmp.dir, 'm.onnx');
    fs.writeFileSync(output, 'the earlier model');
    const controller = new AbortController();
    watchWrites(() => controller.abort());
    await expect(
      saveModel(bigModel(), output, { force: true, signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(left()).toEqual(['m.onnx']);
    expect(fs.readFileSync(output, 'utf8')).toBe('the earlier model');
  });

  it('not cancelled, it writes the same bytes a slice at a time', async () => {
    const output = path.join(tmp.dir, 'm.onnx');
    const signal = new AbortController().signal;
    const sliced = await saveModel(bigModel(), output, { signal });
    const whole = await saveModel(bigModel(), path.join(tmp.dir, 'n.onnx'));
    expect(sliced.outputBytes).toBe(whole.outputBytes);
    expect(fs.readFileSync(output).equals(fs.readFileSync(path.join(tmp.dir, 'n.onnx')))).toBe(true);
  });
});

describe('copyFileAtomic, cancelled', () => {
  it('an abort that lands while it copies wins: no temp file, no target, with the message given', async () => {
    const source = path.join(tmp.dir, 'a.onnx');
    fs.writeFileSync(source, 'model bytes');
    const controller = new AbortController();
    const realCopy = fs.promises.copyFile;
    fs.promises.copyFile = (async (...args: Parameters<typeof realCopy>) => {
      await realCopy(...args);
      abortFromOutside(controller);
    }) as typeof realCopy;
    undo.push(() => (fs.promises.copyFile = realCopy));
    await expect(
      copyFileAtomic(source, path.join(tmp.dir, 'b.onnx'), {
        replace: false,
        signal: controller.signal,
        cancelled: 'Exporting was cancelled.',
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED', message: 'Exporting was cancelled.' });
    expect(left()).toEqual(['a.onnx']);
  });
});

describe('copyFileAtomic, with progress (as the app exports a variant)', () => {
  it('copies a chunk at a time, saying how far it is, and returns the bytes copied', async () => {
    const source = path.join(tmp.dir, 'a.onnx');
    fs.writeFileSync(source, Buffer.alloc(3 * MiB + 5, 7));
    const seen: [number, number][] = [];
    const bytes = await copyFileAtomic(source, path.join(tmp.dir, 'b.onnx'), {
      replace: false,
      onProgress: (copied, total) => seen.push([copied, total]),
    });
    expect(bytes).toBe(3 * MiB + 5);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual([3 * MiB + 5, 3 * MiB + 5]);
    expect(fs.readFileSync(path.join(tmp.dir, 'b.onnx')).equals(fs.readFileSync(source))).toBe(true);
    expect(left()).toEqual(['a.onnx', 'b.onnx']);
  });

  it('an abort while it copies stops it between chunks: no temp file, no target, with the message given', async () => {
    const source = path.join(tmp.dir, 'a.onnx');
    fs.writeFileSync(source, Buffer.alloc(8 * MiB, 7));
    const controller = new AbortController();
    let reports = 0;
    await expect(
      copyFileAtomic(source, path.join(tmp.dir, 'b.onnx'), {
        replace: false,
        signal: controller.signal,
        cancelled: 'Export was cancelled; nothing was written.',
        onProgress: (copied) => {
          reports++;
          if (copied >= MiB) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED', message: 'Export was cancelled; nothing was written.' });
    // Stopped soon after the abort, not at the end of the 8 MiB.
    expect(reports).toBeLessThan((8 * MiB) / (64 * 1024));
    expect(left()).toEqual(['a.onnx']);
  });
});

describe('removeTemporariesNow (an exit that cannot wait)', () => {
  it('removes the temp files and tracked folders still there, never a file already renamed into place', () => {
    const stale = tempPathFor(path.join(tmp.dir, 'x.onnx'));
    fs.writeFileSync(stale, 'half');
    const done = tempPathFor(path.join(tmp.dir, 'y.onnx'));
    fs.writeFileSync(done, 'whole');
    commitTempFiles([[done, path.join(tmp.dir, 'y.onnx')]], { replace: false });
    const folder = path.join(tmp.dir, 'workspace');
    fs.mkdirSync(path.join(folder, 'variants'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'variants', 'v.onnx'), 'v');
    trackTemporary(folder);
    const kept = path.join(tmp.dir, 'kept');
    fs.mkdirSync(kept);
    trackTemporary(kept)();
    removeTemporariesNow();
    expect(left()).toEqual(['kept', 'y.onnx']);
    expect(fs.readFileSync(path.join(tmp.dir, 'y.onnx'), 'utf8')).toBe('whole');
  });
});
