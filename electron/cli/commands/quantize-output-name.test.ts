import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { repoRoot, runCliInProcess } from '../testing/run-cli.js';

/* Every command that writes a model refuses an OUT without .onnx, as tune did: quantize wrote `model.int8`. */

const digits = path.join(repoRoot, 'electron/engine/testing/fixtures/digits');
const model = path.join(digits, 'digits.onnx');

const run = (...args: string[]) => runCliInProcess(args);

describe('an OUT without .onnx', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());

  for (const args of [
    ['quantize', '--method', 'int8-dynamic'],
    ['prune', '--method', 'magnitude', '--sparsity', '0.5'],
    ['convert'],
    ['tune', '--data', 'synthetic', '--min-cosine', '0.99'],
  ]) {
    it(`is refused by ${args[0]} (exit 2), and nothing is written`, async () => {
      const out = path.join(tmp.dir, `${args[0]}.int8`);
      const r = await run(args[0]!, model, '-o', out, ...args.slice(1));
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`onnx-studio: OUT must end in .onnx, got ${out}: name the model file like model.int8.onnx.\n`);
      expect(fs.existsSync(out)).toBe(false);
      // Quoted as typed, not made absolute (tune quoted the absolute path, the others the text given).
      const typed = await run(args[0]!, model, '-o', 'typed.int8', ...args.slice(1));
      expect(typed.stderr).toContain('got typed.int8: name the model file');
    });
  }

  it('a name that is only .onnx (a hidden file) is refused too', async () => {
    const out = path.join(tmp.dir, '.onnx');
    const r = await run('quantize', model, '-o', out, '--method', 'fp16');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('OUT must end in .onnx');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a folder is said to be one before any work, by tune too (it searched, then failed to write over it)', async () => {
    const folder = path.join(tmp.dir, 'a-folder.onnx');
    fs.mkdirSync(folder);
    const r = await run('tune', model, '-o', folder, '--data', 'synthetic', '--min-cosine', '0.99', '--force');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${folder} is a folder.`);
  });
});
