import os from 'node:os';
import path from 'node:path';
import { StudioError } from '../errors.js';

/** The product name; also the folder name Electron uses for the app's user data. */
export const APP_DIR_NAME = 'ONNX Studio';

/** Overrides the data folder for every host (tests, portable installs, several profiles). */
export const DATA_DIR_ENV = 'ONNX_STUDIO_DATA_DIR';

/**
 * Where workspaces and the recent list live: the same folder the desktop app uses as its user data folder
 * (Electron's `app.getPath('userData')` for the app name), so the app, `onnx-studio serve` and
 * `onnx-studio demo` see the same workspaces. `ONNX_STUDIO_DATA_DIR` overrides it.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const override = env[DATA_DIR_ENV];
  if (override) return path.resolve(override);
  const home = os.homedir();
  switch (platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_DIR_NAME);
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_DIR_NAME);
  }
}

/** The workspaces folder, the recent-models file and the job history inside a data folder. */
export function dataPaths(dataDir: string): { workspaces: string; recent: string; jobs: string } {
  return {
    workspaces: path.join(dataDir, 'workspaces'),
    recent: path.join(dataDir, 'recent.json'),
    jobs: path.join(dataDir, 'jobs.json'),
  };
}

/** What the file system said, as a reason in a sentence. */
const DATA_DIR_REASONS: Record<string, string> = {
  EROFS: 'its file system is read-only',
  EACCES: 'permission is denied',
  EPERM: 'permission is denied',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENOENT: 'a folder on its path is missing and cannot be made',
  ENOTDIR: 'a file stands where a folder of it should be',
  // mkdir's word for the same (a file where it would make a folder).
  EEXIST: 'a file stands where a folder of it should be',
};

/**
 * A failure to write the data folder (a workspace, a variant's folder, the recent list) as the user can act on
 * it: the folder named, why, and where to keep data instead. Before, a read-only data folder failed opening any
 * model with a bare "ENOENT … mkdir" shown as a bug. Errors that are not the file system's pass through.
 */
export function dataFolderFailure(error: unknown, folder: string): unknown {
  // writeFileAtomic words its refusals as an output's already; the file system's own error is their cause.
  const errno = (error instanceof StudioError ? error.cause : error) as NodeJS.ErrnoException | undefined;
  const reason = typeof errno?.code === 'string' ? DATA_DIR_REASONS[errno.code] : undefined;
  if (reason === undefined) return error;
  return new StudioError(
    'IO',
    `ONNX Studio cannot write its data folder ${folder}: ${reason}. Free some space or fix its permissions, or ` +
      `keep the data elsewhere: set ${DATA_DIR_ENV}=DIR (the app), or start onnx-studio serve with --data-dir DIR.`,
    { detail: errno?.message ?? String(error), cause: errno },
  );
}
