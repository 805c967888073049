/**
 * External-data locations written on Windows (`weights\w.bin`). onnxruntime reads `\` as a folder separator only
 * on Windows: on Linux and macOS it takes `weights\w.bin` for one file name (1.30: "External data path does not
 * exist: .../weights\w.bin"). Our loader used to read it as Windows does, so `inspect` passed and `bench` failed on
 * the same model. Now every command reads a location as onnxruntime on this system does and refuses, at load,
 * one that names its data only when read as Windows does, saying what to do; `convert` reads it as Windows does,
 * and writes a model that every command, onnxruntime included, loads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess as cli } from '../../cli/testing/run-cli.js';
import { createSession } from '../runtime/create-session.js';
import { writeWithExternalData } from '../testing/external-data-files.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { loadModel } from './load-model.js';

const posix = path.sep === '/';

describe.runIf(posix)('external-data locations with Windows separators', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('onnx-studio-windows-locations-');
  });
  afterEach(() => tmp.cleanup());

  /** An MLP whose first weight is at weights/w.bin, as the model says it: `weights\w.bin`. */
  const windowsModel = () =>
    writeWithExternalData(tmp.dir, 'm.onnx', buildMlp(), { 'fc1.weight': 'weights\\w.bin' });

  const refusal = () =>
    `External data location 'weights\\w.bin' of tensor 'fc1.weight' separates folders with '\\', as only Windows ` +
    `reads it: onnxruntime on this system takes it for one file name, and ${fs.realpathSync(tmp.dir)} has no file ` +
    `of that name (the data is at weights/w.bin). Re-save the model with '/' in its locations: ` +
    '`onnx-studio convert MODEL -o OUT.onnx --external-data` does, reading them as Windows does.';

  it('is refused at load (MODEL_INVALID), as onnxruntime cannot load it, saying what to do', async () => {
    const model = windowsModel();
    await expect(createSession(model)).rejects.toThrow(/External data path does not exist/);
    await expect(loadModel(model)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: refusal() });
  });

  it('inspect and bench refuse it alike: exit 2, the same line', async () => {
    const model = windowsModel();
    for (const args of [
      ['inspect', model],
      ['bench', model, '--iterations', '1', '--warmup', '0'],
    ]) {
      const r = await cli(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toBe(`onnx-studio: ${refusal()}\n`);
    }
  });

  it('convert re-saves it with a location every command and onnxruntime read', async () => {
    const model = windowsModel();
    const fixed = path.join(tmp.dir, 'fixed.onnx');
    const r = await cli(['convert', model, '-o', fixed, '--external-data']);
    expect(r.code, r.stderr).toBe(0);
    const loaded = await loadModel(fixed);
    expect(loaded.externalDataBytes).toBeGreaterThan(0);
    await (await createSession(fixed)).release();
    const inspect = await cli(['inspect', fixed, '--json']);
    expect(JSON.parse(inspect.stdout).externalDataFiles).toEqual([
      { location: 'fixed.onnx.data', bytes: loaded.externalDataBytes, tensors: expect.any(Number) },
    ]);
  });

  it('a file whose name holds the backslash is what it names, as onnxruntime here reads it', async () => {
    const model = windowsModel();
    // The data where onnxruntime on this system looks for it: a file named `weights\w.bin` beside the model.
    fs.renameSync(path.join(tmp.dir, 'weights', 'w.bin'), path.join(tmp.dir, 'weights\\w.bin'));
    await (await createSession(model)).release();
    expect((await loadModel(model)).externalDataBytes).toBe(32 * 16 * 4);
  });

  it('convert reads a file whose name holds the backslash too, as every other command does', async () => {
    const model = windowsModel();
    // Only the literal name exists: read as Windows does, the location names nothing (before: convert failed, IO).
    fs.renameSync(path.join(tmp.dir, 'weights', 'w.bin'), path.join(tmp.dir, 'weights\\w.bin'));
    fs.rmdirSync(path.join(tmp.dir, 'weights'));
    expect((await cli(['inspect', model])).code).toBe(0);
    const fixed = path.join(tmp.dir, 'fixed.onnx');
    const r = await cli(['convert', model, '-o', fixed, '--external-data']);
    expect(r.code, r.stderr).toBe(0);
    expect((await loadModel(fixed)).externalDataBytes).toBeGreaterThan(0);
    await (await createSession(fixed)).release();
  });

  it('convert takes the literal name first where both readings name a file', async () => {
    const model = windowsModel();
    // weights/w.bin stays, zeroed: the literal file holds the model's own bytes, and is what onnxruntime here reads.
    const portable = path.join(tmp.dir, 'weights', 'w.bin');
    fs.copyFileSync(portable, path.join(tmp.dir, 'weights\\w.bin'));
    fs.writeFileSync(portable, new Uint8Array(fs.statSync(portable).size));
    const fixed = path.join(tmp.dir, 'fixed.onnx');
    const r = await cli(['convert', model, '-o', fixed]);
    expect(r.code, r.stderr).toBe(0);
    const weight = (await loadModel(fixed)).proto.graph!.initializer.find((t) => t.name === 'fc1.weight');
    expect(weight?.rawData.some((b) => b !== 0)).toBe(true);
  });
});
