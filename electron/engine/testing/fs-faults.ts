import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/*
 * File-system failures for tests, without mounting anything: a disk that fills up and a folder on a read-only
 * file system. Each wraps the `node:fs` functions the engine's writers call (they read them off the module at
 * each call, so the wrapper is what they get) and returns the function that puts the real ones back.
 */

const MESSAGES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  ENOENT: 'no such file or directory',
};

/** An error as Node's fs functions throw it (code, errno, syscall, path). */
export function fsError(code: string, syscall: string, file?: string): NodeJS.ErrnoException {
  const text = `${code}: ${MESSAGES[code] ?? code}, ${syscall}${file === undefined ? '' : ` '${file}'`}`;
  const error = new Error(text) as NodeJS.ErrnoException;
  error.code = code;
  error.errno = -((os.constants.errno as Record<string, number>)[code] ?? 1);
  error.syscall = syscall;
  if (file !== undefined) error.path = file;
  return error;
}

/**
 * A disk with room for `bytes` more bytes written with fs.writeSync (what saveModel and the streamed weights'
 * scratch file use): writes go through until the room is spent (the last one short, as on a real disk), then
 * every write throws ENOSPC. `written()`: the bytes written so far (with Infinity room, what a run writes).
 */
export function fillDiskAfter(bytes: number): { restore: () => void; written: () => number } {
  const real = fs.writeSync;
  let left = bytes;
  let written = 0;
  const limited = (fd: number, data: unknown, ...rest: unknown[]): number => {
    const call = real as (...args: unknown[]) => number;
    if (typeof data === 'string') {
      const size = Buffer.byteLength(data);
      if (size > left) throw fsError('ENOSPC', 'write');
      left -= size;
      written += size;
      return call(fd, data, ...rest);
    }
    const view = data as ArrayBufferView;
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : view.byteLength - offset;
    if (length > 0 && left === 0) throw fsError('ENOSPC', 'write');
    const allowed = Math.min(length, left);
    const n = call(fd, view, offset, allowed, rest[2] ?? null);
    left -= n;
    written += n;
    return n;
  };
  fs.writeSync = limited as typeof fs.writeSync;
  return {
    restore: () => {
      fs.writeSync = real;
    },
    written: () => written,
  };
}

const WRITE_FLAGS = /[wa+]/;

/**
 * Makes `dir` (an existing folder) behave as on a read-only file system: creating or opening for writing
 * anything in it or below it fails with EROFS, and so does asking whether it can be written to. A recursive
 * mkdir of a missing folder below it fails with ENOENT, as Node's does there. Returns the undo.
 */
export function readOnlyFolder(dir: string): () => void {
  const root = path.resolve(dir);
  const inside = (file: fs.PathLike): boolean => {
    const at = path.resolve(String(file));
    return at === root || at.startsWith(root + path.sep);
  };
  const real = {
    openSync: fs.openSync,
    mkdirSync: fs.mkdirSync,
    accessSync: fs.accessSync,
    writeFile: fs.promises.writeFile,
    mkdir: fs.promises.mkdir,
  };
  fs.openSync = ((file: fs.PathLike, flags: fs.OpenMode = 'r', mode?: fs.Mode) => {
    if (inside(file) && typeof flags === 'string' && WRITE_FLAGS.test(flags))
      throw fsError('EROFS', 'open', String(file));
    return real.openSync(file, flags, mode);
  }) as typeof fs.openSync;
  fs.mkdirSync = ((file: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
    if (inside(file)) throw fsError(options?.recursive ? 'ENOENT' : 'EROFS', 'mkdir', String(file));
    return real.mkdirSync(file, options);
  }) as typeof fs.mkdirSync;
  fs.accessSync = ((file: fs.PathLike, mode?: number) => {
    if (inside(file) && mode !== undefined && (mode & fs.constants.W_OK) !== 0)
      throw fsError('EROFS', 'access', String(file));
    return real.accessSync(file, mode);
  }) as typeof fs.accessSync;
  fs.promises.writeFile = ((file: fs.PathLike, ...rest: unknown[]) => {
    if (inside(file)) return Promise.reject(fsError('EROFS', 'open', String(file)));
    return (real.writeFile as (...args: unknown[]) => Promise<void>)(file, ...rest);
  }) as typeof fs.promises.writeFile;
  fs.promises.mkdir = ((file: fs.PathLike, options?: fs.MakeDirectoryOptions) => {
    if (inside(file))
      return Promise.reject(fsError(options?.recursive ? 'ENOENT' : 'EROFS', 'mkdir', String(file)));
    return real.mkdir(file, options);
  }) as typeof fs.promises.mkdir;
  return () => {
    fs.openSync = real.openSync;
    fs.mkdirSync = real.mkdirSync;
    fs.accessSync = real.accessSync;
    fs.promises.writeFile = real.writeFile;
    fs.promises.mkdir = real.mkdir;
  };
}
