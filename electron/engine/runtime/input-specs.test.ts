import { TensorProto_DataType as DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { buildSpeechGateModel, buildTextLineModel } from '../testing/awkward-models.js';
import { buildKvCacheLayers } from '../testing/kv-cache-layers.js';
import { buildCnn, buildMlp, makeModel, modelBytes } from '../testing/model-fixtures.js';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema } from 'onnx-buf';
import {
  guessedDimsNote,
  guessNoteForRecipe,
  isGuessNote,
  refuseUnknownDims,
  resolveInputSpecs,
  type InputsOrigin,
  type ShapeOverrides,
} from './input-specs.js';
import { seededRandom, syntheticFeed } from './synthetic-feeds.js';
import type { InputValues } from '../../../shared/input-spec.js';

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
  it('guesses symbolic and unknown dims as the app does, and names each with its size and reason', () => {
    const { inputs, notes } = resolveInputSpecs(tokenModel());
    expect(inputs.map((i) => [i.name, i.ortType, i.dims])).toEqual([
      ['input_ids', 'int64', [1, 128]],
      ['attention_mask', 'bool', [1, 128]],
      ['extra', 'float32', [1, 4]],
    ]);
    expect(inputs[0]?.declared).toEqual(['batch', 'sequence']);
    expect(inputs.map((i) => i.guessedAxes)).toEqual([[0, 1], [0, 1], [0]]);
    // One warning naming every guessed dim: symbolic ones once by name (one size for all inputs that have it),
    // unknown ones by position. Its example names the sequence, not the batch: a guessed batch of 1 is rarely
    // the size that matters.
    expect(notes).toHaveLength(1);
    expect(notes[0]).toBe(
      "dim 'batch' of inputs 'input_ids' and 'attention_mask' was guessed as 1 (batch: one sample per run), " +
        "dim 'sequence' of inputs 'input_ids' and 'attention_mask' as 128 ('sequence' reads as a sequence length), " +
        "unknown dim 0 of input 'extra' as 1 (batch: one sample per run) because nothing set them: the figures are for " +
        'those sizes. Set them with --dim sequence=SIZE or --shape input_ids=AxB (the app asks in the Model view).',
    );
    expect(isGuessNote(notes[0]!)).toBe(true);
  });

  it('quotes the example flags for the shell when an input or dim name has spaces', () => {
    // `--shape input ü x=AxB`, copied, split into three arguments.
    const model = makeModel(
      create(GraphProtoSchema, {
        name: 'spaced',
        input: [makeValueInfo('input ü x', DataType.FLOAT, ['n frames', 4])],
        output: [makeValueInfo('y', DataType.FLOAT, ['n frames', 4])],
        node: [makeNode('Identity', ['input ü x'], ['y'])],
      }),
    );
    expect(resolveInputSpecs(model).notes[0]).toMatch(/Set it with --dim 'n frames=SIZE' or --shape 'input ü x=AxB' \(/);
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

  it("sizes a named dim in every input by a --shape given for one of them, and refuses two sizes for one name", () => {
    // A BERT-like pair: input_ids=1x64 makes the mask [1, 64] too, not the guessed sequence of 128.
    const { inputs, notes } = resolveInputSpecs(tokenModel(), { shapes: { input_ids: [1, 64] } });
    expect(inputs.map((i) => i.dims)).toEqual([
      [1, 64],
      [1, 64],
      [1, 4],
    ]);
    expect(notes.join(' ')).not.toContain("'sequence'");
    const twice = () => resolveInputSpecs(tokenModel(), { shapes: { input_ids: [1, 64] }, dims: { sequence: 32 }, origin: 'flags' });
    expect(code(twice)).toBe('BAD_INPUT');
    expect(() => twice()).toThrow(
      "--shape input_ids=1x64 makes dim 'sequence' 64, but --dim sequence=32 makes it 32: a named dim is one size in every input. Give one size.",
    );
    const agreeing = resolveInputSpecs(tokenModel(), { shapes: { input_ids: [1, 64] }, dims: { sequence: 64 } });
    expect(agreeing.inputs[1]!.dims).toEqual([1, 64]);
    // Two --shape flags that disagree on a name are refused the same way, naming both.
    const shapes = { input_ids: [1, 64], attention_mask: [1, 32] };
    expect(() => resolveInputSpecs(tokenModel(), { shapes, origin: 'flags' })).toThrow(
      "--shape attention_mask=1x32 makes dim 'sequence' 32, but --shape input_ids=1x64 makes it 64",
    );
    expect(() => resolveInputSpecs(tokenModel(), { shapes, origin: 'recipe' })).toThrow(
      "The recipe's inputs.shapes attention_mask=1x32 makes dim 'sequence' 32, but the recipe's inputs.shapes input_ids=1x64 makes it 64",
    );
  });

  it("names unmarked shapes (a benchmark's: bench's or the app's) by the shapes, not by --shape flags nobody typed (user test 3a, finding 2)", () => {
    // The spec a user saved in the Model view before the form refused it: every benchmark failed on "--shape".
    const shapes = { input_ids: [1, 16], attention_mask: [1, 128] };
    expect(() => resolveInputSpecs(tokenModel(), { shapes })).toThrow(
      "The shape 1x128 of input 'attention_mask' makes dim 'sequence' 128, but the shape 1x16 of input 'input_ids' makes it 16: a named dim is one size in every input. Give one size.",
    );
  });

  it("names where each size was set: the app's Model view for its input spec, the flag for the command line", () => {
    // One conflict, one wording per source: the app's user typed no --shape, and a CLI user no Model view.
    const conflict = { input_ids: [1, 16], attention_mask: [1, 128] };
    const refusal = (origin: InputsOrigin, overrides: ShapeOverrides) => {
      try {
        resolveInputSpecs(tokenModel(), { ...overrides, origin });
      } catch (error) {
        return (error as Error).message;
      }
      return undefined;
    };
    expect(refusal('app', { shapes: conflict })).toBe(
      "The Model view's shape 1x128 for input 'attention_mask' makes dim 'sequence' 128, but the Model view's shape " +
        "1x16 for input 'input_ids' makes it 16: a named dim is one size in every input. Give one size.",
    );
    expect(refusal('flags', { shapes: conflict })).toBe(
      "--shape attention_mask=1x128 makes dim 'sequence' 128, but --shape input_ids=1x16 makes it 16: a named dim is " +
        'one size in every input. Give one size.',
    );
    // A name that is no input of the model (a spec saved for another model), shapes and values alike.
    const inputs = '(inputs: input_ids, attention_mask, extra).';
    expect(refusal('app', { shapes: { ids: [1, 8] } })).toBe(
      `The Model view's input spec names 'ids', which is not an input of the model ${inputs}`,
    );
    expect(refusal('flags', { shapes: { ids: [1, 8] } })).toBe(
      `--shape names 'ids', which is not an input of the model ${inputs}`,
    );
    expect(refusal('app', { values: { sr: { kind: 'constant', value: 1 } } })).toBe(
      `The Model view's input spec names 'sr', which is not an input of the model ${inputs}`,
    );
    expect(refusal('flags', { values: { sr: { kind: 'constant', value: 1 } } })).toBe(
      `--value names 'sr', which is not an input of the model ${inputs}`,
    );
    expect(refusal('recipe', { values: { sr: { kind: 'constant', value: 1 } } })).toBe(
      `The recipe's inputs.values names 'sr', which is not an input of the model ${inputs}`,
    );
    // A shape of the wrong rank, or against a dim the model fixes.
    expect(refusal('app', { shapes: { extra: [1, 4, 4] } })).toBe(
      "The Model view's shape 1x4x4 for input 'extra' has 3 dims but the model declares 2: [?, 4].",
    );
    expect(refusal('flags', { shapes: { extra: [1, 4, 4] } })).toBe(
      '--shape extra=1x4x4 has 3 dims but the model declares 2: [?, 4].',
    );
    expect(refusal('app', { shapes: { extra: [1, 5] } })).toBe(
      "The Model view's shape 1x5 for input 'extra': dim 1 is fixed to 4 by the model, got 5.",
    );
    expect(refusal('recipe', { shapes: { extra: [1, 5] } })).toBe(
      "The recipe's inputs.shapes extra=1x5: dim 1 is fixed to 4 by the model, got 5.",
    );
    // What data of other sizes is told set a size (datasets/input-match.ts quotes it), and only flags are strict.
    const setBy = (origin: InputsOrigin, overrides: ShapeOverrides) =>
      resolveInputSpecs(tokenModel(), { ...overrides, origin }).inputs.map((i) => [
        i.setBy?.[1],
        i.strictSizes,
      ]);
    const shapes = { input_ids: [1, 32] };
    expect(setBy('app', { shapes })).toEqual([
      ["the Model view's input spec", undefined],
      ["the Model view's input spec", undefined],
      [undefined, undefined],
    ]);
    expect(setBy('flags', { shapes })).toEqual([
      ['--shape input_ids=1x32', true],
      ['--shape input_ids=1x32', true],
      [undefined, undefined],
    ]);
    expect(setBy('recipe', { dims: { sequence: 32 } })[0]).toEqual([
      "the recipe's inputs.dims sequence=32",
      undefined,
    ]);
    expect(setBy('flags', { dims: { sequence: 32 } })[0]).toEqual(['--dim sequence=32', true]);
  });

  it('honours a default dim a caller gives, over the guesses', () => {
    const { inputs } = resolveInputSpecs(buildMlp({ batch: 'N' }), { defaultDim: 8 });
    expect(inputs[0]?.dims).toEqual([8, 16]);
    const line = resolveInputSpecs(buildTextLineModel(), { defaultDim: 4 });
    expect(line.inputs[0]?.dims).toEqual([4, 3, 48, 4]);
    expect(line.notes[0]).toMatch(/^unknown dim 0 of input 'x' was guessed as 4 \(the size asked for open dims\), unknown dim 3/);
    // --dim still wins over the default.
    expect(resolveInputSpecs(buildMlp({ batch: 'N' }), { defaultDim: 8, dims: { N: 2 } }).inputs[0]?.dims).toEqual([2, 16]);
  });

  it('leaves fixed dims alone and refuses --shape that contradicts them or names no input', () => {
    const fixed = resolveInputSpecs(buildCnn());
    expect(fixed.inputs[0]?.dims).toEqual([1, 3, 16, 16]);
    expect(fixed.inputs[0]?.guessedAxes).toBeUndefined();
    expect(fixed.notes).toEqual([]);
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
    // A recipe's are named by its field, and a whole shape is offered in the recipe's words.
    const cnnDims = resolveInputSpecs(buildCnn()).namedDims;
    expect(() => refuseUnknownDims({ Q: 3 }, [cnnDims], 'recipe')).toThrow(
      "The recipe's inputs.dims names 'Q', which is no named dim of the model's inputs (they have no named dims; use inputs.shapes).",
    );
    const cnn = resolveInputSpecs(buildCnn(), { dims: { batch: 2 } });
    expect(code(() => refuseUnknownDims({ batch: 2 }, [cnn.namedDims]))).toBe('BAD_INPUT');
    // A name one of several models lacks is fine (bench A B with B fixed-size).
    expect(() => refuseUnknownDims({ batch: 2 }, [cnn.namedDims, tokens.namedDims])).not.toThrow();
    expect(resolveInputSpecs(tokenModel(), { dims: { sequence: 8 } }).inputs[0]?.dims).toEqual([1, 8]);
  });
});

describe('syntheticFeed', () => {
  it('refuses an input that declares no shape at all (not a scalar) until --shape gives one', () => {
    const shapeless = makeValueInfo('x', DataType.FLOAT, [1, 4]);
    if (shapeless.type?.value.case === 'tensorType') delete shapeless.type.value.value.shape;
    const model = makeModel(
      create(GraphProtoSchema, {
        name: 'shapeless',
        input: [shapeless],
        output: [makeValueInfo('y', DataType.FLOAT, [1, 4])],
        node: [makeNode('Identity', ['x'], ['y'])],
      }),
    );
    const { inputs } = resolveInputSpecs(model);
    expect(inputs[0]).toMatchObject({ dims: [], rankUnknown: true });
    expect(() => syntheticFeed(inputs, seededRandom(0))).toThrow(
      /Input 'x' has no declared shape, not even a number of dims, so synthetic data cannot be made for it\. Give its whole shape: --shape x=AxB/,
    );
    const given = resolveInputSpecs(model, { shapes: { x: [2, 4] } }).inputs;
    expect(given[0]).not.toHaveProperty('rankUnknown');
    expect(syntheticFeed(given, seededRandom(0)).x?.dims).toEqual([2, 4]);
  });

  it('is seeded, typed per input, keeps token ids small and feeds the bool mask its guess', () => {
    const { inputs } = resolveInputSpecs(tokenModel(), { dims: { batch: 2, sequence: 5 } });
    const a = syntheticFeed(inputs, seededRandom(3));
    const b = syntheticFeed(inputs, seededRandom(3));
    expect(a.input_ids?.type).toBe('int64');
    expect(a.input_ids?.dims).toEqual([2, 5]);
    const ids = a.input_ids?.data as BigInt64Array;
    expect([...ids].every((v) => v >= 0n && v < 100n)).toBe(true);
    expect(a.attention_mask?.type).toBe('bool');
    // The app's guess for a bool input, whatever its name (shared/input-spec.ts): random true/false.
    // A mask, bool or not, is all on: a random bool mask would hide half the sequence.
    expect(inputs[1]?.values).toEqual({ kind: 'constant', value: 1 });
    expect([...(a.attention_mask?.data as Uint8Array)].every((v) => v === 1)).toBe(true);
    expect([...(b.input_ids?.data as BigInt64Array)]).toEqual([...ids]);
    expect([...(b.extra?.data as Float32Array)]).toEqual([...(a.extra?.data as Float32Array)]);
  });

  it('fills an integer mask with ones and a single number with 1, as the app guesses', () => {
    const model = makeModel(
      create(GraphProtoSchema, {
        name: 'masked',
        input: [makeValueInfo('attention_mask', DataType.INT64, ['batch', 'sequence']), makeValueInfo('steps', DataType.INT32, [1])],
        output: [makeValueInfo('out', DataType.INT64, ['batch', 'sequence'])],
        node: [makeNode('Identity', ['attention_mask'], ['out'])],
      }),
    );
    const { inputs } = resolveInputSpecs(model);
    expect(inputs.map((i) => [i.name, i.values, i.valuesGuess])).toEqual([
      ['attention_mask', { kind: 'constant', value: 1 }, 'a mask: every position on'],
      ['steps', { kind: 'constant', value: 1 }, 'a single number: set the value the model expects'],
    ]);
    const feed = syntheticFeed(inputs, seededRandom(1));
    expect([...(feed.attention_mask?.data as BigInt64Array)].every((v) => v === 1n)).toBe(true);
    expect([...(feed.steps?.data as Int32Array)]).toEqual([1]);
  });
});

describe('the guesses the app prefills its input spec with', () => {
  it('give an audio model one second at the rate of its sr input, and the model runs on them', async () => {
    const { inputs, notes } = resolveInputSpecs(buildSpeechGateModel());
    expect(inputs.map((i) => [i.name, i.dims, i.values])).toEqual([
      ['audio', [1, 16000], undefined],
      ['sr', [1], { kind: 'constant', value: 16000 }],
    ]);
    expect(notes).toEqual([
      "dim 'samples' of input 'audio' was guessed as 16000 ('samples' reads as an audio length: one second at the " +
        "16000 Hz of 'sr') because nothing set it: the figures are for that size. Set it with --dim samples=SIZE or " +
        '--shape audio=AxB (the app asks in the Model view).',
    ]);
    const { guessedValuesNote } = await import('./synthetic-feeds.js');
    expect(guessedValuesNote(inputs)).toBe(
      "Synthetic data filled 'sr' (int64) with 16000 (a sample rate: 16 kHz, the usual rate of speech models), " +
        'because nothing set it: the figures are for those values. Set real ones with --value sr=N (one value) or ' +
        '--value sr=MIN:MAX (a range; the app asks in the Model view).',
    );
    // A recipe run names the recipe's inputs instead of flags it does not take; what was guessed is kept.
    expect(guessNoteForRecipe(notes[0]!)).toBe(
      "dim 'samples' of input 'audio' was guessed as 16000 ('samples' reads as an audio length: one second at the " +
        "16000 Hz of 'sr') because nothing set it: the figures are for that size. Set it in the recipe's " +
        '"inputs" ("dims": {"NAME": SIZE}, or "shapes": {"INPUT": [SIZES]}), then run it again.',
    );
    expect(guessNoteForRecipe(guessedValuesNote(inputs)!)).toMatch(
      /for those values\. Set real ones in the recipe's "inputs" \("values": \{"INPUT": \{"kind": "constant", "value": N\}\}\), then run it again\.$/,
    );
    expect(isGuessNote(guessNoteForRecipe(notes[0]!))).toBe(true);
    const feed = syntheticFeed(inputs, seededRandom(0));
    expect([...(feed.sr?.data as BigInt64Array)]).toEqual([16000n]);
    // The model frames the audio by 64 samples: the old guess of 1 failed in its Reshape.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(modelBytes(buildSpeechGateModel()));
    try {
      const out = await session.run(feed);
      expect(out.speech?.dims).toEqual([8]);
    } finally {
      await session.release();
    }
  });

  it('give a text line of height 48 a width of 320, and fit the dims the user set', () => {
    const { inputs, notes } = resolveInputSpecs(buildTextLineModel());
    expect(inputs[0]?.dims).toEqual([1, 3, 48, 320]);
    expect(notes).toEqual([
      "unknown dim 0 of input 'x' was guessed as 1 (batch: one sample per run), unknown dim 3 of input 'x' as 320 " +
        '(width of a 48-pixel-high text line) because nothing set them: the figures are for those sizes. Set them ' +
        'with --shape x=AxBxCxD (the app asks in the Model view).',
    ]);
    // A height set with --dim makes the open width a text line's too (the guesses see what was set).
    const image = makeModel(
      create(GraphProtoSchema, {
        name: 'image',
        input: [makeValueInfo('pixels', DataType.FLOAT, ['n', 3, 'h', 'w'])],
        output: [makeValueInfo('out', DataType.FLOAT, ['n', 3, 'h', 'w'])],
        node: [makeNode('Identity', ['pixels'], ['out'])],
      }),
    );
    expect(resolveInputSpecs(image).inputs[0]?.dims).toEqual([1, 3, 224, 224]);
    const line = resolveInputSpecs(image, { dims: { h: 48 } });
    expect(line.inputs[0]?.dims).toEqual([1, 3, 48, 320]);
    expect(line.inputs[0]?.guessedAxes).toEqual([0, 3]);
    expect(line.notes[0]).not.toContain("'h'");
  });

  it('give way to --dim, --shape and --value', async () => {
    const { inputs, notes } = resolveInputSpecs(buildSpeechGateModel(), { dims: { samples: 8000 }, values: { sr: { kind: 'constant', value: 8000 } } });
    expect(inputs.map((i) => [i.name, i.dims, i.values, i.valuesGuess])).toEqual([
      ['audio', [1, 8000], undefined, undefined],
      ['sr', [1], { kind: 'constant', value: 8000 }, undefined],
    ]);
    expect(notes).toEqual([]);
    const { guessedValuesNote } = await import('./synthetic-feeds.js');
    expect(guessedValuesNote(inputs)).toBeUndefined();
    expect(resolveInputSpecs(buildTextLineModel(), { shapes: { x: [2, 3, 48, 100] } })).toMatchObject({
      inputs: [{ dims: [2, 3, 48, 100] }],
      notes: [],
    });
  });

  it('refuse a fractional --value for an integer input, by the rule the app applies, before anything is drawn', () => {
    // --value sr=1.5:3 drew 2.5, and the job failed on "value 2.5 is not a whole number", a value nobody typed.
    const fractional = (values: InputValues) => () =>
      resolveInputSpecs(buildSpeechGateModel(), { dims: { samples: 8000 }, values: { sr: values } });
    expect(fractional({ kind: 'range', min: 1.5, max: 3 })).toThrow("Input 'sr' is int64: it takes whole numbers, and 1.5 is not one.");
    expect(fractional({ kind: 'constant', value: 2.5 })).toThrow(/and 2\.5 is not one/);
    expect(fractional({ kind: 'range', min: 8000, max: 16000 })).not.toThrow();
  });
});

describe('--dim across several models', () => {
  it('bench and eval take a name only one of their models has, and refuse a name none has', async () => {
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
  it('names every integer and bool input nothing set with its guess and reason, and not floats or chosen ones', async () => {
    const { guessedValuesNote } = await import('./synthetic-feeds.js');
    const { inputs } = resolveInputSpecs(tokenModel());
    const note = guessedValuesNote(inputs)!;
    expect(note).toContain("'input_ids' (int64) with random whole numbers 0-99 (ids or indices: 0 to 99, small enough for most tables)");
    expect(note).toContain("'attention_mask' (bool) with true (a mask: every position on),");
    expect(note).not.toContain('extra');
    expect(note).toContain('--value input_ids=N');
    expect(isGuessNote(note)).toBe(true);
    const chosen = resolveInputSpecs(tokenModel(), { values: { input_ids: { kind: 'constant', value: 7 } } });
    expect(guessedValuesNote(chosen.inputs)).not.toContain('input_ids');
    expect(guessedValuesNote(chosen.inputs)).toContain('attention_mask');
    const bothChosen = resolveInputSpecs(tokenModel(), {
      values: { input_ids: { kind: 'constant', value: 7 }, attention_mask: { kind: 'constant', value: 1 } },
    });
    expect(guessedValuesNote(bothChosen.inputs)).toBeUndefined();
    // Integer and bool inputs have their values from resolveInputSpecs: none left to a fallback fill.
    expect(guessedValuesNote([{ ...inputs[0]!, values: undefined, valuesGuess: undefined }])).toBeUndefined();
  });

  it('reaches the notes of a benchmark and of int8-static calibration on synthetic data', async () => {
    const { makeTempDir } = await import('../testing/temp-dir.js');
    const { runCliInProcess } = await import('../../cli/testing/run-cli.js');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const tmp = makeTempDir('onnx-studio-guessed-values-');
    try {
      const model = path.join(tmp.dir, 'speech.onnx');
      fs.writeFileSync(model, modelBytes(buildSpeechGateModel()));
      const guessed = "'sr' (int64) with 16000 (a sample rate: 16 kHz, the usual rate of speech models)";
      const audioLength = "dim 'samples' of input 'audio' was guessed as 16000 ('samples' reads as an audio length";
      // No --dim: the model runs on the app's guesses, and both are said on stderr and in notes[].
      const bench = await runCliInProcess(['bench', model, '--iterations', '3', '--json']);
      expect(bench.code, bench.stderr).toBe(0);
      const benchNotes = (JSON.parse(bench.stdout) as { notes: string[] }).notes.join('\n');
      expect(benchNotes).toContain(guessed);
      expect(benchNotes).toContain(audioLength);
      expect(bench.stderr).toContain(`warning: ${audioLength}`);
      expect(bench.stderr).toContain(`warning: Synthetic data filled ${guessed}`);
      const text = await runCliInProcess(['bench', model, '--iterations', '3']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout + text.stderr).toContain(audioLength);
      expect(text.stdout + text.stderr).toContain(guessed);
      const set = await runCliInProcess(['bench', model, '--dim', 'samples=256', '--value', 'sr=16000', '--iterations', '3', '--json']);
      expect((JSON.parse(set.stdout) as { notes: string[] }).notes.join('\n')).not.toContain("'sr'");
      const out = path.join(tmp.dir, 'speech.int8.onnx');
      const quantize = await runCliInProcess(['quantize', model, '-o', out, '--method', 'int8-static', '--calib-data', 'synthetic', '--json']);
      expect(quantize.code, quantize.stderr).toBe(0);
      const quantizeNotes = (JSON.parse(quantize.stdout) as { notes: string[] }).notes.join('\n');
      expect(quantizeNotes).toContain(guessed);
      expect(quantizeNotes).toContain(audioLength);
      const evaluated = await runCliInProcess(['eval', out, '--reference', model, '--data', 'synthetic', '--samples', '2', '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      const evalNotes = (JSON.parse(evaluated.stdout) as { notes: string[] }).notes.join('\n');
      expect(evalNotes).toContain(guessed);
      expect(evalNotes).toContain(audioLength);

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
      const mlpEval = await runCliInProcess(['eval', mlp, '--data', 'synthetic', '--reference', mlp, '--json']);
      expect(mlpEval.code, mlpEval.stderr).toBe(0);
      expect(mlpEval.stderr.match(/warning: dim 'batch'/g)).toHaveLength(1);
      expect((JSON.parse(mlpEval.stdout) as { notes: string[] }).notes.join('\n')).toContain("dim 'batch'");
    } finally {
      tmp.cleanup();
    }
  });

  it("names a dim's first inputs and how many more where many share it (a decoder's cache inputs)", () => {
    const inputs = ['input_ids', 'attention_mask', ...Array.from({ length: 16 }, (_, i) => `past_key_values.${i >> 1}.${i % 2 ? 'value' : 'key'}`)];
    const note = guessedDimsNote([{ name: 'batch_size', inputs, axis: 0, rank: 2, value: 1, reason: 'batch: one sample per run', batch: true }]);
    expect(note).toMatch(
      /^dim 'batch_size' of inputs 'input_ids', 'attention_mask', 'past_key_values.0.key', 'past_key_values.0.value' and 14 more was guessed as 1 /,
    );
  });

  it("names a decoder's cache inputs as their group where their shapes tell them (the Guessed: lines)", () => {
    // A 4-layer decoder (8 cache inputs): 'past_key_values.0.key', ... and 2 more, the tester read, named every one.
    const { notes } = resolveInputSpecs(buildKvCacheLayers(4));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^dim 'batch_size' of inputs 'input_ids', 'attention_mask' and past_key_values\.0\.\.3\.key\/value \(8 inputs\) was guessed as 1 /,
    );
    expect(notes[0]).toContain(
      ", dim 'past_sequence_length' of inputs past_key_values.0..3.key/value (8 inputs) as 0 ('past_sequence_length' reads",
    );
    expect(notes[0]).not.toContain("'past_key_values.1.key'");
    // Many inputs that are no cache are still cut after 4, counting the inputs left (a group's each).
    const kv = ['b', 2, 'past', 8];
    const inputs = ['a', 'b', 'c', 'd', 'e', 'f', ...['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key']];
    const shapes = inputs.map((n) => (n.startsWith('past') ? kv : ['b', 4]));
    const note = guessedDimsNote([{ name: 'b', inputs, shapes, axis: 0, rank: 2, value: 1, reason: 'batch', batch: true }]);
    expect(note).toMatch(/^dim 'b' of inputs 'a', 'b', 'c', 'd' and 5 more was guessed as 1 /);
  });
});

