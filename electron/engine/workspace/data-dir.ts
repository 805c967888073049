import os from 'node:os';
import path from 'node:path';

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

/** The workspaces folder and the recent-models file inside a data folder. */
export function dataPaths(dataDir: string): { workspaces: string; recent: string } {
  return { workspaces: path.join(dataDir, 'workspaces'), recent: path.join(dataDir, 'recent.json') };
}
