/**
 * `demo`'s report and `tune`'s outcome file (OUT.tune.json) are outputs like any other (docs/cli.md): one that
 * appears while the command runs (another job writing the same --out or -o) is replaced only with --force.
 * Without, the command exits 2 with the "already exists ... --force" message and the other job's file is kept,
 * with no temp file of this one left beside it, nor the other half of its result (report.json without report.html,
 * OUT without OUT.tune.json). The other job is played by the test, writing its file just as
 * this command writes its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { writeOutlierMlpCase } from '../../engine/testing/tune-fixtures.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

/** Puts 'theirs' at `file` when this process starts writing a file of that name's (a temp file beside it). */
function writtenMeanwhile(file: string) {
  const dir = path.dirname(file);
  const ours = (to: unknown) =>
    typeof to === 'string' &&
    path.dirname(path.resolve(to)) === dir &&
    path.basename(to) !== path.basename(file) &&
    path.basename(to).includes(path.basename(file));
  const theirs = () => {
    if (!fs.existsSync(file)) fs.writeFileSync(file, 'theirs');
  };
  const writeFile = fs.promises.writeFile;
  vi.spyOn(fs.promises, 'writeFile').mockImplementation((to, ...rest) => {
    if (ours(to)) theirs();
    return writeFile(to, ...rest);
  });
  const writeFileSync = fs.writeFileSync;
  vi.spyOn(fs, 'writeFileSync').mockImplementation((to, ...rest) => {
    if (ours(to)) theirs();
    return writeFileSync(to, ...rest);
  });
}

describe('an output that appears while the command runs', () => {
  const tmp = makeTempDir('onnx-studio-report-outcome-races-');
  let files: ReturnType<typeof writeOutlierMlpCase>;
  beforeAll(() => {
    files = writeOutlierMlpCase(tmp.dir);
  });
  afterAll(() => tmp.cleanup());
  afterEach(() => vi.restoreAllMocks());

  it('demo --out: a report.json that appears is kept, the demo exits 2 as its check would', async () => {
    const out = path.join(tmp.dir, 'demo');
    const json = path.join(out, 'report.json');
    writtenMeanwhile(json);
    const r = await cli(['demo', '--out', out, '--iterations', '40']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `onnx-studio: ${json} already exists. Choose another --out folder or pass --force to replace it.\n`,
    );
    expect(fs.readFileSync(json, 'utf8')).toBe('theirs');
    expect(fs.readdirSync(out).sort()).toEqual(['report.json', 'workspace']);
  }, 120_000);

  it('demo --out: a report.html that appears is kept, and no report.json of this demo is left without it', async () => {
    const out = path.join(tmp.dir, 'demo-html');
    const html = path.join(out, 'report.html');
    writtenMeanwhile(html);
    const r = await cli(['demo', '--out', out, '--iterations', '40']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`onnx-studio: ${html} already exists. Choose another --out folder`);
    expect(fs.readFileSync(html, 'utf8')).toBe('theirs');
    expect(fs.readdirSync(out).sort()).toEqual(['report.html', 'workspace']);
  }, 120_000);

  it('tune -o: an OUT.tune.json that appears is kept, the tune exits 2; with --force it is replaced', async () => {
    const dir = path.join(tmp.dir, 'tune');
    fs.mkdirSync(dir);
    const out = path.join(dir, 'tuned.onnx');
    const outcome = path.join(dir, 'tuned.tune.json');
    writtenMeanwhile(outcome);
    const tune = (...flags: string[]) =>
      cli([
        'tune',
        files.model,
        '-o',
        out,
        '--data',
        files.data,
        '--min-cosine',
        '0.9',
        '--objective',
        'size',
        ...flags,
      ]);
    const r = await tune();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `${outcome} already exists. Choose another output path or pass --force to replace it.`,
    );
    expect(fs.readFileSync(outcome, 'utf8')).toBe('theirs');
    // OUT and its outcome are one result: the OUT this run exported is taken back, not left half done.
    expect(fs.readdirSync(dir).sort()).toEqual(['tuned.tune.json']);

    const forced = await tune('--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(outcome, 'utf8'))).toMatchObject({ output: out });
    expect(fs.readdirSync(dir).sort()).toEqual(['tuned.onnx', 'tuned.tune.json']);

    // A write that fails (a full disk), not a refusal: the chosen model, whole, stays; only the outcome is missing.
    vi.restoreAllMocks();
    const writeFile = fs.promises.writeFile;
    vi.spyOn(fs.promises, 'writeFile').mockImplementation((to, ...rest) =>
      typeof to === 'string' && path.basename(to).includes('tuned.tune.json')
        ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }))
        : writeFile(to, ...rest),
    );
    const full = await tune('--force');
    expect(full.code, full.stderr).not.toBe(0);
    expect(full.stderr).toMatch(/full|space/i);
    expect(fs.readdirSync(dir)).toContain('tuned.onnx');
  }, 240_000);
});
