import { TensorProto_DataType as DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { buildCnn, buildMlp, makeModel } from '../testing/model-fixtures.js';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema } from 'onnx-buf';
import { isGuessNote, refuseUnknownDims, resolveInputSpecs } from './input-specs.js';
import { seededRandom, syntheticFeed } from './synthetic-feeds.js';

/** Token ids [batch, sequence] int64, a bool mask [batch, sequence] and an input with an unknown dim. */
function tokenModel() {
  return makeModel(
    create(GraphProtoSchema, {
      name: 'tokens',
      input: [
        makeValueInfo('input_ids', DataType.INT64, ['batch', 'sequence']),
        makeValueInfo('attention_mask', DataType.BOOL, ['batch', 'sequence']),
        makeValueInfo('extra', DataType.FLOAT, [null, 4]),
      ],
      output: [makeValueInfo('ids_out', DataType.INT64, ['batch', 'sequence'])],
      node: [makeNode('Identity', ['input_ids'], ['ids_out'])],
    }),
  );
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StudioError ? error.code : 'not a StudioError';
  }
  return undefined;
}

describe('resolveInputSpecs', () => {
  it('sets symbolic and unknown dims to 1 by default and says so', () => {
    const { inputs, notes } = resolveInputSpecs(tokenModel());
    expect(inputs.map((i) => [i.name, i.ortType, i.dims])).toEqual([
      ['input_ids', 'int64', [1, 1]],
      ['attention_mask', 'bool', [1, 1]],
      ['extra', 'float32', [1, 4]],
    ]);
    expect(inputs[0]?.declared).toEqual(['batch', 'sequence']);
    // One warning naming every defaulted dim: symbolic ones per input, unknown ones by position.
    expect(notes).toHaveLength(1);
    expect(notes[0]).toBe(
      "dim 'batch' of input 'input_ids', dim 'sequence' of input 'input_ids', dim 'batch' of input 'attention_mask', " +
        "dim 'sequence' of input 'attention_mask', unknown dim 0 of input 'extra' were set to 1 because nothing set them: " +
        'the figures are for that size. Set them with --dim NAME=N or --shape INPUT=AxBxC (the app asks in the Model view).',
    );
    expect(isGuessNote(notes[0]!)).toBe(true);
  });

  it('uses --dim values by name across inputs, and --shape for whole inputs', () => {
    const { inputs, notes } = resolveInputSpecs(tokenModel(), { dims: { batch: 2, sequence: 7 }, shapes: { extra: [3, 4] } });
    expect(inputs.map((i) => i.dims)).toEqual([
      [2, 7],
      [2, 7],
      [3, 4],
    ]);
    expect(notes).toEqual([]);
  });

  it('honours a different default dim', () => {
    const { inputs } = resolveInputSpecs(buildMlp({ batch: 'N' }), { defaultDim: 8 });
    expect(inputs[0]?.dims).toEqual([8, 16]);
  });

  it('leaves fixed dims alone and refuses --shape that contradicts them or names no input', () => {
    expect(resolveInputSpecs(buildCnn()).inputs[0]?.dims).toEqual([1, 3, 16, 16]);
    expect(code(() => resolveInputSpecs(buildCnn(), { shapes: { input: [1, 4, 16, 16] } }))).toBe('BAD_INPUT');
    expect(code(() => resolveInputSpecs(buildCnn(), { shapes: { input: [1, 3, 16] } }))).toBe('BAD_INPUT');
    expect(code(() => resolveInputSpecs(buildCnn(), { shapes: { pixels: [1, 3, 16, 16] } }))).toBe('BAD_INPUT');
  });

  it('refuses --dim naming no named dim of any model, and lists the ones there are', () => {
    const tokens = resolveInputSpecs(tokenModel(), { dims: { sequnce: 8 } });
    expect(tokens.namedDims).toEqual(['batch', 'sequence']);
    expect(() => refuseUnknownDims({ sequnce: 8 }, [tokens.namedDims])).toThrow(
      "--dim names 'sequnce', which is no named dim of the model's inputs (named dims: batch, sequence).",
    );
    const cnn = resolveInputSpecs(buildCnn(), { dims: { batch: 2 } });
    expect(code(() => refuseUnknownDims({ batch: 2 }, [cnn.namedDims]))).toBe('BAD_INPUT');
    // A name one of several models lacks is fine (bench A B with B fixed-size).
    expect(() => refuseUnknownDims({ batch: 2 }, [cnn.namedDims, tokens.namedDims])).not.toThrow();
    expect(resolveInputSpecs(tokenModel(), { dims: { sequence: 8 } }).inputs[0]?.dims).toEqual([1, 8]);
  });
});

describe('syntheticFeed', () => {
  it('is seeded, typed per input, keeps token ids small and masks all ones', () => {
    const { inputs } = resolveInputSpecs(tokenModel(), { dims: { batch: 2, sequence: 5 } });
    const a = syntheticFeed(inputs, seededRandom(3));
    const b = syntheticFeed(inputs, seededRandom(3));
    expect(a.input_ids?.type).toBe('int64');
    expect(a.input_ids?.dims).toEqual([2, 5]);
    const ids = a.input_ids?.data as BigInt64Array;
    expect([...ids].every((v) => v >= 0n && v < 100n)).toBe(true);
    expect(a.attention_mask?.type).toBe('bool');
    expect([...(a.attention_mask?.data as Uint8Array)].every((v) => v === 1)).toBe(true);
    expect([...(b.input_ids?.data as BigInt64Array)]).toEqual([...ids]);
    expect([...(b.extra?.data as Float32Array)]).toEqual([...(a.extra?.data as Float32Array)]);
  });
});

describe('--dim across several models', () => {
  it('bench and eval take a name only one of their models has, and refuse a name none has', async () => {
    const { modelBytes } = await import('../testing/model-fixtures.js');
    const { makeTempDir } = await import('../testing/temp-dir.js');
    const { runCliInProcess } = await import('../../cli/testing/run-cli.js');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const tmp = makeTempDir('onnx-studio-dims-');
    try {
      const sym = path.join(tmp.dir, 'sym.onnx');
      const fixed = path.join(tmp.dir, 'fixed.onnx');
      fs.writeFileSync(sym, modelBytes(buildMlp({ inputSize: 8, hiddenSize: 8, outputSize: 4 })));
      fs.writeFileSync(fixed, modelBytes(buildMlp({ inputSize: 8, hiddenSize: 8, outputSize: 4, batch: 1 })));
      const bench = await runCliInProcess(['bench', sym, fixed, '--dim', 'batch=1', '--iterations', '3', '--json']);
      expect(bench.code, bench.stderr).toBe(0);
      const evaluated = await runCliInProcess(['eval', fixed, '--reference', sym, '--dim', 'batch=1', '--data', 'synthetic', '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      // Without --dim only sym.onnx guesses its batch: the warning names the model it is about.
      const guessed = await runCliInProcess(['bench', sym, fixed, '--iterations', '3', '--json']);
      expect(guessed.code, guessed.stderr).toBe(0);
      const notes = (JSON.parse(guessed.stdout) as { notes: string[] }).notes;
      expect(notes.filter((n) => n.includes("dim 'batch'"))).toEqual([expect.stringMatching(/^sym(\.onnx)?: dim 'batch'/)]);
      expect(guessed.stderr.match(/warning: .*dim 'batch'/g)).toHaveLength(1);
      const typo = await runCliInProcess(['bench', sym, fixed, '--dim', 'bacth=1', '--iterations', '3']);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain("--dim names 'bacth', which is no named dim of the models' inputs (named dims: batch)");
    } finally {
      tmp.cleanup();
    }
  });
});

describe('guessed synthetic values', () => {
  it('names every integer, bool and string input nothing set, and not floats, masks or chosen ones', async () => {
    const { guessedValuesNote } = await import('./synthetic-feeds.js');
    const { inputs } = resolveInputSpecs(tokenModel());
    const note = guessedValuesNote(inputs)!;
    expect(note).toContain("'input_ids' (int64) random whole numbers 0-99");
    expect(note).not.toContain('attention_mask');
    expect(note).not.toContain('extra');
    expect(note).toContain('--value input_ids=N');
    expect(isGuessNote(note)).toBe(true);
    const chosen = resolveInputSpecs(tokenModel(), { values: { input_ids: { kind: 'constant', value: 7 } } });
    expect(guessedValuesNote(chosen.inputs)).toBeUndefined();
  });

  it('reaches the notes of a benchmark and of int8-static calibration on synthetic data', async () => {
    const { buildSpeechGateModel } = await import('../testing/awkward-models.js');
    const { modelBytes } = await import('../testing/model-fixtures.js');
    const { makeTempDir } = await import('../testing/temp-dir.js');
    const { runCliInProcess } = await import('../../cli/testing/run-cli.js');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const tmp = makeTempDir('onnx-studio-guessed-values-');
    try {
      const model = path.join(tmp.dir, 'speech.onnx');
      fs.writeFileSync(model, modelBytes(buildSpeechGateModel()));
      const guessed = "'sr' (int64) random whole numbers 0-99";
      const bench = await runCliInProcess(['bench', model, '--dim', 'samples=256', '--iterations', '3', '--json']);
      expect(bench.code, bench.stderr).toBe(0);
      expect((JSON.parse(bench.stdout) as { notes: string[] }).notes.join('\n')).toContain(guessed);
      const set = await runCliInProcess(['bench', model, '--dim', 'samples=256', '--value', 'sr=16000', '--iterations', '3', '--json']);
      expect((JSON.parse(set.stdout) as { notes: string[] }).notes.join('\n')).not.toContain("'sr'");
      const out = path.join(tmp.dir, 'speech.int8.onnx');
      const quantize = await runCliInProcess(
        ['quantize', model, '-o', out, '--method', 'int8-static', '--calib-data', 'synthetic', '--dim', 'samples=256', '--json'],
      );
      expect(quantize.code, quantize.stderr).toBe(0);
      expect((JSON.parse(quantize.stdout) as { notes: string[] }).notes.join('\n')).toContain(guessed);

      // Real calibration data brings its own shapes: no warning about the MLP's batch dim then.
      const { encodeNpy, npyDescr } = await import('../datasets/npy-format.js');
      const mlp = path.join(tmp.dir, 'mlp.onnx');
      fs.writeFileSync(mlp, modelBytes(buildMlp({ inputSize: 8, hiddenSize: 16, outputSize: 4 })));
      const samples = new Float32Array(4 * 8).map((_, i) => Math.sin(i));
      const npy = path.join(tmp.dir, 'x.npy');
      fs.writeFileSync(npy, encodeNpy(new Uint8Array(samples.buffer), [4, 8], npyDescr('float32')));
      const calibrated = ['quantize', mlp, '--method', 'int8-static', '--force', '-o', path.join(tmp.dir, 'm.onnx')];
      const real = await runCliInProcess([...calibrated, '--calib-data', npy]);
      expect(real.code, real.stderr).toBe(0);
      expect(real.stderr).not.toContain("dim 'batch'");
      const synthetic = await runCliInProcess([...calibrated, '--calib-data', 'synthetic', '--json']);
      expect(synthetic.stderr.match(/warning: dim 'batch'/g)).toHaveLength(1);
      // The same sentence is in the JSON's notes (docs/cli.md, Input spec), and eval follows the same rule.
      expect((JSON.parse(synthetic.stdout) as { notes: string[] }).notes.join('\n')).toContain("dim 'batch'");
      const evaluated = await runCliInProcess(['eval', mlp, '--data', 'synthetic', '--reference', mlp, '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      expect(evaluated.stderr.match(/warning: dim 'batch'/g)).toHaveLength(1);
      expect((JSON.parse(evaluated.stdout) as { notes: string[] }).notes.join('\n')).toContain("dim 'batch'");
    } finally {
      tmp.cleanup();
    }
  });
});
