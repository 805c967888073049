import { describe, expect, it } from 'vitest';
import type { FsEntry } from '../../../shared/ipc-contract.js';
import { describeHidden, emptyFolderMessage, hiddenNote, shownEntries } from './fs-entries.js';

const folder = (name: string, hidden = false): FsEntry => ({
  name,
  path: `/root/${name}`,
  kind: 'folder',
  ...(hidden ? { hidden: true as const } : {}),
});
const file = (name: string, hidden = false): FsEntry => ({ ...folder(name, hidden), kind: 'file', bytes: 1 });

// What a new user of `serve` running as root sees at first: a home folder of dot folders and dot files.
const home = [folder('.cache', true), folder('.config', true), folder('.npm', true), file('.bashrc', true)];

describe('the file browser’s entries', () => {
  it('counts the hidden folders of a home folder that holds nothing else, instead of reading as empty', () => {
    const { shown, hidden, anyVisible } = shownEntries(home, { extensions: ['onnx'], showHidden: false });
    expect(shown).toEqual([]);
    expect(anyVisible).toBe(false);
    // .bashrc is not an .onnx file: it would not be offered shown or not, so it is not counted.
    expect(hidden).toEqual({ folders: 3, files: 0 });
    expect(emptyFolderMessage(['onnx'], hidden)).toBe('No .onnx files or folders here besides hidden ones.');
    expect(hiddenNote(hidden, false)).toBe('3 hidden folders (names starting with “.”) not shown.');
  });

  it('lists hidden entries when asked, and still counts them', () => {
    const entries = [
      folder('models'),
      file('net.onnx'),
      file('notes.txt'),
      ...home,
      file('.secret.onnx', true),
    ];
    const all = shownEntries(entries, { extensions: ['onnx'], showHidden: true });
    expect(all.shown.map((e) => e.name)).toEqual([
      'models',
      'net.onnx',
      '.cache',
      '.config',
      '.npm',
      '.secret.onnx',
    ]);
    expect(all.hidden).toEqual({ folders: 3, files: 1 });
    expect(hiddenNote(all.hidden, true)).toBe('Showing 3 hidden folders and 1 hidden file.');
    const visible = shownEntries(entries, { extensions: ['onnx'], showHidden: false });
    expect(visible.shown.map((e) => e.name)).toEqual(['models', 'net.onnx']);
    expect(visible.anyVisible).toBe(true);
  });

  it('offers every file when saving (a file is picked to name the new one) or without extensions', () => {
    const entries = [file('a.txt'), file('.b', true)];
    expect(
      shownEntries(entries, { extensions: ['onnx'], allFiles: true, showHidden: false }).shown,
    ).toHaveLength(1);
    expect(shownEntries(entries, { showHidden: false }).hidden).toEqual({ folders: 0, files: 1 });
  });

  it('says an empty folder is empty', () => {
    expect(emptyFolderMessage(['onnx'], { folders: 0, files: 0 })).toBe('No .onnx files or folders here.');
    expect(emptyFolderMessage(undefined, { folders: 0, files: 0 })).toBe('No folders here.');
    expect(describeHidden({ folders: 1, files: 0 })).toBe('1 hidden folder');
    expect(describeHidden({ folders: 0, files: 0 })).toBe('');
  });
});
