/**
 * A file browser over the backend's disk (`studio:fs.list`), for hosts without native dialogs: in a browser
 * page served by `onnx-studio serve` the files live on the server, which only the server can list. A modal
 * <dialog>: focus stays inside, Escape closes it, and every entry is a button reachable with Tab.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FsListing } from '../../../shared/ipc-contract.js';
import { formatBytes } from '../format.js';
import { useHostContext } from '../host/host-context.js';

export interface FileBrowserProps {
  /** `file`: pick an existing file; `folder`: pick a folder; `save`: pick a folder and type a file name. */
  mode: 'file' | 'folder' | 'save';
  title: string;
  /** Where to start: a file or folder path; default the user's home folder. */
  start?: string;
  /** Show only files with these extensions (without dots), folders always. */
  extensions?: string[];
  onChoose: (path: string) => void;
  onClose: () => void;
}

function parentOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i <= 0 ? path.slice(0, i + 1) || '/' : path.slice(0, i);
}

function join(folder: string, name: string): string {
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return folder.endsWith(sep) ? `${folder}${name}` : `${folder}${sep}${name}`;
}

export function FileBrowser({ mode, title, start, extensions, onChoose, onClose }: FileBrowserProps) {
  const { host, appInfo } = useHostContext();
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [listing, setListing] = useState<FsListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fileName, setFileName] = useState(
    mode === 'save' && start ? (start.split(/[\\/]/).pop() ?? '') : '',
  );

  const open = useCallback(
    async (folder: string, fallback?: string) => {
      setError(null);
      const result = await host.listFolder(folder);
      if (result.ok) setListing(result.value);
      else if (fallback && fallback !== folder) void open(fallback);
      else setError(`${result.error.message}`);
    },
    [host],
  );

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const home = appInfo?.homeDir ?? '/';
    const first = start ? (mode === 'folder' ? start : parentOf(start)) : home;
    void open(first, home);
    return () => dialog?.close();
  }, [appInfo?.homeDir, mode, open, start]);

  const visible = (listing?.entries ?? []).filter(
    (e) =>
      e.kind === 'folder' ||
      mode === 'save' ||
      !extensions ||
      extensions.some((x) => e.name.toLowerCase().endsWith(`.${x}`)),
  );

  return (
    <dialog ref={ref} className="file-browser" aria-labelledby={`${id}-title`} onCancel={onClose}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p className="muted path" title={listing?.path}>
        {listing?.path ?? 'Loading…'}
      </p>
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
      <ul className="fs-entries" aria-label="Folder contents">
        {listing?.parent && (
          <li>
            <button type="button" className="fs-entry" onClick={() => void open(listing.parent as string)}>
              ⬑ Parent folder
            </button>
          </li>
        )}
        {visible.map((entry) => (
          <li key={entry.path}>
            <button
              type="button"
              className={`fs-entry fs-${entry.kind}`}
              onClick={() => {
                if (entry.kind === 'folder') void open(entry.path);
                else if (mode === 'save') setFileName(entry.name);
                else if (mode === 'file') onChoose(entry.path);
              }}
            >
              <span aria-hidden="true">{entry.kind === 'folder' ? '📁' : '📄'}</span> {entry.name}
              {entry.bytes !== undefined && <span className="muted"> {formatBytes(entry.bytes)}</span>}
            </button>
          </li>
        ))}
        {listing && visible.length === 0 && (
          <li className="muted">
            No {extensions ? extensions.map((x) => `.${x}`).join(', ') + ' files or ' : ''}folders here.
          </li>
        )}
      </ul>
      {mode === 'save' && (
        <div className="field">
          <label htmlFor={`${id}-name`}>File name</label>
          <input
            id={`${id}-name`}
            type="text"
            value={fileName}
            onChange={(e) => setFileName(e.target.value)}
            spellCheck={false}
          />
        </div>
      )}
      <div className="button-row">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        {mode === 'folder' && listing && (
          <button type="button" className="primary" onClick={() => onChoose(listing.path)}>
            Choose this folder
          </button>
        )}
        {mode === 'save' && listing && (
          <button
            type="button"
            className="primary"
            disabled={fileName.trim() === ''}
            onClick={() => onChoose(join(listing.path, fileName.trim()))}
          >
            Save here
          </button>
        )}
      </div>
    </dialog>
  );
}
