import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliInProcess } from '../../cli/testing/run-cli.js';
import { pruneModel } from '../prune/prune-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { loadModel } from './load-model.js';
import { checkOutputPath, refuseOverwritingInput } from './output-guard.js';
import { saveModel } from './save-model.js';

/*
 * No command writes over a file of its input (its .onnx file or an external data file, as the output or as
 * the output's OUT.data), a folder given as the output is a clear error, and --force replacing a model that
 * kept its weights in OUT.data says that file is no longer used (it is not deleted: another model may use it).
 */

const tmp = makeTempDir('onnx-studio-output-guard-');
const model = buildMlp({ inputSize: 32, hiddenSize: 64, outputSize: 8 });
let input: string;
let data: string;

function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    out[name] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, name)))
      .digest('hex');
  }
  return out;
}

beforeAll(async () => {
  fs.mkdirSync(path.join(tmp.dir, 'in'));
  input = path.join(tmp.dir, 'in', 'ext.onnx');
  await saveModel(model, input, { externalData: { thresholdBytes: 1024, fileName: 'weights.data' } });
  data = path.join(tmp.dir, 'in', 'weights.data');
});
afterAll(() => tmp.cleanup());

describe('an output that would replace a file of the input', () => {
  const writers: [string, (output: string) => Promise<unknown>][] = [
    ['quantize', (output) => quantizeModel({ input, output, method: 'int8-dynamic', force: true })],
    [
      'prune',
      (output) =>
        pruneModel({
          input,
          output,
          method: 'magnitude',
          common: { sparsity: 0.3 },
          options: {},
          force: true,
        }),
    ],
  ];
  for (const [name, write] of writers) {
    it(`${name} refuses the input's data file as its output, and changes nothing`, async () => {
      const before = digests(path.dirname(input));
      await expect(write(data)).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining("is the input's external data file"),
      });
      expect(digests(path.dirname(input))).toEqual(before);
    });
  }

  it('convert refuses it too, and an output whose OUT.data is the input data (exit 2)', async () => {
    const before = digests(path.dirname(input));
    // The CLI refuses a model output not named .onnx before the engine's guard is reached (output-path.ts).
    const asModel = await runCliInProcess(['convert', input, '-o', data, '--force']);
    expect(asModel.code).toBe(2);
    expect(asModel.stderr).toContain('OUT must end in .onnx');
    // weights.data is the data file of an output named `weights`, with --external-data.
    const asData = await runCliInProcess([
      'convert',
      input,
      '-o',
      path.join(path.dirname(input), 'weights'),
      '--external-data',
      '--force',
    ]);
    expect(asData.code).toBe(2);
    expect(asData.stderr).toContain('OUT must end in .onnx');
    // The engine's own guard, which convert runs too, names what each would have replaced.
    const loaded = await loadModel(input);
    expect(() => refuseOverwritingInput(loaded, data)).toThrow("is the input's external data file");
    expect(() => refuseOverwritingInput(loaded, path.join(path.dirname(input), 'weights'))).toThrow(
      "the input's own data file",
    );
    expect(digests(path.dirname(input))).toEqual(before);
  });
});

describe('a folder as the output', () => {
  it('is refused before any work, with or without --force', async () => {
    const folder = path.join(tmp.dir, 'a-folder');
    fs.mkdirSync(folder);
    await expect(quantizeModel({ input, output: folder, method: 'fp16', force: true })).rejects.toMatchObject(
      {
        code: 'BAD_REQUEST',
        message: expect.stringContaining('is a folder'),
      },
    );
    const cli = await runCliInProcess(['convert', input, '-o', folder, '--force']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('is a folder');
    await expect(saveModel(model, folder, { force: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(fs.readdirSync(folder)).toEqual([]);
  });
});

describe('a destination the file system refuses', () => {
  it('is an IO error that says so, not an internal one', async () => {
    // A "folder" that is a file: the open fails with ENOTDIR, as /proc refuses new files with ENOENT.
    const file = path.join(tmp.dir, 'plain-file');
    fs.writeFileSync(file, 'x');
    await expect(saveModel(model, path.join(file, 'out.onnx'))).rejects.toMatchObject({
      code: 'IO',
      message: expect.stringContaining('Choose a folder you can write to'),
    });
  });
});

describe("an input's data file gone while saving", () => {
  it('is an IO error about that file, not about the destination', async () => {
    const dir = path.join(tmp.dir, 'gone');
    fs.mkdirSync(dir);
    const source = path.join(dir, 'm.onnx');
    await saveModel(model, source, { externalData: { thresholdBytes: 1024 } });
    const loaded = await loadModel(source);
    fs.rmSync(`${source}.data`);
    for (const externalData of [undefined, { thresholdBytes: 1024 }]) {
      const error = await saveModel(loaded.proto, path.join(tmp.dir, 'gone-out.onnx'), {
        sourceDir: loaded.dir,
        force: true,
        ...(externalData ? { externalData } : {}),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'IO', message: expect.stringContaining('m.onnx.data') });
      expect((error as Error).message).not.toContain('Choose a folder you can write to');
    }
  });
});

describe('--force over a model that kept its weights in OUT.data', () => {
  it('leaves that data file in place and says the new model does not use it', async () => {
    const dir = path.join(tmp.dir, 'replace');
    fs.mkdirSync(dir);
    const out = path.join(dir, 'a.onnx');
    await saveModel(model, out, { externalData: { thresholdBytes: 1024 } });
    // A copy of the old model uses the same data file: deleting it would break the copy.
    fs.copyFileSync(out, path.join(dir, 'copy.onnx'));
    const saved = await saveModel(model, out, { force: true });
    expect(saved.unusedDataFile).toBe(`${out}.data`);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.onnx', 'a.onnx.data', 'copy.onnx']);
    expect((await loadModel(out)).externalDataBytes).toBe(0);
    expect((await loadModel(path.join(dir, 'copy.onnx'))).externalDataBytes).toBeGreaterThan(0);
    // The CLI says so too (convert of an inline model over one that used OUT.data).
    await saveModel(model, out, { force: true, externalData: { thresholdBytes: 1024 } });
    const inline = path.join(tmp.dir, 'inline.onnx');
    await saveModel(model, inline);
    const cli = await runCliInProcess(['convert', inline, '-o', out, '--force']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(`note: ${out}.data held the weights of the model this replaced`);
  });

  it('says nothing of an OUT.data the replaced model did not use, nor of one the new model writes', async () => {
    const dir = path.join(tmp.dir, 'keep');
    fs.mkdirSync(dir);
    const out = path.join(dir, 'b.onnx');
    // The replaced model's weights are in xb.onnx.data, a name that contains b.onnx.data.
    await saveModel(model, out, { externalData: { thresholdBytes: 1024, fileName: 'xb.onnx.data' } });
    fs.writeFileSync(`${out}.data`, 'not ours');
    expect((await saveModel(model, out, { force: true })).unusedDataFile).toBeUndefined();
    expect(fs.readFileSync(`${out}.data`, 'utf8')).toBe('not ours');

    const ext = path.join(dir, 'c.onnx');
    await saveModel(model, ext, { externalData: { thresholdBytes: 1024 } });
    const again = await saveModel(model, ext, { force: true, externalData: { thresholdBytes: 1024 } });
    expect(again.unusedDataFile).toBeUndefined();
    expect((await loadModel(ext)).externalDataBytes).toBeGreaterThan(0);
  });
});

describe('sameFile', () => {
  it('follows hard links', async () => {
    const { sameFile } = await import('./output-guard.js');
    const a = path.join(tmp.dir, 'linked-a');
    fs.writeFileSync(a, 'x');
    fs.linkSync(a, path.join(tmp.dir, 'linked-b'));
    expect(sameFile(a, path.join(tmp.dir, 'linked-b'))).toBe(true);
    expect(sameFile(a, input)).toBe(false);
  });
});

describe('an output folder that cannot be written is refused before any work (big-model test, tester C)', () => {
  it('says a read-only file system or a missing folder at once, from the path alone', () => {
    const input = path.join(tmp.dir, 'in.onnx');
    const readOnly = Object.assign(new Error("EROFS: read-only file system, access '/ro'"), {
      code: 'EROFS',
      syscall: 'access',
    });
    const access = vi.spyOn(fs, 'accessSync').mockImplementation(() => {
      throw readOnly;
    });
    try {
      expect(() => checkOutputPath(input, '/ro/out.onnx')).toThrow(
        'Cannot write /ro/out.onnx: the file system is read-only. Choose a folder you can write to.',
      );
    } finally {
      access.mockRestore();
    }
    expect(() => checkOutputPath(input, path.join(tmp.dir, 'missing', 'out.onnx'))).toThrow(
      `The output folder ${path.join(tmp.dir, 'missing')} does not exist.`,
    );
  });
});
