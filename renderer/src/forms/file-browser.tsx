/**
 * A file browser over the backend's disk (`studio:fs.list`), for hosts without native dialogs: in a browser
 * page served by `onnx-studio serve` the files live on the server, which only the server can list. A modal
 * <dialog>: focus stays inside, Escape closes it, and every entry is a button reachable with Tab. A typed
 * path goes straight to a folder (or picks a file); recent folders are listed at the top, and Home and the
 * model's folder are one click away; it opens beside the open model (else in the latest recent folder) unless
 * the field already names a place. The path field has the focus, and the path it shows is selected, so a
 * typed or pasted path replaces it (an arrow key keeps it to edit); Escape gives the focus back to the
 * control that opened the browser (components/modal-dialog.ts). Hidden entries are left out but counted,
 * with a toggle: a home folder with nothing but dot folders says so instead of looking empty.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useModalDialog, type FocusFallback } from '../components/modal-dialog.js';
import type { FsListing } from '../../../shared/ipc-contract.js';
import { formatBytes } from '../format.js';
import { useHostContext } from '../host/host-context.js';
import { emptyFolderMessage, hiddenNote, shownEntries } from './fs-entries.js';
import {
  browserStartFolders,
  displayFolder,
  loadRecentFolders,
  recentFolderChoices,
  rememberFolder,
} from './recent-folders.js';

export interface FileBrowserProps {
  /** `file`: pick an existing file; `folder`: pick a folder; `save`: pick a folder and type a file name. */
  mode: 'file' | 'folder' | 'save';
  title: string;
  /** Where to start: a file or folder path; default beside the open model, else in the folder used last. */
  start?: string;
  /** Show only files with these extensions (without dots), folders always. */
  extensions?: string[];
  onChoose: (path: string) => void;
  onClose: () => void;
  /**
   * Where the focus goes as the browser closes when the control that had it before is gone, or there was
   * none (Ctrl+O on the page): the button that opens it.
   */
  returnFocus?: FocusFallback;
}

function parentOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i <= 0 ? path.slice(0, i + 1) || '/' : path.slice(0, i);
}

function join(folder: string, name: string): string {
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return folder.endsWith(sep) ? `${folder}${name}` : `${folder}${sep}${name}`;
}

export function FileBrowser({
  mode,
  title,
  start,
  extensions,
  onChoose,
  onClose,
  returnFocus,
}: FileBrowserProps) {
  const { host, appInfo, modelPath } = useHostContext();
  const [typed, setTyped] = useState('');
  // The path field follows the folder shown, unless the user is typing in it (a listing that arrives late
  // must not overwrite what they typed).
  const userTyping = useRef(false);
  const [chosenFolders] = useState(loadRecentFolders);
  // The host's recent models (kept by the backend, whatever opened them): their folders follow the chosen ones.
  const [modelFolders, setModelFolders] = useState<string[]>([]);
  const recentFolders = recentFolderChoices(chosenFolders, modelFolders);
  const [showHidden, setShowHidden] = useState(false);
  const choose = (path: string) => {
    rememberFolder(mode === 'folder' ? path : parentOf(path));
    onChoose(path);
  };
  const matches = (name: string) =>
    !extensions || extensions.some((x) => name.toLowerCase().endsWith(`.${x}`));
  const ref = useRef<HTMLDialogElement>(null);
  useModalDialog(ref, true, returnFocus);
  const pathField = useRef<HTMLInputElement>(null);
  const id = useId();
  const [listing, setListing] = useState<FsListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fileName, setFileName] = useState(
    mode === 'save' && start ? (start.split(/[\\/]/).pop() ?? '') : '',
  );

  /** Lists the first of `folders` that can be listed; the first one's error when none can. */
  const open = useCallback(
    async (...folders: string[]) => {
      setError(null);
      let firstError: string | undefined;
      for (const folder of new Set(folders)) {
        const result = await host.listFolder(folder);
        if (result.ok) {
          setListing(result.value);
          return;
        }
        firstError ??= result.error.message;
      }
      if (firstError !== undefined) setError(firstError);
    },
    [host],
  );

  // The first listing waits for the host's recent models: the folder used last may be one of theirs (a model
  // opened from the start screen or by drop), and a page that never chose a folder here has no other.
  useEffect(() => {
    let live = true;
    void host.listRecent().then((r) => {
      if (!live) return;
      const folders = r.ok ? r.value.map(parentOf) : [];
      setModelFolders(folders);
      void open(
        ...browserStartFolders({
          start: start ? (mode === 'folder' ? start : parentOf(start)) : undefined,
          modelFolder: modelPath ? parentOf(modelPath) : undefined,
          recent: recentFolderChoices(chosenFolders, folders),
          home: appInfo?.homeDir ?? '/',
        }),
      );
    });
    return () => {
      live = false;
    };
  }, [host, appInfo?.homeDir, mode, open, start, modelPath, chosenFolders]);

  // The field follows the folder shown, selected while it has the focus: what the user types or pastes
  // replaces it (a typed `/tmp/m.onnx` read `/root/tmp/m.onnx`), and an arrow key keeps it to edit.
  const [filled, setFilled] = useState(0);
  useEffect(() => {
    if (listing && !userTyping.current) {
      setTyped(listing.path);
      setFilled((n) => n + 1);
    }
  }, [listing]);
  useEffect(() => {
    const field = pathField.current;
    if (filled > 0 && field && field.ownerDocument.activeElement === field) field.select();
  }, [filled]);

  /** A typed path: a folder opens; a file is picked (file mode) or named (save mode) from its folder. */
  const goTo = async (raw: string) => {
    userTyping.current = false;
    const path = raw.trim();
    if (path === '') return;
    const asFolder = await host.listFolder(path);
    if (asFolder.ok) {
      setError(null);
      setListing(asFolder.value);
      return;
    }
    const folder = await host.listFolder(parentOf(path));
    const entry = folder.ok
      ? folder.value.entries.find((e) => e.path === path || e.name === path.split(/[\\/]/).pop())
      : undefined;
    if (folder.ok && mode === 'save') {
      setListing(folder.value);
      setFileName(path.split(/[\\/]/).pop() ?? '');
      return;
    }
    if (folder.ok && entry?.kind === 'file' && mode === 'file') {
      if (matches(entry.name)) choose(entry.path);
      else setError(`${entry.name} is not a ${extensions?.map((x) => `.${x}`).join(' or ')} file.`);
      return;
    }
    setError(asFolder.error.message);
  };

  const navigate = (folder: string) => {
    userTyping.current = false;
    void open(folder);
  };

  const places = [
    { label: 'Home', path: appInfo?.homeDir ?? '/' },
    ...(modelPath ? [{ label: "Model's folder", path: parentOf(modelPath) }] : []),
  ];

  const { shown, hidden, anyVisible } = shownEntries(listing?.entries ?? [], {
    ...(extensions ? { extensions } : {}),
    allFiles: mode === 'save',
    showHidden,
  });
  const hiddenTotal = hidden.folders + hidden.files;

  return (
    <dialog
      ref={ref}
      className="file-browser"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <form
        className="fs-path-row"
        onSubmit={(e) => {
          e.preventDefault();
          void goTo(typed);
        }}
      >
        <label htmlFor={`${id}-path`} className="visually-hidden">
          Path
        </label>
        <input
          ref={pathField}
          id={`${id}-path`}
          type="text"
          data-autofocus
          value={typed}
          placeholder={listing?.path ?? 'Loading…'}
          onChange={(e) => {
            userTyping.current = true;
            setTyped(e.target.value);
          }}
          spellCheck={false}
          data-testid="fs-path"
          aria-describedby={`${id}-path-hint`}
        />
        <button type="submit">Go</button>
      </form>
      <p id={`${id}-path-hint`} className="field-hint">
        Type or paste a folder, or a file to pick it, and press Enter.
      </p>
      {recentFolders.length > 0 && (
        <nav className="fs-recent" aria-labelledby={`${id}-recent`} data-testid="fs-recent">
          <h3 id={`${id}-recent`}>Recent folders</h3>
          <ul>
            {recentFolders.map((f) => (
              <li key={f}>
                <button
                  type="button"
                  className="small fs-recent-folder"
                  title={f}
                  aria-current={listing?.path === f ? 'location' : undefined}
                  onClick={() => navigate(f)}
                >
                  <span className="fs-icon fs-icon-folder" aria-hidden="true" />
                  {displayFolder(f, appInfo?.homeDir)}
                </button>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <div className="fs-places" role="group" aria-label="Places">
        {places.map((p) => (
          <button key={p.label} type="button" className="small" onClick={() => navigate(p.path)}>
            {p.label}
          </button>
        ))}
      </div>
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
      <ul className="fs-entries" aria-label="Folder contents">
        {listing?.parent && (
          <li>
            <button type="button" className="fs-entry" onClick={() => navigate(listing.parent as string)}>
              <span className="fs-icon fs-icon-up" aria-hidden="true" /> Parent folder
            </button>
          </li>
        )}
        {shown.map((entry) => (
          <li key={entry.path}>
            <button
              type="button"
              className={`fs-entry fs-${entry.kind}${entry.hidden ? ' fs-hidden' : ''}`}
              onClick={() => {
                if (entry.kind === 'folder') navigate(entry.path);
                else if (mode === 'save') setFileName(entry.name);
                else if (mode === 'file') choose(entry.path);
              }}
            >
              <span className={`fs-icon fs-icon-${entry.kind}`} aria-hidden="true" /> {entry.name}
              {entry.bytes !== undefined && <span className="muted"> {formatBytes(entry.bytes)}</span>}
            </button>
          </li>
        ))}
        {listing && shown.length === 0 && (
          <li className="muted fs-empty" data-testid="fs-empty">
            {emptyFolderMessage(extensions, hidden)}
          </li>
        )}
      </ul>
      {/* Said whenever a folder hides something, loudest when it hides everything (a home folder of dot folders). */}
      {listing && hiddenTotal > 0 && (
        <p
          className={anyVisible ? 'fs-hidden-note' : 'fs-hidden-note only-hidden'}
          data-testid="fs-hidden-note"
        >
          {hiddenNote(hidden, showHidden)}{' '}
          <button type="button" className="small" onClick={() => setShowHidden((v) => !v)}>
            {showHidden ? 'Hide hidden' : 'Show hidden'}
          </button>
        </p>
      )}
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
          <button type="button" className="primary" onClick={() => choose(listing.path)}>
            Choose this folder
          </button>
        )}
        {mode === 'save' && listing && (
          <button
            type="button"
            className="primary"
            disabled={fileName.trim() === ''}
            onClick={() => choose(join(listing.path, fileName.trim()))}
          >
            Save here
          </button>
        )}
      </div>
    </dialog>
  );
}
