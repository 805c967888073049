/**
 * Where Export suggests writing by default. Beside the original, as a rule; but the bundled sample lives in
 * the app's own folder (electron/sample/…), which an installed app cannot write to, so for the sample the
 * suggestions go to the user's home folder instead.
 */
import type { AppInfo } from '../../../shared/ipc-contract.js';
import { baseName } from '../format.js';

/**
 * The path Export's suggestions are made beside: `modelPath` itself, or for the bundled sample the same file
 * name in the user's home folder (`/home/you/digits-resnet.onnx`, so its variant is suggested as
 * `/home/you/digits-resnet.int8-static.onnx`).
 */
export function exportBasePath(
  modelPath: string,
  appInfo: Pick<AppInfo, 'homeDir' | 'sample'> | null | undefined,
): string {
  const sample = appInfo?.sample?.modelPath;
  if (!appInfo?.homeDir || !sample || !sameFolder(modelPath, sample)) return modelPath;
  const home = appInfo.homeDir.replace(/[\\/]+$/, '');
  const sep = home.includes('\\') && !home.includes('/') ? '\\' : '/';
  return `${home}${sep}${baseName(modelPath)}`;
}

/** True when both paths are in one folder (the sample's folder holds its model and its data). */
function sameFolder(a: string, b: string): boolean {
  const folder = (p: string) => p.replace(/\\/g, '/').replace(/\/[^/]*$/, '');
  return folder(a) === folder(b);
}
