/**
 * Commands writing where the file system refuses (a read-only folder, a full disk): exit 2 with a message that
 * says what is wrong and what to do, never exit 1 "internal error", and nothing of theirs left behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillDiskAfter, readOnlyFolder } from '../../engine/testing/fs-faults.js';
import { buildMlp, modelBytes } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

describe('commands writing where the file system refuses', () => {
  const tmp = makeTempDir('onnx-studio-output-errors-');
  const work = path.join(tmp.dir, 'work');
  const readOnly = path.join(tmp.dir, 'read-only');
  const variant = path.join(work, 'mlp.pruned.onnx');
  const recipe = path.join(work, 'recipe.json');
  beforeAll(async () => {
    fs.mkdirSync(work);
    fs.mkdirSync(readOnly);
    fs.writeFileSync(
      path.join(work, 'mlp.onnx'),
      modelBytes(buildMlp({ inputSize: 64, hiddenSize: 128, outputSize: 10 })),
    );
    const pruned = await cli([
      'prune',
      path.join(work, 'mlp.onnx'),
      '-o',
      variant,
      '--method',
      'magnitude',
      '--sparsity',
      '0.5',
    ]);
    expect(pruned.code, pruned.stderr).toBe(0);
    const written = await cli(['recipe', variant, '-o', recipe]);
    expect(written.code, written.stderr).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  /** Runs the CLI with `readOnly` on a read-only file system. */
  async function inReadOnly(args: string[]) {
    const restore = readOnlyFolder(readOnly);
    try {
      return await cli(args);
    } finally {
      restore();
    }
  }

  it('recipe -o into a read-only folder: exit 2, says so, writes nothing', async () => {
    const target = path.join(readOnly, 'r.json');
    const r = await inReadOnly(['recipe', variant, '-o', target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `onnx-studio: Cannot write ${target}: the file system is read-only. Choose a folder you can write to.\n`,
    );
    expect(fs.readdirSync(readOnly)).toEqual([]);
  });

  it('recipe -o never replaces the variant (even with --force), takes no .onnx name and no missing folder', async () => {
    const before = fs.readFileSync(variant);
    const over = await cli(['recipe', variant, '-o', variant, '--force']);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain(
      `The recipe file (${variant}) is the variant. ONNX Studio never overwrites an input`,
    );
    expect(fs.readFileSync(variant).equals(before)).toBe(true);
    const asModel = await cli(['recipe', variant, '-o', path.join(work, 'other.onnx')]);
    expect(asModel.code).toBe(2);
    expect(asModel.stderr).toContain('A recipe is JSON, not a model: name the file like other.recipe.json');
    expect(fs.existsSync(path.join(work, 'other.onnx'))).toBe(false);
    const missing = path.join(work, 'missing', 'r.json');
    const intoMissing = await cli(['recipe', variant, '-o', missing]);
    expect(intoMissing.stderr).toBe(
      `onnx-studio: Cannot write -o ${missing}: the folder ${path.dirname(missing)} does not exist. Choose an existing folder.\n`,
    );
  });

  it('run --out below a read-only folder: exit 2, says it cannot create the folder and why', async () => {
    const out = path.join(readOnly, 'x');
    const r = await inReadOnly(['run', recipe, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `onnx-studio: Cannot create --out ${out}: ${readOnly} is on a read-only file system. Choose another folder.\n`,
    );
    expect(r.stderr).not.toMatch(/ENOENT|no such file/);
  });

  it('demo --out below a read-only folder: exit 2, says it cannot create the folder and why', async () => {
    const out = path.join(readOnly, 'demo');
    const r = await inReadOnly(['demo', '--out', out, '--iterations', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `onnx-studio: Cannot create --out ${out}: ${readOnly} is on a read-only file system. Choose another folder.\n`,
    );
    expect(r.stderr).not.toMatch(/ENOENT|no such file/);
  });

  it('run on a full disk: exit 2, says the disk is full, and removes the --out folder it created', async () => {
    const parent = path.join(tmp.dir, 'full');
    fs.mkdirSync(parent);
    const disk = fillDiskAfter(1024);
    let r;
    try {
      r = await cli(['run', recipe, '--out', path.join(parent, 'out', 'deeper')]);
    } finally {
      disk.restore();
    }
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /onnx-studio: Step 1 \(prune\): The disk is full while writing .*deeper.*\. Free some space and retry\. Stopped at step 1 of 1; nothing was written\.\n$/,
    );
    expect(fs.readdirSync(parent)).toEqual([]);

    // A folder that was there before the run stays.
    const existing = path.join(parent, 'existing');
    fs.mkdirSync(existing);
    const again = fillDiskAfter(1024);
    try {
      expect((await cli(['run', recipe, '--out', existing])).code).toBe(2);
    } finally {
      again.restore();
    }
    expect(fs.readdirSync(existing)).toEqual([]);
  });
});
