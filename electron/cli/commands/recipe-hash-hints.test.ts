import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../../engine/datasets/npy-format.js';
import { buildMlp, modelBytes, randomFloats } from '../../engine/testing/model-fixtures.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { runCliInProcess as cli } from '../testing/run-cli.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('onnx-studio run: a recipe written without its sha256s', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());
  const model = path.join(tmp.dir, 'mlp.onnx');
  const data = path.join(tmp.dir, 'x.npy');
  fs.writeFileSync(model, modelBytes(buildMlp()));
  fs.writeFileSync(data, encodeNpyArray(randomFloats(4 * 16, 3), 'float32', [4, 1, 16]));
  const evaluation = { kind: 'eval', evaluation: { spec: { kind: 'npy', path: 'x.npy' } } };
  // Pruned first, so the eval step has the source to compare with.
  const prune = { kind: 'prune', method: 'magnitude', common: { sparsity: 0.5 } };

  it('is refused with the sha256 of each file it names, as run finds them, and runs once they are put in', async () => {
    const file = path.join(tmp.dir, 'recipe.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ version: 1, source: { name: 'mlp.onnx' }, steps: [prune, evaluation] }),
    );
    const refused = await cli(['run', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('source.sha256: missing: the sha256 of the file');
    expect(refused.stderr).toContain(`The sha256 of ${model} is ${sha256(model)}: put it in source.sha256`);
    expect(refused.stderr).toContain(
      `The sha256 of ${data} is ${sha256(data)}: put {"name": "x.npy", "sha256": "<that>"} in steps.1.evaluation.files.`,
    );
    // What the hints said makes a recipe that runs.
    const fixed = {
      version: 1,
      source: { name: 'mlp.onnx', sha256: sha256(model) },
      steps: [
        prune,
        {
          ...evaluation,
          evaluation: { ...evaluation.evaluation, files: [{ name: 'x.npy', sha256: sha256(data) }] },
        },
      ],
    };
    fs.writeFileSync(file, JSON.stringify(fixed));
    const run = await cli(['run', file, '--force']);
    expect(run.code, run.stderr).toBe(0);
  });

  it('mends a malformed entry in place, and a wrong hash is answered with the file’s whole sha256', async () => {
    const file = path.join(tmp.dir, 'malformed.json');
    const withEntry = (sha: string) => ({
      version: 1,
      source: { name: 'mlp.onnx', sha256: sha256(model) },
      steps: [
        prune,
        { ...evaluation, evaluation: { ...evaluation.evaluation, files: [{ name: 'x.npy', sha256: sha }] } },
      ],
    });
    fs.writeFileSync(file, JSON.stringify(withEntry('nope')));
    const malformed = await cli(['run', file]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      `The sha256 of ${data} is ${sha256(data)}: set steps.1.evaluation.files.0.sha256 to it.`,
    );
    // The source's hash is sound: no hint about it.
    expect(malformed.stderr).not.toContain(`The sha256 of ${model}`);
    fs.writeFileSync(file, JSON.stringify(withEntry('0'.repeat(64))));
    const wrong = await cli(['run', file]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `put its sha256 ${sha256(data)} in the recipe in place of the recorded one`,
    );
  });

  it('says nothing of a file it cannot find', async () => {
    const file = path.join(tmp.dir, 'elsewhere.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        source: { name: 'gone.onnx', sha256: 'ABC' },
        steps: [{ kind: 'eval', evaluation: { spec: { kind: 'npy', path: 'gone.npy' } } }],
      }),
    );
    const refused = await cli(['run', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('source.sha256: a sha256 as 64 lower-case hex digits');
    expect(refused.stderr).not.toContain('The sha256 of');
  });
});
