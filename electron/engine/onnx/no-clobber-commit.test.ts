import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StudioError } from '../errors.js';
import { fsError } from '../testing/fs-faults.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { commitTempFiles, copyFileAtomic, tempPathFor, writeFileAtomic } from './atomic-files.js';
import { loadModel } from './load-model.js';
import { saveModel } from './save-model.js';

/*
 * Two jobs writing one output at once (two CI jobs, one -o): both pass the "already exists" check at their
 * start, and a plain rename at the end let the second replace the first's file while both said they wrote it.
 * Without --force, the file is put in place only if its name is still free: one wins, the other is refused
 * (BAD_REQUEST, exit 2, in the start-time check's words), leaving no temp file and the winner's bytes as they are.
 */

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('onnx-studio-no-clobber-');
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const EXISTS = /already exists\. Choose another output path or pass --force to replace it\.$/;

/** A model that says who wrote it (its producer name), with weights of 1 KiB or more for external data. */
function model(producer: string) {
  const m = buildMlp({ inputSize: 64, hiddenSize: 32, outputSize: 10 });
  m.producerName = producer;
  return m;
}

async function producerOf(file: string): Promise<string> {
  return (await loadModel(file)).proto.producerName;
}

const files = () => fs.readdirSync(tmp.dir).sort();

describe('saveModel without --force, racing another job for the same output', () => {
  it('two saves started together: one writes, the other is refused; no temp file, the winner intact', async () => {
    const out = path.join(tmp.dir, 'out.onnx');
    // Both pass the start-time check (nothing is there yet) before either commits.
    const results = await Promise.allSettled([saveModel(model('a'), out), saveModel(model('b'), out)]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = results.find((r) => r.status === 'rejected');
    expect(won).toBeGreaterThanOrEqual(0);
    expect(lost).toBeDefined();
    const error = lost!.reason as StudioError;
    expect(error).toBeInstanceOf(StudioError);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe(
      `${out} already exists. Choose another output path or pass --force to replace it.`,
    );
    expect(files()).toEqual(['out.onnx']);
    expect(await producerOf(out)).toBe(won === 0 ? 'a' : 'b');
  });

  it('a model that appears between the check and the commit is kept, bytes and all', async () => {
    const out = path.join(tmp.dir, 'out.onnx');
    const winner = Buffer.from('the other job wrote this');
    let placed = false;
    await expect(
      saveModel(model('late'), out, {
        onProgress: () => {
          if (!placed) fs.writeFileSync(out, winner);
          placed = true;
        },
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(EXISTS) });
    expect(files()).toEqual(['out.onnx']);
    expect(fs.readFileSync(out).equals(winner)).toBe(true);
  });

  it('with external data: a loser leaves neither its data file nor a half-replaced pair', async () => {
    const out = path.join(tmp.dir, 'out.onnx');
    const external = { externalData: { thresholdBytes: 1024 } };
    // The other job wrote its model alone while this one wrote its data: this one's data file, already put in
    // place when the model's name turns out taken, is taken back.
    let placed = false;
    await expect(
      saveModel(model('late'), out, {
        ...external,
        onProgress: () => {
          if (!placed) fs.writeFileSync(out, 'winner');
          placed = true;
        },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${out} already exists. Choose another output path or pass --force to replace it.`,
    });
    expect(files()).toEqual(['out.onnx']);
    expect(fs.readFileSync(out, 'utf8')).toBe('winner');

    // Two saves with external data at once: the winner's .onnx and .data, and nothing of the loser.
    fs.rmSync(out);
    const results = await Promise.allSettled([
      saveModel(model('a'), out, external),
      saveModel(model('b'), out, external),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    expect(files()).toEqual(['out.onnx', 'out.onnx.data']);
    const loaded = await loadModel(out);
    expect(loaded.proto.producerName).toBe(won === 0 ? 'a' : 'b');
    expect(loaded.externalDataBytes).toBeGreaterThan(0);
  });

  it('a data file that appears meanwhile stops the save before anything is put in place', async () => {
    const out = path.join(tmp.dir, 'out.onnx');
    let placed = false;
    await expect(
      saveModel(model('late'), out, {
        externalData: { thresholdBytes: 1024 },
        onProgress: () => {
          if (!placed) fs.writeFileSync(`${out}.data`, 'their data');
          placed = true;
        },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${out}.data already exists. Choose another output path or pass --force to replace it.`,
    });
    expect(files()).toEqual(['out.onnx.data']);
    expect(fs.readFileSync(`${out}.data`, 'utf8')).toBe('their data');
  });

  it('with --force, what appeared is replaced, as before', async () => {
    const out = path.join(tmp.dir, 'out.onnx');
    let placed = false;
    await saveModel(model('forced'), out, {
      force: true,
      onProgress: () => {
        if (!placed) fs.writeFileSync(out, 'older');
        placed = true;
      },
    });
    expect(files()).toEqual(['out.onnx']);
    expect(await producerOf(out)).toBe('forced');
  });
});

describe('copyFileAtomic and writeFileAtomic without replace', () => {
  it('copyFileAtomic: a target that appears during the copy is kept and the copy refused', async () => {
    const source = path.join(tmp.dir, 'a.onnx');
    fs.writeFileSync(source, Buffer.alloc(256 * 1024, 7));
    const target = path.join(tmp.dir, 'b.onnx');
    let placed = false;
    await expect(
      copyFileAtomic(source, target, {
        replace: false,
        onProgress: () => {
          if (!placed) fs.writeFileSync(target, 'winner');
          placed = true;
        },
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(EXISTS) });
    expect(files()).toEqual(['a.onnx', 'b.onnx']);
    expect(fs.readFileSync(target, 'utf8')).toBe('winner');

    // With replace (--force), it is replaced.
    await copyFileAtomic(source, target, { replace: true });
    expect(fs.readFileSync(target).equals(fs.readFileSync(source))).toBe(true);
    expect(files()).toEqual(['a.onnx', 'b.onnx']);
  });

  it("writeFileAtomic: refused in the caller's words; by default (state files) it replaces", async () => {
    const target = path.join(tmp.dir, 'r.json');
    const racing = [
      writeFileAtomic(target, '{"a":1}', { replace: false }),
      writeFileAtomic(target, '{"b":2}', {
        replace: false,
        exists: (file) =>
          new StudioError('BAD_REQUEST', `${file} already exists. Choose another path or pass --force.`),
      }),
    ];
    // Either may commit first (under load the second one did, in CI): one is written, the other refused.
    const [first, second] = await Promise.allSettled(racing);
    expect([first!.status, second!.status].sort()).toEqual(['fulfilled', 'rejected']);
    if (second!.status === 'rejected') {
      // The refused one says it in its caller's words.
      expect(second).toMatchObject({
        reason: {
          code: 'BAD_REQUEST',
          message: `${target} already exists. Choose another path or pass --force.`,
        },
      });
      expect(fs.readFileSync(target, 'utf8')).toBe('{"a":1}');
    } else {
      expect(first).toMatchObject({ reason: { message: expect.stringMatching(/already exists/) } });
      expect(fs.readFileSync(target, 'utf8')).toBe('{"b":2}');
    }
    // Refused after the fact, in the caller's words, whichever won the race.
    await expect(
      writeFileAtomic(target, '{"d":4}', {
        replace: false,
        exists: (file) =>
          new StudioError('BAD_REQUEST', `${file} already exists. Choose another path or pass --force.`),
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${target} already exists. Choose another path or pass --force.`,
    });
    await writeFileAtomic(target, '{"c":3}');
    expect(fs.readFileSync(target, 'utf8')).toBe('{"c":3}');
    expect(files()).toEqual(['r.json']);
  });
});

describe('commitTempFiles', () => {
  /** A finished temp file for `name` holding `text`. */
  function temp(name: string, text: string): [string, string] {
    const target = path.join(tmp.dir, name);
    const file = tempPathFor(target);
    fs.writeFileSync(file, text);
    return [file, target];
  }

  it('takes back the files it placed when a later one is taken, and names the taken one', () => {
    const pairs = [temp('m.onnx.data', 'mine'), temp('m.onnx', 'mine')];
    fs.writeFileSync(path.join(tmp.dir, 'm.onnx'), 'theirs');
    expect(() => commitTempFiles(pairs, { replace: false })).toThrow(
      `${path.join(tmp.dir, 'm.onnx')} already exists. Choose another output path or pass --force to replace it.`,
    );
    // The temp files are the caller's to remove (saveModel does); the targets are as the other job left them.
    for (const [file] of pairs) fs.rmSync(file);
    expect(files()).toEqual(['m.onnx']);
    expect(fs.readFileSync(path.join(tmp.dir, 'm.onnx'), 'utf8')).toBe('theirs');
  });

  it('on a file system without hard links: claims each name exclusively, still never replacing one', () => {
    const link = vi.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw fsError('EPERM', 'link');
    });
    commitTempFiles([temp('x.onnx.data', 'data'), temp('x.onnx', 'model')], { replace: false });
    expect(link).toHaveBeenCalled();
    expect(files()).toEqual(['x.onnx', 'x.onnx.data']);
    expect(fs.readFileSync(path.join(tmp.dir, 'x.onnx'), 'utf8')).toBe('model');

    const pairs = [temp('y.onnx.data', 'mine'), temp('y.onnx', 'mine')];
    fs.writeFileSync(path.join(tmp.dir, 'y.onnx'), 'theirs');
    expect(() => commitTempFiles(pairs, { replace: false })).toThrow(/y\.onnx already exists/);
    for (const [file] of pairs) fs.rmSync(file, { force: true });
    expect(files()).toEqual(['x.onnx', 'x.onnx.data', 'y.onnx']);
    expect(fs.readFileSync(path.join(tmp.dir, 'y.onnx'), 'utf8')).toBe('theirs');
  });

  it('passes on a failure that is not a taken name', () => {
    vi.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw fsError('ENOSPC', 'link');
    });
    expect(() => commitTempFiles([temp('z.onnx', 'z')], { replace: false })).toThrow(/ENOSPC/);
  });
});
