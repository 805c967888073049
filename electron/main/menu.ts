/**
 * The application menu. Menu items only call the actions `main.ts` passes in, so this file knows nothing
 * about windows, IPC or the backend. It is rebuilt when the recent-models list changes.
 */
import path from 'node:path';
import { Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  /** File > Open…: let the user choose a model. */
  openModel(): void;
  /** File > Open Recent > a model. */
  openRecent(modelPath: string): void;
  clearRecent(): void;
  /** File > Open Sample Model: the bundled digits classifier. */
  openSample(): void;
  /** File > Export Variant…: the renderer asks which variant and where. */
  exportVariant(): void;
  /** File > Export Report…: the comparison report of the open model. */
  exportReport(): void;
  /** Help > Documentation. */
  openDocs(): void;
}

export function buildAppMenu(
  actions: MenuActions,
  recent: readonly string[] = [],
  platform: NodeJS.Platform = process.platform,
): Menu {
  const isMac = platform === 'darwin';
  const recentItems: MenuItemConstructorOptions[] =
    recent.length === 0
      ? [{ label: 'No Recent Models', enabled: false }]
      : [
          // The file name first (what people recognise), the folder after it.
          ...recent.map((p, i) => ({
            label: `${i < 9 ? `&${i + 1} ` : ''}${path.basename(p)} — ${path.dirname(p)}`,
            click: () => actions.openRecent(p),
          })),
          { type: 'separator' as const },
          { label: 'Clear Recent', click: () => actions.clearRecent() },
        ];
  const template: MenuItemConstructorOptions[] = [
    // macOS puts About/Hide/Quit in a menu named after the app.
    ...(isMac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    {
      label: '&File',
      submenu: [
        { label: '&Open…', accelerator: 'CmdOrCtrl+O', click: () => actions.openModel() },
        { label: 'Open &Recent', submenu: recentItems },
        { label: 'Open &Sample Model', click: () => actions.openSample() },
        { type: 'separator' },
        { label: '&Export Variant…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportVariant() },
        { label: 'Export Re&port…', accelerator: 'CmdOrCtrl+Shift+E', click: () => actions.exportReport() },
        { type: 'separator' },
        // On macOS Quit lives in the app menu; File ends with Close Window there, as users expect.
        isMac ? { role: 'close' } : { role: 'quit', label: '&Quit', accelerator: 'CmdOrCtrl+Q' },
      ],
    },
    // Without an Edit menu, macOS disables Cmd+C/Cmd+V in text fields.
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'ONNX Studio &Documentation', click: () => actions.openDocs() }] },
  ];
  return Menu.buildFromTemplate(template);
}
