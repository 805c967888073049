/**
 * The application menu. Menu items only call the actions `main.ts` passes in, so this file knows nothing
 * about windows or IPC.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  /** File > Open…: let the user choose a model. */
  openModel(): void;
}

export function buildAppMenu(actions: MenuActions, platform: NodeJS.Platform = process.platform): Menu {
  const isMac = platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    // macOS puts About/Hide/Quit in a menu named after the app.
    ...(isMac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => actions.openModel() },
        { type: 'separator' },
        // On macOS Quit lives in the app menu; File ends with Close Window there, as users expect.
        isMac ? { role: 'close' } : { role: 'quit', label: 'Quit' },
      ],
    },
    // Without an Edit menu, macOS disables Cmd+C/Cmd+V in text fields.
    { role: 'editMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
