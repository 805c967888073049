/**
 * Where the focus is as a modal dialog opens and after it closes, against two keyboard findings of a user
 * test: the Jobs dialog opened on "Clear finished" (a second Enter emptied the list), and Escape in the Open
 * model browser left the focus on <body>. Elements are plain objects (the tests run without a DOM); the
 * dialogs' markup is checked for which control they mark to focus.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { FileBrowser } from '../forms/file-browser.js';
import { HostContext } from '../host/host-context.js';
import type { StudioHost } from '../host/studio-host.js';
import { initialState, studioReducer, type StudioAction } from '../state/studio-state.js';
import { events, MODEL_PATH, SUMMARY, workspace } from '../state/test-fixtures.js';
import { ConfirmDialog } from '../views/confirm-dialog.js';
import { JobStatusBar } from '../views/job-status-bar.js';
import {
  AUTOFOCUS_SELECTOR,
  showModalDialog,
  type FocusableLike,
  type ModalDialogLike,
} from './modal-dialog.js';

interface FakeElement extends FocusableLike {
  name: string;
  isConnected: boolean;
}

/** A page whose `activeElement` follows `focus()`, with a <dialog> holding `inside`. */
function page(inside: { autofocus?: string } = {}) {
  const doc = { activeElement: null as unknown, body: { name: 'body' } as unknown };
  const element = (name: string): FakeElement => ({
    name,
    isConnected: true,
    focus() {
      doc.activeElement = this;
    },
  });
  const autofocus = inside.autofocus === undefined ? null : element(inside.autofocus);
  const calls: string[] = [];
  const dialog: ModalDialogLike & { open: boolean } = {
    open: false,
    showModal() {
      calls.push('showModal');
      this.open = true;
    },
    close() {
      calls.push('close');
      this.open = false;
    },
    contains: (other) => other === autofocus,
    querySelector: (selector) => (selector === AUTOFOCUS_SELECTOR ? autofocus : null),
    ownerDocument: doc,
  };
  doc.activeElement = doc.body;
  const focused = () => (doc.activeElement as { name?: string } | null)?.name;
  return { doc, dialog, element, calls, focused };
}

describe('showModalDialog', () => {
  it('opens on the control marked to focus and gives the focus back to the control that opened it', () => {
    const p = page({ autofocus: 'Close' });
    const opener = p.element('Jobs: 3 finished');
    opener.focus();
    const close = showModalDialog(p.dialog);
    expect(p.calls).toEqual(['showModal']);
    expect(p.focused()).toBe('Close');
    close();
    expect(p.calls).toEqual(['showModal', 'close']);
    expect(p.focused()).toBe('Jobs: 3 finished');
  });

  it('gives the focus to the fallback, not the page, when the dialog was opened from the page (Ctrl+O)', () => {
    const p = page({ autofocus: 'path' });
    const openButton = p.element('Open model…');
    const close = showModalDialog(p.dialog, () => openButton);
    expect(p.focused()).toBe('path');
    close();
    expect(p.focused()).toBe('Open model…');
  });

  it('gives the focus to the fallback when the opener left the page with the dialog (Clear finished)', () => {
    const p = page({ autofocus: 'Close' });
    const opener = p.element('Jobs: 3 finished');
    opener.focus();
    const main = p.element('main');
    const close = showModalDialog(p.dialog, () => main);
    opener.isConnected = false;
    close();
    expect(p.focused()).toBe('main');
  });

  it('does not close again a dialog Escape already closed, and still gives the focus back', () => {
    const p = page();
    const opener = p.element('Browse…');
    opener.focus();
    const close = showModalDialog(p.dialog);
    p.dialog.close();
    p.doc.activeElement = p.doc.body;
    close();
    expect(p.calls).toEqual(['showModal', 'close']);
    expect(p.focused()).toBe('Browse…');
  });
});

/** The opening tag of the element whose text starts at `match` (a button's `>Close<`). */
function tagOf(html: string, match: RegExp): string {
  const found = match.exec(html);
  if (!found) throw new Error(`not in the markup: ${match.source}`);
  return html.slice(html.lastIndexOf('<', found.index), found.index + 1);
}

const marked = (html: string) => html.match(/<[^>]*data-autofocus[^>]*>/g) ?? [];

describe('the control each dialog opens on', () => {
  it('Jobs opens on Close, never on Clear finished', () => {
    const opened = studioReducer(initialState, {
      type: 'model-opened',
      summary: SUMMARY,
      workspace: workspace(),
    });
    const actions: StudioAction[] = [
      {
        type: 'job-submitted',
        jobId: 'j1',
        kind: 'bench',
        title: 'Benchmark original',
        modelPath: MODEL_PATH,
        atMs: 1,
      },
      { type: 'job-events', events: events('j1', { type: 'result', result: {} }) },
    ];
    const finished = actions.reduce(studioReducer, opened);
    const html = renderToStaticMarkup(
      <JobStatusBar jobs={finished.jobs} onCancel={() => {}} onClear={() => {}} />,
    );
    expect(html).toContain('Clear finished');
    expect(tagOf(html, />Clear finished</)).not.toContain('data-autofocus');
    expect(tagOf(html, />Close</)).toContain('data-autofocus');
    expect(marked(html)).toHaveLength(1);
  });

  it('a question before something that cannot be undone opens on its safe answer', () => {
    const html = renderToStaticMarkup(
      <ConfirmDialog
        title="Remove it?"
        message="…"
        confirmLabel="Remove"
        onConfirm={() => {}}
        onCancel={() => {}}
      />,
    );
    expect(tagOf(html, />Keep it</)).toContain('data-autofocus');
    expect(marked(html)).toHaveLength(1);
  });

  it('the file browser opens on its path field', () => {
    const host = { listRecent: () => new Promise(() => {}) } as unknown as StudioHost;
    const html = renderToStaticMarkup(
      <HostContext.Provider value={{ host, appInfo: null }}>
        <FileBrowser mode="file" title="Open an ONNX model" onChoose={() => {}} onClose={() => {}} />
      </HostContext.Provider>,
    );
    expect(marked(html)).toHaveLength(1);
    expect(marked(html)[0]).toContain('data-testid="fs-path"');
  });
});
