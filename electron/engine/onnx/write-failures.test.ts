import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { fillDiskAfter, fsError, readOnlyFolder } from '../testing/fs-faults.js';
import { buildDeepMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { writeFailure, writeFileAtomic } from './atomic-files.js';
import { makeOutputFolder, removeCreatedFolder } from './output-folder.js';
import { saveModel } from './save-model.js';

/*
 * Writing outputs where the file system refuses: the refusal is the destination's (IO, exit 2, saying what to
 * do), never an internal error, and nothing half-written is left behind.
 */

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-write-failures-');
});
afterEach(() => tmp.cleanup());

describe('writeFailure', () => {
  it('says what each refusal of the file system means, naming the file', () => {
    const cases: [code: string, message: string][] = [
      ['ENOSPC', 'The disk is full while writing /o/m.onnx. Free some space and retry.'],
      ['EDQUOT', 'The disk is full while writing /o/m.onnx. Free some space and retry.'],
      ['EROFS', 'Cannot write /o/m.onnx: the file system is read-only. Choose a folder you can write to.'],
      ['EACCES', 'Permission denied writing /o/m.onnx. Choose a folder you can write to.'],
      ['EPERM', 'Permission denied writing /o/m.onnx. Choose a folder you can write to.'],
      ['ENOTDIR', 'Cannot write /o/m.onnx (ENOTDIR: open failed). Choose a folder you can write to.'],
    ];
    for (const [code, message] of cases) {
      const mapped = writeFailure(fsError(code, 'open', '/o/.m.onnx.1.tmp'), '/o/m.onnx');
      expect(mapped, code).toBeInstanceOf(StudioError);
      expect(mapped, code).toMatchObject({ code: 'IO', message });
    }
  });

  it('passes on StudioErrors and anything that is not a file-system error', () => {
    const cancelled = new StudioError('CANCELLED', 'Saving was cancelled.');
    expect(writeFailure(cancelled, '/o/m.onnx')).toBe(cancelled);
    const bug = new TypeError('x is undefined');
    expect(writeFailure(bug, '/o/m.onnx')).toBe(bug);
  });

  it('writeFileAtomic: a read-only folder is an IO error and leaves no temporary file', async () => {
    const target = path.join(tmp.dir, 'r.json');
    const restore = readOnlyFolder(tmp.dir);
    try {
      await expect(writeFileAtomic(target, '{}')).rejects.toMatchObject({
        code: 'IO',
        message: `Cannot write ${target}: the file system is read-only. Choose a folder you can write to.`,
      });
    } finally {
      restore();
    }
    expect(fs.readdirSync(tmp.dir)).toEqual([]);
  });
});

describe('saveModel and cancellation', () => {
  it('an abort from outside while it writes leaves nothing behind', async () => {
    const controller = new AbortController();
    // Fires at the event loop's next turn: saveModel must give it one before it commits the files.
    setImmediate(() => controller.abort());
    const output = path.join(tmp.dir, 'm.onnx');
    await expect(
      saveModel(buildDeepMlp({ layers: 4, width: 64 }), output, {
        externalData: { thresholdBytes: 1024 },
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fs.readdirSync(tmp.dir)).toEqual([]);
  });
});

describe('saveModel on a full disk', () => {
  /** Saves a model with external data on a disk with room for `room` bytes; what it threw. */
  async function saveWithRoom(dir: string, room: number): Promise<unknown> {
    fs.mkdirSync(dir);
    const disk = fillDiskAfter(room);
    try {
      await saveModel(buildDeepMlp({ layers: 4, width: 64 }), path.join(dir, 'm.onnx'), {
        externalData: { thresholdBytes: 1024 },
      });
    } catch (error) {
      return error;
    } finally {
      disk.restore();
    }
    return undefined;
  }

  it('names the file the disk filled up in: the data file, not the model, and leaves no temporary file', async () => {
    const measured = await saveModel(
      buildDeepMlp({ layers: 4, width: 64 }),
      path.join(tmp.dir, 'whole.onnx'),
      {
        externalData: { thresholdBytes: 1024 },
      },
    );
    // Room for the .onnx file and part of its data file.
    const dir = path.join(tmp.dir, 'data-full');
    const error = await saveWithRoom(dir, measured.outputBytes + 1000);
    expect(error).toBeInstanceOf(StudioError);
    expect(error).toMatchObject({
      code: 'IO',
      message: `The disk is full while writing ${path.join(dir, 'm.onnx.data')}. Free some space and retry.`,
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('names the model file when the disk fills up while the model file is written', async () => {
    const dir = path.join(tmp.dir, 'model-full');
    expect(await saveWithRoom(dir, 100)).toMatchObject({
      code: 'IO',
      message: `The disk is full while writing ${path.join(dir, 'm.onnx')}. Free some space and retry.`,
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('makeOutputFolder', () => {
  it('says a read-only parent is read-only (not the ENOENT a recursive mkdir reports)', async () => {
    const restore = readOnlyFolder(tmp.dir);
    const out = path.join(tmp.dir, 'x', 'y');
    try {
      await expect(makeOutputFolder(out, '--out')).rejects.toMatchObject({
        code: 'IO',
        message: `Cannot create --out ${out}: ${tmp.dir} is on a read-only file system. Choose another folder.`,
      });
    } finally {
      restore();
    }
    expect(fs.readdirSync(tmp.dir)).toEqual([]);
  });

  it('says permission denied when the parent cannot be written to', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: the refusal is simulated instead of made with chmod.
      const realAccess = fs.accessSync;
      const realMkdir = fs.promises.mkdir;
      fs.accessSync = (() => {
        throw fsError('EACCES', 'access', tmp.dir);
      }) as typeof fs.accessSync;
      fs.promises.mkdir = (() => Promise.reject(fsError('ENOENT', 'mkdir'))) as typeof fs.promises.mkdir;
      try {
        await expect(makeOutputFolder(path.join(tmp.dir, 'x', 'y'), '--out')).rejects.toMatchObject({
          message: expect.stringContaining(`: permission denied in ${tmp.dir}. Choose another folder.`),
        });
      } finally {
        fs.accessSync = realAccess;
        fs.promises.mkdir = realMkdir;
      }
      return;
    }
    fs.chmodSync(tmp.dir, 0o555);
    try {
      await expect(makeOutputFolder(path.join(tmp.dir, 'x', 'y'), '--out')).rejects.toMatchObject({
        code: 'IO',
        message: expect.stringContaining(`: permission denied in ${tmp.dir}. Choose another folder.`),
      });
    } finally {
      fs.chmodSync(tmp.dir, 0o755);
    }
  });

  it('returns the topmost folder it created; removeCreatedFolder removes only what it created, while empty', async () => {
    const out = path.join(tmp.dir, 'a', 'b', 'c');
    const created = await makeOutputFolder(out, '--out');
    expect(created).toBe(path.join(tmp.dir, 'a'));
    expect(await makeOutputFolder(out, '--out')).toBeUndefined();
    removeCreatedFolder(out, created);
    expect(fs.readdirSync(tmp.dir)).toEqual([]);

    // A folder holding a file (a finished step's model) stays, and so do its parents.
    const again = await makeOutputFolder(out, '--out');
    fs.writeFileSync(path.join(out, 'kept.onnx'), '');
    removeCreatedFolder(out, again);
    expect(fs.existsSync(path.join(out, 'kept.onnx'))).toBe(true);

    // A folder that existed before is never removed.
    fs.rmSync(path.join(out, 'kept.onnx'));
    removeCreatedFolder(out, undefined);
    expect(fs.existsSync(out)).toBe(true);
  });
});
