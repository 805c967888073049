/**
 * Save report (the app's Export view, and `demo`): report.html and report.json go into a folder made as every
 * output folder is (makeOutputFolder: never Node's recursive mkdir, which does not return on /proc), and without
 * `overwrite` a report already there is kept, also one that appears while this one is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { workspace } from '../../../renderer/src/state/test-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { saveReport } from './report-files.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-report-save-');
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

/** Plays another save of the same report: it puts `file` in place just as this save writes its own. */
function writtenMeanwhile(file: string) {
  const writeFile = fs.promises.writeFile;
  vi.spyOn(fs.promises, 'writeFile').mockImplementation((to, ...rest) => {
    if (path.basename(String(to)).startsWith(`.${path.basename(file)}.`) && !fs.existsSync(file))
      fs.writeFileSync(file, 'theirs');
    return writeFile(to, ...rest);
  });
}

describe('saveReport', () => {
  it('makes a missing folder and its parents, and writes both files', async () => {
    const dir = path.join(tmp.dir, 'a', 'b');
    const saved = await saveReport(workspace(), '1.0.0', dir, false);
    expect(saved).toEqual({
      htmlPath: path.join(dir, 'report.html'),
      jsonPath: path.join(dir, 'report.json'),
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['report.html', 'report.json']);
  });

  it('without overwrite, keeps a report that appears while it is written, and says so', async () => {
    const json = path.join(tmp.dir, 'report.json');
    writtenMeanwhile(json);
    await expect(saveReport(workspace(), '1.0.0', tmp.dir, false)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${json} already exists. Choose another folder or confirm to replace it.`,
    });
    expect(fs.readFileSync(json, 'utf8')).toBe('theirs');
    expect(fs.readdirSync(tmp.dir)).toEqual(['report.json']);
  });

  it('places the pair whole or not at all: a report.html that appears leaves no report.json of this save', async () => {
    const html = path.join(tmp.dir, 'report.html');
    writtenMeanwhile(html);
    await expect(saveReport(workspace(), '1.0.0', tmp.dir, false)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${html} already exists. Choose another folder or confirm to replace it.`,
      path: html,
    });
    expect(fs.readFileSync(html, 'utf8')).toBe('theirs');
    expect(fs.readdirSync(tmp.dir)).toEqual(['report.html']);
  });

  it('with overwrite, replaces it', async () => {
    const json = path.join(tmp.dir, 'report.json');
    writtenMeanwhile(json);
    await saveReport(workspace(), '1.0.0', tmp.dir, true);
    expect(JSON.parse(fs.readFileSync(json, 'utf8'))).toMatchObject({ generatedBy: expect.any(String) });
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['report.html', 'report.json']);
  });

  it.runIf(fs.existsSync('/proc/self'))(
    'refuses a folder on a pseudo file system (/proc) at once, saying why, and does not hang',
    { timeout: 5000 },
    async () => {
      const dir = '/proc/onnx-studio-report';
      await expect(saveReport(workspace(), '1.0.0', dir, false)).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message:
          `Cannot write the report folder ${dir}: the folder /proc cannot be written (the file system does not ` +
          'let files be made there). Choose another folder.',
      });
    },
  );
});
