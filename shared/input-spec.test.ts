import { describe, expect, it } from 'vitest';
import { sameShapes } from './latency-stats.js';
import {
  parseShapeText,
  bracketedShape,
  describeInputShape,
  guessInputSpec,
  inputSpecProblem,
  inputValuesProblem,
  measuredOffSpec,
  namedDimConflictMessage,
  namedDimSizes,
  needsInputSpec,
  shortShapes,
  specFromGuesses,
  specShapesFor,
  syntheticValues,
} from './input-spec.js';

describe('input spec guesses', () => {
  it('guesses batch 1, a text line 320 wide beside a 48-pixel height, and says why', () => {
    const [x] = guessInputSpec([{ name: 'x', dtype: 'float32', shape: [null, 3, 48, null] }]);
    expect(x!.dims.map((d) => d.value)).toEqual([1, 3, 48, 320]);
    expect(x!.dims[0]!.reason).toMatch(/batch/);
    expect(x!.dims[3]!.reason).toMatch(/48-pixel-high text line/);
    expect(x!.dims[1]!.source).toBe('model');
    // A height given by name (`--dim H=48`, a field typed in the form) is read the same way, and kept as given.
    const [named] = guessInputSpec(
      [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }],
      {},
      { H: 48 },
    );
    expect(named!.dims.map((d) => d.value)).toEqual([1, 3, 48, 320]);
    expect(named!.dims[2]).toEqual({ value: 48, source: 'set', reason: "'H' set to 48" });
    expect(named!.declared).toEqual(['N', 3, 'H', 'W']);
  });

  it('guesses square images, sequence lengths by name, and 1 with a reason when nothing tells', () => {
    const spec = specFromGuesses(
      guessInputSpec([
        { name: 'image', dtype: 'float32', shape: ['batch', 3, 'height', 'width'] },
        { name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] },
        { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'sequence'] },
        { name: 'audio', dtype: 'float32', shape: [1, 'samples'] },
        { name: 'sr', dtype: 'int64', shape: [1] },
      ]),
    );
    expect(spec.shapes).toEqual({ image: [1, 3, 224, 224], input_ids: [1, 128], attention_mask: [1, 128], audio: [1, 16000], sr: [1] });
    expect(spec.values).toEqual({
      input_ids: { kind: 'range', min: 0, max: 99 },
      attention_mask: { kind: 'constant', value: 1 },
      sr: { kind: 'constant', value: 16000 },
    });
    const [x] = guessInputSpec([{ name: 'x', dtype: 'float32', shape: [1, 'foo'] }]);
    expect(x!.dims[1]).toMatchObject({ value: 1, source: 'default', reason: expect.stringMatching(/nothing tells the size of 'foo'/) });
  });

  it("reads a KV cache's named length as a length, not a square image, though it has 4 heads", () => {
    // [batch, heads, past_sequence_length, head_size] of a 4-head decoder: an RGBA image's rank and axis 1. The past
    // is empty at a first step (cache-dims.test.ts); a cross-attention cache's encoder length is a sequence.
    const [past, cross] = guessInputSpec([
      { name: 'past_key_values.0.key', dtype: 'float32', shape: ['batch', 4, 'past_sequence_length', 64] },
      { name: 'past_key_values.0.encoder.key', dtype: 'float32', shape: ['batch', 4, 'encoder_sequence_length', 64] },
    ]);
    expect(past!.dims[2]).toMatchObject({ value: 0, source: 'name' });
    expect(cross!.dims[2]).toMatchObject({ value: 128, reason: "'encoder_sequence_length' reads as a sequence length" });
    // An image's own sides stay an image's.
    const [image] = guessInputSpec([{ name: 'x', dtype: 'float32', shape: [1, 4, 'h', 64] }]);
    expect(image!.dims[2]!.reason).toMatch(/image|text line/);
  });

  it('gives a waveform beside a sample-rate input one second of audio at the guessed rate, and says so', () => {
    // audio [1, samples] + sr int64 scalar: samples prefilled with 1 made every job fail on the model's Reshape.
    for (const dim of ['samples', 'time', 'length', 'unk__7', null]) {
      const [audio, sr] = guessInputSpec([
        { name: 'audio', dtype: 'float32', shape: [1, dim] },
        { name: 'sr', dtype: 'int64', shape: [] },
      ]);
      expect(sr!.values).toMatchObject({ values: { kind: 'constant', value: 16000 } });
      expect(audio!.dims[1]).toMatchObject({ value: 16000, source: 'name', reason: expect.stringMatching(/one second at the 16000 Hz of 'sr'/) });
    }
    // Without a sample-rate input, a sample count or a waveform's unnamed length is still one second, not 1.
    const [alone] = guessInputSpec([{ name: 'audio', dtype: 'float32', shape: [1, 'samples'] }]);
    expect(alone!.dims[1]).toMatchObject({ value: 16000, reason: expect.stringMatching(/audio length: one second at 16 kHz/) });
    const [wave] = guessInputSpec([{ name: 'waveform', dtype: 'float32', shape: [1, null] }]);
    expect(wave!.dims[1]!.value).toBe(16000);
    // A time dim that is not a waveform's stays a sequence length; features beside it are not audio.
    const [feats] = guessInputSpec([{ name: 'feats', dtype: 'float32', shape: ['batch', 'time', 80] }]);
    expect(feats!.dims[1]).toMatchObject({ value: 128, reason: expect.stringMatching(/sequence length/) });
  });

  it('reads num_samples as a batch only in the leading position; after the batch it is an audio length', () => {
    // audio-samplerate.onnx: num_samples prefilled with 1 made every job fail on the model's Reshape.
    const [audio, rate] = guessInputSpec([
      { name: 'audio', dtype: 'float32', shape: [1, 'num_samples'] },
      { name: 'sample_rate', dtype: 'int64', shape: [] },
    ]);
    expect(audio!.dims[1]).toMatchObject({ value: 16000, source: 'name', reason: expect.stringMatching(/'num_samples' .*audio length/) });
    expect(audio!.dims[1]!.reason).not.toMatch(/batch size/);
    expect(rate!.values).toMatchObject({ values: { kind: 'constant', value: 16000 } });
    // Leading, it is still the batch; so is any other batch name there.
    const [lead] = guessInputSpec([{ name: 'x', dtype: 'float32', shape: ['num_samples', 'n_samples'] }]);
    expect(lead!.dims.map((d) => [d.value, d.source])).toEqual([
      [1, 'batch'],
      [16000, 'name'],
    ]);
    const [single] = guessInputSpec([{ name: 'x', dtype: 'float32', shape: ['batch_size'] }]);
    expect(single!.dims[0]).toMatchObject({ value: 1, source: 'batch' });
    // Another batch name elsewhere still reads as one (`[sequence, batch, features]` of recurrent exports).
    const [late] = guessInputSpec([{ name: 'x', dtype: 'float32', shape: ['sequence', 'batch', 8] }]);
    expect(late!.dims[1]).toMatchObject({ value: 1, source: 'batch' });
  });

  it('asks only when a dim is open or an input is not a float', () => {
    expect(needsInputSpec([{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }])).toBe(false);
    expect(needsInputSpec([{ name: 'x', dtype: 'float32', shape: ['n', 3, 8, 8] }])).toBe(true);
    expect(needsInputSpec([{ name: 'sr', dtype: 'int64', shape: [1] }])).toBe(true);
  });

  it('refuses a spec that does not fit the model, naming the input', () => {
    const inputs = [{ name: 'x', dtype: 'float32', shape: [null, 3, 48, null] }];
    expect(inputSpecProblem(inputs, { shapes: { x: [1, 3, 48, 320] } })).toBeUndefined();
    expect(inputSpecProblem(inputs, { shapes: { x: [1, 4, 48, 320] } })).toMatch(/'x': dim 1 is fixed to 3/);
    expect(inputSpecProblem(inputs, { shapes: { x: [1, 3, 48] } })).toMatch(/takes 4 dims/);
    expect(inputSpecProblem(inputs, { shapes: {} })).toMatch(/'x' has no shape/);
    // A model that declares no shape at all takes the spec's shape, whatever its number of dims.
    const shapeless = [{ name: 'x', dtype: 'float32', shape: [], rankUnknown: true as const }];
    expect(inputSpecProblem(shapeless, { shapes: { x: [2, 64] } })).toBeUndefined();
    expect(inputSpecProblem(shapeless, { shapes: { x: [2, 0] } })).toBe("Input 'x': every dim must be at least 1.");
    expect(inputSpecProblem(shapeless, { shapes: {} })).toBe("Input 'x' has no shape in the model: give its whole shape.");
    // A dim too small is named as the form labels it.
    const named = [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }];
    expect(inputSpecProblem(named, { shapes: { x: [1, 3, 8, 0] } })).toBe(
      "Input 'x': W must be at least 1 (only a KV cache's past length may be 0).",
    );
    expect(inputSpecProblem(inputs, { shapes: { x: [1, 3, 48, 320] }, values: { y: { kind: 'constant', value: 1 } } })).toMatch(/'y' is not an input/);
  });

  it('refuses one named dim at two sizes, the rule the engine applies to --shape (user test 3a, finding 2)', () => {
    const tokens = [
      { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
      { name: 'extra', dtype: 'float32', shape: [null, null] },
    ];
    const shapes = { input_ids: [1, 16], attention_mask: [1, 128], extra: [1, 4] };
    // The spec a user saved: every benchmark then failed on it.
    expect(inputSpecProblem(tokens, { shapes })).toBe(
      "Input 'attention_mask' makes dim 'seq' 128, but input 'input_ids' makes it 16: a named dim is one size in every input. Give one size.",
    );
    expect(inputSpecProblem(tokens, { shapes: { ...shapes, attention_mask: [1, 16] } })).toBeUndefined();
    // Unnamed dims belong to their own input: `extra [?, ?]` may differ from anything.
    expect(inputSpecProblem(tokens, { shapes: { ...shapes, attention_mask: [1, 16], extra: [7, 9] } })).toBeUndefined();
    const { sizes, conflict } = namedDimSizes(tokens, shapes, { batch: 1 });
    expect(conflict).toEqual({
      dim: 'seq',
      first: { size: 16, source: { kind: 'shape', input: 'input_ids', axis: 1, shape: [1, 16] } },
      later: { size: 128, source: { kind: 'shape', input: 'attention_mask', axis: 1, shape: [1, 128] } },
    });
    expect(sizes.get('batch')).toEqual({ size: 1, source: { kind: 'dim' } });
    // A size given the name comes first; the caller says what gave each size in its own words.
    const flags = namedDimSizes(tokens, { input_ids: [1, 64] }, { seq: 32 }).conflict!;
    expect(
      namedDimConflictMessage(flags, (source, size) =>
        source.kind === 'dim' ? `--dim seq=${size}` : `--shape ${source.input}=${source.shape.join('x')}`,
      ),
    ).toBe("--shape input_ids=1x64 makes dim 'seq' 64, but --dim seq=32 makes it 32: a named dim is one size in every input. Give one size.");
  });

  it('refuses values an input cannot take: fractions for integers, a range upside down, a bool beyond 0..1', () => {
    const sr = { name: 'sr', dtype: 'int64' };
    // The user test: From 1.5, To 3 for an int64 input drew 2.5, and every job failed on a value nobody typed.
    expect(inputValuesProblem(sr, { kind: 'range', min: 1.5, max: 3 })).toEqual({
      part: 'min',
      message: "Input 'sr' is int64: it takes whole numbers, and 1.5 is not one.",
    });
    expect(inputValuesProblem(sr, { kind: 'range', min: 1, max: 3.5 })).toMatchObject({ part: 'max' });
    expect(inputValuesProblem(sr, { kind: 'constant', value: 2.5 })).toMatchObject({ part: 'value', message: /2\.5 is not one/ });
    expect(inputValuesProblem(sr, { kind: 'range', min: 16000, max: 8000 })).toEqual({
      part: 'max',
      message: "Input 'sr': give a range from a smaller to a larger number.",
    });
    expect(inputValuesProblem(sr, { kind: 'constant', value: NaN })).toEqual({ part: 'value', message: "Input 'sr': give a number." });
    expect(inputValuesProblem(sr, { kind: 'range', min: 8000, max: 16000 })).toBeUndefined();
    // Floats take any number; a bool's range is false to true.
    expect(inputValuesProblem({ name: 'gain', dtype: 'float32' }, { kind: 'range', min: 0.5, max: 1.5 })).toBeUndefined();
    expect(inputValuesProblem({ name: 'flag', dtype: 'bool' }, { kind: 'range', min: 0, max: 2 })).toMatchObject({ part: 'max' });
    // The backend stores no such spec (experiment.set checks with inputSpecProblem).
    const model = [{ name: 'sr', dtype: 'int64', shape: [1] }];
    expect(inputSpecProblem(model, { shapes: { sr: [1] }, values: { sr: { kind: 'range', min: 1.5, max: 3 } } })).toBe(
      "Input 'sr' is int64: it takes whole numbers, and 1.5 is not one.",
    );
    expect(inputSpecProblem(model, { shapes: { sr: [1] }, values: { sr: { kind: 'constant', value: 16000 } } })).toBeUndefined();
  });

  it('writes shapes short', () => {
    expect(shortShapes([{ name: 'x', shape: [1, 3, 48, 320] }])).toBe('1x3x48x320');
    expect(shortShapes([{ name: 'audio', shape: [1, 16000] }, { name: 'sr', shape: [1] }])).toBe('audio 1x16000, sr [1]');
    // A scalar says so instead of an empty shape ("audio 1x16000, sample_rate ").
    expect(shortShapes([{ name: 'audio', shape: [1, 16000] }, { name: 'sample_rate', shape: [] }])).toBe(
      'audio 1x16000, sample_rate scalar',
    );
    expect(shortShapes([{ name: 'sample_rate', shape: [] }])).toBe('scalar');
  });

  it('writes the values a run fed beside the shape, and flags a run fed values the spec no longer sets', () => {
    // A user test: runs at sr 8000 and 16000 both read "x 1x3x48x200, sr [1]".
    const fed = [
      { name: 'x', shape: [1, 3, 48, 200] },
      { name: 'sr', shape: [1], values: { kind: 'constant' as const, value: 8000 } },
    ];
    expect(shortShapes(fed)).toBe('x 1x3x48x200, sr [1]=8000');
    expect(shortShapes([{ name: 'ids', shape: [2, 8], values: { kind: 'range', min: 0, max: 99 } }])).toBe('2x8=0..99');
    const spec = (value: number) => ({
      shapes: { x: [1, 3, 48, 200] },
      values: { sr: { kind: 'constant' as const, value } },
    });
    expect(measuredOffSpec({ inputs: fed }, spec(8000))).toBe(false);
    expect(measuredOffSpec({ inputs: fed }, spec(16000))).toBe(true);
    expect(shortShapes(specShapesFor(fed, spec(16000)))).toBe('x 1x3x48x200, sr [1]=16000');
    // A record from before values were kept says nothing of them: not flagged for them.
    expect(measuredOffSpec({ inputs: [{ name: 'x', shape: [1, 3, 48, 200] }, { name: 'sr', shape: [1] }] }, spec(16000))).toBe(
      false,
    );
  });

  it('writes a mix of shapes by the sizes of each axis that varies', () => {
    const widths = (...w: number[]) => w.map((x) => [1, 3, 48, x]);
    const mixed = { name: 'x', dtype: 'float32', shape: [1, 3, 48, 64], shapes: widths(64, 128, 96) };
    expect(shortShapes([mixed])).toBe('1x3x48x{64,96,128}');
    expect(describeInputShape(mixed)).toBe('x float32 [1, 3, 48, {64, 96, 128}]');
    expect(bracketedShape({ shape: [1, 3, 48, 64], shapes: widths(64, 96, 128, 200, 640) })).toBe('[1, 3, 48, 64..640]');
    expect(bracketedShape({ shape: [4], shapes: [[4], [2, 2]] })).toBe('2 shapes');
    // One shape listed is no mix.
    expect(bracketedShape({ shape: [1, 8], shapes: [[1, 8]] })).toBe('[1, 8]');
    expect(sameShapes([mixed], [{ name: 'x', shape: [1, 3, 48, 64] }])).toBe(false);
    expect(sameShapes([mixed], [{ ...mixed }])).toBe(true);
  });
});

describe('value guesses', () => {
  it("sizes an audio length by the sample rate the user chose, not the guessed one", () => {
    const inputs = [
      { name: 'audio', dtype: 'float32', shape: [1, 'samples'] },
      { name: 'sr', dtype: 'int64', shape: [1] },
    ];
    expect(guessInputSpec(inputs)[0]!.dims[1]!.value).toBe(16000);
    const at8k = guessInputSpec(inputs, { sr: { kind: 'constant', value: 8000 } })[0]!.dims[1]!;
    expect(at8k.value).toBe(8000);
    expect(at8k.reason).toContain("one second at the 8000 Hz of 'sr'");
  });

  it('turns every position of a mask on, a bool mask too, and draws other bools at random', () => {
    const [mask, flags] = guessInputSpec([
      { name: 'attention_mask', dtype: 'bool', shape: [1, 8] },
      { name: 'flags', dtype: 'bool', shape: [1, 8] },
    ]);
    expect(mask!.values?.values).toEqual({ kind: 'constant', value: 1 });
    expect(flags!.values?.values).toEqual({ kind: 'range', min: 0, max: 1 });
  });

  it('draws uint8 inputs over the whole byte range: they are pixels in practice', () => {
    const [image] = guessInputSpec([{ name: 'image', dtype: 'uint8', shape: [1, 224, 224, 3] }]);
    expect(image!.values).toEqual({ values: { kind: 'range', min: 0, max: 255 }, reason: 'image bytes: 0 to 255' });
  });
});

describe('figures measured at other shapes than the spec', () => {
  const at320 = [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 320] }];
  const spec = (width: number) => ({ shapes: { x: [1, 3, 48, width] } });

  it('are flagged when the spec now gives another shape, and not when it gives the same', () => {
    expect(measuredOffSpec({ inputs: at320 }, spec(640))).toBe(true);
    expect(measuredOffSpec({ inputs: at320 }, spec(320))).toBe(false);
  });

  it('are not flagged without a spec, without recorded inputs, or when data decided the shapes', () => {
    expect(measuredOffSpec({ inputs: at320 }, undefined)).toBe(false);
    expect(measuredOffSpec({}, spec(640))).toBe(false);
    const dataset = { name: 'lines.npy', samples: 10, sha256: 'ab' };
    expect(measuredOffSpec({ inputs: at320, dataset }, spec(640))).toBe(false);
  });

  it('compare every input by name, whatever order the spec lists them in', () => {
    const fed = [
      { name: 'audio', shape: [1, 16000] },
      { name: 'sr', shape: [1] },
    ];
    expect(measuredOffSpec({ inputs: fed }, { shapes: { sr: [1], audio: [1, 16000] } })).toBe(false);
    expect(measuredOffSpec({ inputs: fed }, { shapes: { sr: [1], audio: [1, 8000] } })).toBe(true);
    // An input the spec does not name keeps its shape: the spec says nothing about it.
    expect(measuredOffSpec({ inputs: fed }, { shapes: { audio: [1, 16000] } })).toBe(false);
  });

  it("give the spec's shapes in the order the figure was fed, for 'the inputs are now ...'", () => {
    const fed = [
      { name: 'audio', shape: [1, 100] },
      { name: 'sr', shape: [1] },
    ];
    const now = specShapesFor(fed, { shapes: { sr: [1], audio: [1, 16000] } });
    expect(shortShapes(now)).toBe('audio 1x16000, sr [1]');
  });
});

describe('one reading of a typed shape, for the CLI and the Model view', () => {
  it('takes x, × or commas with spaces, and refuses anything but whole dims', () => {
    expect(parseShapeText('1x3x48x320')).toEqual({ dims: [1, 3, 48, 320] });
    expect(parseShapeText(' 2 , 7 ')).toEqual({ dims: [2, 7] });
    expect(parseShapeText('1 × 64')).toEqual({ dims: [1, 64] });
    // A 0 is judged against the model (inputSpecProblem): a KV cache's past length may be empty.
    expect(parseShapeText('1x4x0x16')).toEqual({ dims: [1, 4, 0, 16] });
    for (const bad of ['', '1x', 'x3', '1.5x2', '-1x2', '1e3', 'axb', '1xx2'])
      expect(parseShapeText(bad)).toEqual({ problem: 'format' });
  });
});

describe('guesses and values against the tables the model indexes', () => {
  // A GPT-style decoder: ids into a 500-row vocabulary, positions 0..seq-1 into a 64-row position table.
  const ids = {
    name: 'input_ids',
    dtype: 'int64',
    shape: ['batch', 'seq'],
    indexes: { table: 'wte', rows: 500 },
    positionTables: [{ table: 'wpe', rows: 64, axis: 1, longest: 64 }],
  };

  it('guesses no sequence longer than the position table its positions index, and says why', () => {
    // The user test: seq guessed 128 beside a 64-row table failed every bench, synthetic calibration and tune.
    const [guess] = guessInputSpec([ids]);
    expect(guess?.dims[1]).toEqual({
      value: 64,
      source: 'table',
      reason: "'seq' reads as a sequence length, at most the 64 rows of position table 'wpe'",
    });
    // A shorter guess stays; a table from position 2 leaves 62 positions.
    const withTable = (rows: number, longest: number) =>
      guessInputSpec([{ ...ids, positionTables: [{ table: 'pe', rows, axis: 1, longest }] }])[0]?.dims[1];
    expect(withTable(512, 512)?.value).toBe(128);
    expect(withTable(64, 62)?.reason).toBe(
      "'seq' reads as a sequence length, at most the 62 positions of position table 'pe' (64 rows, from position 2)",
    );
  });

  it('cuts a named dim in every input that has it, whichever input reads the table', () => {
    const mask = { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] };
    const guesses = guessInputSpec([mask, ids]);
    expect(guesses.map((g) => g.dims[1]?.value)).toEqual([64, 64]);
  });

  it('draws ids over every row of the table they index, and says which table; 0..99 where none is known', () => {
    // The LM user test: ids guessed 0..99 for a 32000-row vocabulary (0.3% of it) in bench and the Model view.
    const [tokens] = guessInputSpec([{ name: 'input_ids', dtype: 'int64', shape: [1, 16], indexes: { table: 'embed_tokens.weight', rows: 32000 } }]);
    expect(tokens!.values).toEqual({
      values: { kind: 'range', min: 0, max: 31999 },
      reason: 'ids 0..31999, rows of embed_tokens.weight',
    });
    const [unknown] = guessInputSpec([{ name: 'input_ids', dtype: 'int64', shape: [1, 16] }]);
    expect(unknown!.values).toEqual({
      values: { kind: 'range', min: 0, max: 99 },
      reason: 'ids or indices: 0 to 99, small enough for most tables',
    });
  });

  it('refuses values past the rows of the table an input indexes, and takes those within', () => {
    // The user test: --value input_ids=0:5000 beside a 1000-row table was accepted and failed at run time.
    const tokens = { name: 'input_ids', dtype: 'int64', indexes: { table: 'tok_emb', rows: 1000 } };
    expect(inputValuesProblem(tokens, { kind: 'range', min: 0, max: 5000 })).toEqual({
      part: 'max',
      message:
        "Input 'input_ids' indexes the 1000 rows of 'tok_emb': its values go from 0 to 999, and 5000 is past them (every run would fail there).",
    });
    expect(inputValuesProblem(tokens, { kind: 'constant', value: 1000 })).toMatchObject({ part: 'value' });
    expect(inputValuesProblem(tokens, { kind: 'range', min: -1001, max: 3 })).toMatchObject({ part: 'min' });
    expect(inputValuesProblem(tokens, { kind: 'range', min: 0, max: 999 })).toBeUndefined();
    expect(inputValuesProblem({ name: 'input_ids', dtype: 'int64' }, { kind: 'range', min: 0, max: 5000 })).toBeUndefined();
  });
});

describe("positions: a decoder's position_ids", () => {
  // Optimum's decoder exports: position_ids int64 [batch_size, sequence_length] into a 256-row position table. Drawn
  // as ids 0..255, RoPE or the position embedding saw random positions and every evaluation's numbers were wrong.
  const positionIds = {
    name: 'position_ids',
    dtype: 'int64',
    shape: ['batch_size', 'sequence_length'],
    indexes: { table: 'embed_positions.weight', rows: 256 },
  };
  const past = {
    name: 'past_key_values.0.key',
    dtype: 'float32',
    shape: ['batch_size', 2, 'past_sequence_length', 8],
  };

  it('guesses positions 0..n-1 along the sequence, after the past where the model has one', () => {
    for (const name of ['position_ids', 'positionids', 'positions', 'pos_ids', 'Position_IDs']) {
      const [guess] = guessInputSpec([{ ...positionIds, name }]);
      expect(guess!.values, name).toEqual({
        values: { kind: 'positions', start: 0 },
        reason: 'positions 0..n-1 along the sequence',
      });
    }
    expect(guessInputSpec([positionIds, past])[0]!.values?.values).toEqual({ kind: 'positions', start: 0 });
    const afterPast = guessInputSpec([positionIds, past], {}, { past_sequence_length: 5 })[0]!.values;
    expect(afterPast).toEqual({
      values: { kind: 'positions', start: 5 },
      reason: 'positions from 5, after the past of 5',
    });
    // One new token is a single number: still a position, not the single-number guess of 1.
    const [step] = guessInputSpec([{ ...positionIds, shape: [1, 1] }, past], {}, { past_sequence_length: 7 });
    expect(step!.values?.values).toEqual({ kind: 'positions', start: 7 });
    // Floats and bools named so keep their own guesses; ids are still ids.
    expect(guessInputSpec([{ ...positionIds, dtype: 'float32' }])[0]!.values).toBeUndefined();
    expect(guessInputSpec([{ ...positionIds, dtype: 'bool' }])[0]!.values?.values.kind).toBe('range');
    expect(guessInputSpec([{ ...positionIds, name: 'input_ids' }])[0]!.values?.values.kind).toBe('range');
  });

  it('fills start, start+1, ... along the last axis, the same in every row', () => {
    expect(syntheticValues({ kind: 'positions', start: 0 }, 'int64', [2, 4], () => 0.5)).toEqual([
      0, 1, 2, 3, 0, 1, 2, 3,
    ]);
    expect(syntheticValues({ kind: 'positions', start: 5 }, 'int32', [1, 2, 3], () => 0.5)).toEqual([
      5, 6, 7, 5, 6, 7,
    ]);
    expect(syntheticValues({ kind: 'positions', start: 3 }, 'int64', [], () => 0.5)).toEqual([3]);
  });

  it('refuses positions for a float or bool input, from a negative or fractional start, or past the table', () => {
    expect(inputValuesProblem({ ...positionIds, dtype: 'float32' }, { kind: 'positions', start: 0 })).toEqual(
      {
        part: 'start',
        message:
          "Input 'position_ids' is float32: positions (0, 1, 2, ... along the last axis) are for an integer input such as position_ids. Give it one value or a range.",
      },
    );
    expect(
      inputValuesProblem({ ...positionIds, dtype: 'bool' }, { kind: 'positions', start: 0 })?.message,
    ).toMatch(/is bool: positions/);
    for (const start of [-1, 1.5])
      expect(inputValuesProblem(positionIds, { kind: 'positions', start })).toEqual({
        part: 'start',
        message: `Input 'position_ids': positions start at a whole number of at least 0, and ${start} is not one.`,
      });
    // 250 + 16 - 1 = 265 is no row of a 256-row table; 240 + 16 - 1 = 255 is its last.
    expect(inputValuesProblem(positionIds, { kind: 'positions', start: 250 }, [1, 16])).toEqual({
      part: 'start',
      message:
        "Input 'position_ids' indexes the 256 rows of 'embed_positions.weight': its values go from 0 to 255, and positions from 250 over 16 steps reach 265, past them (every run would fail there). " +
        'At most 6 tokens from position 250: set sequence_length to 6 or less, or start the positions lower.',
    });
    // Positions that follow the past say so; an unnamed dim is named by its index, and by nothing without the
    // declared shape (the CLI's resolved inputs).
    expect(
      inputValuesProblem(
        { ...positionIds, shape: [1, null] },
        { kind: 'positions', start: 250 },
        [1, 16],
        250,
      )?.message,
    ).toMatch(
      /At most 6 tokens after a past of 250: set dim 1 of 'position_ids' to 6 or less, or the past lower\.$/,
    );
    const { shape: _declared, ...shapeless } = positionIds;
    expect(inputValuesProblem(shapeless, { kind: 'positions', start: 256 }, [1, 1], 256)?.message).toMatch(
      /256 is past them \(every run would fail there\)\. Set the past to 255 or less\.$/,
    );
    // A past at or past the table with several new tokens: the past that fits them all, which then passes.
    const onPast = (start: number, steps: number) =>
      inputValuesProblem(positionIds, { kind: 'positions', start }, [1, steps], start)?.message;
    expect(onPast(300, 10)).toMatch(
      /300 over 10 steps reach 309, past them \(every run would fail there\)\. Set the past to 246 or less\.$/,
    );
    expect(onPast(246, 10)).toBeUndefined();
    expect(onPast(256, 1)).toMatch(/Set the past to 255 or less\.$/);
    expect(
      inputValuesProblem(positionIds, { kind: 'positions', start: 256 }, [1, 10])?.message,
    ).toMatch(/Start the positions at 246 or less\.$/);
    // A sequence longer than the table itself: the sequence must shrink too.
    expect(onPast(256, 300)).toMatch(
      /Set the past to 0 and sequence_length to 256 or less, or the past to 255 and sequence_length to 1\.$/,
    );
    expect(
      inputValuesProblem(positionIds, { kind: 'positions', start: 256 }, [1, 300])?.message,
    ).toMatch(/Start the positions at 0 and set sequence_length to 256 or less\.$/);
    expect(inputValuesProblem(shapeless, { kind: 'positions', start: 255 }, [1, 4])?.message).toMatch(
      /At most 1 token from position 255: set the length of 'position_ids' to 1 or less/,
    );
    // From position 0 (a past of 0 too) nothing starts lower: only the sequence is named (the past of 0 was told to
    // go lower, a user test).
    for (const past of [0, undefined])
      expect(
        inputValuesProblem(positionIds, { kind: 'positions', start: 0 }, [1, 257], past)?.message,
      ).toMatch(/reach 256, past them \(every run would fail there\)\. At most 256 tokens fit the table: set sequence_length to 256 or less\.$/);
    expect(inputValuesProblem(positionIds, { kind: 'positions', start: 240 }, [1, 16])).toBeUndefined();
    expect(inputValuesProblem(positionIds, { kind: 'positions', start: 256 })).toMatchObject({
      part: 'start',
    });
    // The whole spec checks positions over the input's shape.
    const spec = (start: number) => ({
      shapes: { position_ids: [1, 16] },
      values: { position_ids: { kind: 'positions' as const, start } },
    });
    expect(inputSpecProblem([positionIds], spec(250))).toMatch(/reach 265, past them/);
    expect(inputSpecProblem([positionIds], spec(0))).toBeUndefined();
  });

  it("speaks in the CLI's flags where the sizes came from them, and in the form's fields otherwise", () => {
    const flags = { ...positionIds, flags: true };
    const said = (
      target: Parameters<typeof inputValuesProblem>[0],
      start: number,
      steps: number,
      past?: number,
    ) =>
      inputValuesProblem(target, { kind: 'positions', start }, [1, steps], past)?.message.replace(/^.*\)\. /, '');
    expect(said(flags, 5, 252, 5)).toBe(
      'At most 251 tokens after a past of 5: use --dim sequence_length=251 or less, or the past lower.',
    );
    expect(said(positionIds, 5, 252, 5)).toBe(
      'At most 251 tokens after a past of 5: set sequence_length to 251 or less, or the past lower.',
    );
    expect(said(flags, 0, 257, 0)).toBe('At most 256 tokens fit the table: use --dim sequence_length=256 or less.');
    expect(said(flags, 250, 16)).toBe(
      'At most 6 tokens from position 250: use --dim sequence_length=6 or less, or start the positions lower.',
    );
    expect(said(flags, 256, 10)).toBe('Use --value position_ids=positions+246 or less.');
    expect(said(flags, 256, 300)).toBe('Use --value position_ids=positions and --dim sequence_length=256 or less.');
    expect(said(flags, 256, 300, 256)).toBe(
      'Set the past to 0 and use --dim sequence_length=256 or less, or the past to 255 and --dim sequence_length=1.',
    );
    // An unnamed length has no --dim: said in words.
    expect(said({ ...flags, shape: [1, null] }, 5, 252, 5)).toBe(
      "At most 251 tokens after a past of 5: set dim 1 of 'position_ids' to 251 or less, or the past lower.",
    );
  });

  it('writes positions beside the shape, and flags a run fed other positions than the spec sets', () => {
    const fed = [{ name: 'position_ids', shape: [1, 16], values: { kind: 'positions' as const, start: 0 } }];
    expect(shortShapes(fed)).toBe('1x16=positions from 0');
    expect(
      measuredOffSpec(
        { inputs: fed },
        { shapes: { position_ids: [1, 16] }, values: { position_ids: { kind: 'positions', start: 5 } } },
      ),
    ).toBe(true);
    expect(
      measuredOffSpec(
        { inputs: fed },
        { shapes: { position_ids: [1, 16] }, values: { position_ids: { kind: 'positions', start: 0 } } },
      ),
    ).toBe(false);
  });
});
