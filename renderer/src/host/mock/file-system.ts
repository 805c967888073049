/**
 * The mock host's files and dialogs: a small made-up folder tree for the in-page file browser (`serve`, with a
 * root home of dot files only), native dialogs that "choose" fixed paths (refused under `serve`), dropped files'
 * paths, and uploads (under `serve` only).
 */
import type { Result } from '../../../../shared/errors.js';
import type { FsEntry, FsListing } from '../../../../shared/ipc-contract.js';
import type { StudioHost } from '../studio-host.js';
import { fail, ok } from './answers.js';
import type { MockState } from './state.js';

const FOLDERS: Record<string, FsEntry[]> = {
  '/': [
    { name: 'models', path: '/models', kind: 'folder' },
    { name: 'data', path: '/data', kind: 'folder' },
  ],
  '/models': [
    { name: 'broken.onnx', path: '/models/broken.onnx', kind: 'file', bytes: 1024 },
    { name: 'mobilenet-v2.onnx', path: '/models/mobilenet-v2.onnx', kind: 'file', bytes: 13_964_571 },
    { name: 'notes.txt', path: '/models/notes.txt', kind: 'file', bytes: 12 },
  ],
  '/data': [
    { name: 'calib.npy', path: '/data/calib.npy', kind: 'file', bytes: 602_240 },
    { name: 'images', path: '/data/images', kind: 'folder' },
  ],
  '/data/images': [],
  // A home folder as a new user of `serve` running as root sees it: nothing but dot folders and dot files.
  '/root': [
    { name: '.cache', path: '/root/.cache', kind: 'folder', hidden: true },
    { name: '.config', path: '/root/.config', kind: 'folder', hidden: true },
    { name: '.npm', path: '/root/.npm', kind: 'folder', hidden: true },
    { name: '.bashrc', path: '/root/.bashrc', kind: 'file', bytes: 3106, hidden: true },
  ],
  '/root/.cache': [],
  '/root/.config': [],
  '/root/.npm': [],
};

function parentPath(path: string): string | null {
  if (path === '/') return null;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function mockFileSystemMethods(
  state: MockState,
): Pick<
  StudioHost,
  'openModelDialog' | 'openPathDialog' | 'savePathDialog' | 'listFolder' | 'getPathForFile' | 'uploadFile'
> {
  const { serve, dialogPath } = state;
  return {
    openModelDialog: async () =>
      serve
        ? fail({ code: 'BAD_REQUEST', message: 'No native dialogs in a browser: use the file browser.' })
        : ok(dialogPath),
    openPathDialog: async (r) => ok(r.kind === 'folder' ? '/data/images' : '/data/calib.npy'),
    savePathDialog: async (r) => ok(r.defaultPath ?? '/models/exported.onnx'),
    listFolder: async (path): Promise<Result<FsListing>> => {
      const entries = FOLDERS[path];
      if (!entries)
        return fail({
          code: 'IO',
          message: `${path} is not a folder that can be read. Choose another folder.`,
        });
      return ok({ path, parent: parentPath(path), entries });
    },
    getPathForFile: (file) => (serve ? null : `/dropped/${file.name}`),
    ...(serve
      ? { uploadFile: async (file: File) => ok({ path: `/uploads/${file.name}`, bytes: file.size }) }
      : {}),
  };
}
