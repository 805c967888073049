/**
 * A path on the machine that runs the engine. It can always be typed; Browse… opens the native dialog in the
 * desktop app, or the in-page file browser over `studio:fs.list` where the host offers one (`serve`).
 */
import { useId, useRef, useState } from 'react';
import { useHostContext } from '../host/host-context.js';
import { FileBrowser } from './file-browser.js';

export interface PathPicker {
  mode: 'file' | 'folder' | 'save';
  /** Without dots, e.g. `['npy']`. */
  extensions?: string[];
}

export interface PathFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  picker: PathPicker;
  placeholder?: string;
  hint?: string;
  error?: string | undefined;
  testId?: string;
}

/** Opens whichever picker the host has; `null` when it has none. */
export function usePathPicker():
  ((picker: PathPicker & { title: string; start?: string }) => Promise<string | null>) | null {
  const { host, appInfo } = useHostContext();
  if (!appInfo?.capabilities.nativeDialogs) return null;
  return async ({ mode, title, start, extensions }) => {
    const filters = extensions
      ? [{ name: extensions.map((x) => `.${x}`).join(', '), extensions }]
      : undefined;
    const result =
      mode === 'save'
        ? await host.savePathDialog({
            title,
            ...(start ? { defaultPath: start } : {}),
            ...(filters ? { filters } : {}),
          })
        : await host.openPathDialog({ kind: mode, title, ...(filters ? { filters } : {}) });
    return result.ok ? result.value : null;
  };
}

export function PathField({
  label,
  value,
  onChange,
  picker,
  placeholder,
  hint,
  error,
  testId,
}: PathFieldProps) {
  const id = useId();
  const { appInfo } = useHostContext();
  const native = usePathPicker();
  const [browsing, setBrowsing] = useState(false);
  const browseButton = useRef<HTMLButtonElement>(null);
  const canBrowse = native !== null || appInfo?.capabilities.fileBrowser === true;

  const browse = async () => {
    if (native) {
      const chosen = await native({ ...picker, title: label, ...(value ? { start: value } : {}) });
      if (chosen) onChange(chosen);
    } else {
      setBrowsing(true);
    }
  };

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="path-row">
        <input
          id={id}
          type="text"
          spellCheck={false}
          value={value}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error || hint ? `${id}-help` : undefined}
          {...(testId ? { 'data-testid': testId } : {})}
        />
        {canBrowse && (
          <button
            ref={browseButton}
            type="button"
            onClick={() => void browse()}
            aria-label={`Browse for ${label}`}
          >
            Browse…
          </button>
        )}
      </div>
      {(error || hint) && (
        <p id={`${id}-help`} className={error ? 'field-error' : 'field-hint'}>
          {error ?? hint}
        </p>
      )}
      {browsing && (
        <FileBrowser
          mode={picker.mode}
          title={label}
          {...(value ? { start: value } : {})}
          {...(picker.extensions ? { extensions: picker.extensions } : {})}
          onChoose={(path) => {
            setBrowsing(false);
            onChange(path);
          }}
          onClose={() => setBrowsing(false)}
          returnFocus={() => browseButton.current}
        />
      )}
    </div>
  );
}
