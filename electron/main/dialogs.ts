/**
 * Native file dialogs: the contract methods only a desktop host can answer. Each dialog is parented to the
 * window that asked, so it is modal to it (a sheet on macOS).
 */
import {
  BrowserWindow,
  dialog,
  type IpcMainInvokeEvent,
  type OpenDialogOptions,
  type SaveDialogOptions,
} from 'electron';
import { IPC_CHANNELS } from '../../shared/ipc-contract.js';
import type { HostHandlers } from '../engine/jobs/studio-backend.js';

const ONNX_FILTERS = [
  { name: 'ONNX models', extensions: ['onnx'] },
  { name: 'All files', extensions: ['*'] },
];

function parentOf(context: unknown): BrowserWindow | null {
  const sender = (context as IpcMainInvokeEvent | undefined)?.sender;
  return sender ? BrowserWindow.fromWebContents(sender) : null;
}

async function showOpen(context: unknown, options: OpenDialogOptions): Promise<string | null> {
  const parent = parentOf(context);
  const choice = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return choice.canceled ? null : (choice.filePaths[0] ?? null);
}

export function dialogHandlers(): HostHandlers {
  return {
    [IPC_CHANNELS.modelOpenDialog]: (_request, context) =>
      showOpen(context, { title: 'Open ONNX model', properties: ['openFile'], filters: ONNX_FILTERS }),
    [IPC_CHANNELS.dialogOpenPath]: (request, context) =>
      showOpen(context, {
        ...(request.title ? { title: request.title } : {}),
        properties: [request.kind === 'folder' ? 'openDirectory' : 'openFile'],
        ...(request.filters ? { filters: request.filters } : {}),
      }),
    [IPC_CHANNELS.dialogSavePath]: async (request, context) => {
      const options: SaveDialogOptions = {
        ...(request.title ? { title: request.title } : {}),
        ...(request.defaultPath ? { defaultPath: request.defaultPath } : {}),
        filters: request.filters ?? ONNX_FILTERS,
        // The renderer asks before replacing a file (an export job answers `written: false` first).
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const parent = parentOf(context);
      const choice = parent
        ? await dialog.showSaveDialog(parent, options)
        : await dialog.showSaveDialog(options);
      return choice.canceled || !choice.filePath ? null : choice.filePath;
    },
  };
}
