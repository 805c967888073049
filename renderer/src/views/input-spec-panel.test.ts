import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { inputNeedsSpec, largeInputWarnings } from '../../../shared/input-spec.js';
import {
  BOOL_CHOICES,
  boolChoiceOf,
  describeValues,
  draftOf,
  holdsGuess,
  prefillNote,
  specFromDraft,
  valuesHoldGuess,
  valuesKindChoices,
  wholeShapeDims,
  withDimSet,
} from './input-spec-panel.js';

const summary = {
  path: '/m/x.onnx',
  inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }],
  outputs: [],
} as unknown as ModelSummary;

describe('the input spec form', () => {
  it('says what its fields hold: suggestions that give their reason, or the saved spec', () => {
    // It said "prefilled with guesses" while every prefilled value showed its reason, and also over a saved spec.
    expect(prefillNote(false)).toMatch(/suggested value and says where it comes from/);
    expect(prefillNote(true)).toMatch(/^The fields hold the saved spec/);
    for (const saved of [false, true]) expect(prefillNote(saved)).not.toMatch(/guess/i);
  });

  it("names a bad dim by its field's label, not its position", () => {
    for (const w of ['0', '-5', '2.5', '']) {
      const parsed = specFromDraft(summary, { x: { dims: ['1', '3', '224', w] } });
      expect(parsed).toEqual({
        ok: false,
        message:
          "Input 'x': W must be a whole number of at least 1 (only a KV cache's past length may be 0).",
        field: { input: 'x', part: 3 },
      });
    }
    const unnamed = {
      ...summary,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, null] }],
    } as unknown as ModelSummary;
    expect(specFromDraft(unnamed, { x: { dims: ['1', '0'] } })).toMatchObject({ message: /'x': dim 1 must/ });
  });

  it("takes a KV cache's empty past, and keeps the mask over the past and the new tokens in step", () => {
    const kv = ['batch_size', 2, 'past_sequence_length', 8];
    const decoder = {
      ...summary,
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
        {
          name: 'attention_mask',
          dtype: 'int64',
          shape: ['batch_size', 'past_sequence_length + sequence_length'],
        },
        { name: 'past_key_values.0.key', dtype: 'float32', shape: kv },
      ],
    } as unknown as ModelSummary;
    const drafts = {
      input_ids: { dims: ['1', '16'] },
      attention_mask: { dims: ['1', '16'] },
      'past_key_values.0.key': { dims: ['1', '2', '0', '8'] },
    };
    expect(specFromDraft(decoder, drafts)).toMatchObject({ ok: true });
    // Setting the past sets the mask: 5 + 16.
    const withPast = withDimSet(decoder, drafts, 'past_key_values.0.key', 2, '5');
    expect(withPast.attention_mask!.dims).toEqual(['1', '21']);
    expect(withDimSet(decoder, withPast, 'input_ids', 1, '8').attention_mask!.dims).toEqual(['1', '13']);
    // A mask typed to another size is refused in words; a 0 elsewhere still is.
    expect(specFromDraft(decoder, { ...withPast, attention_mask: { dims: ['1', '16'] } })).toMatchObject({
      ok: false,
      message:
        /dim 'past_sequence_length \+ sequence_length' is 16, but past_sequence_length \(5\) \+ sequence_length \(16\) is 21/,
    });
    expect(specFromDraft(decoder, { ...drafts, input_ids: { dims: ['0', '16'] } })).toMatchObject({
      ok: false,
      field: { input: 'input_ids', part: 0 },
    });
  });

  it('sets a dim in every input of a group at once, and keeps one shape per input in the spec', () => {
    // A cache whose head dim the export left unnamed: the group's field sets it in all members, as a named one.
    const kv = ['batch_size', 2, 'past_sequence_length', null];
    const cache = ['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key'];
    const decoder = {
      ...summary,
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
        {
          name: 'attention_mask',
          dtype: 'int64',
          shape: ['batch_size', 'past_sequence_length + sequence_length'],
        },
        ...cache.map((name) => ({ name, dtype: 'float32', shape: kv })),
        { name: 'other', dtype: 'float32', shape: [1, null] },
      ],
    } as unknown as ModelSummary;
    const drafts = draftOf({ shapes: {} }, decoder);
    const headDim = withDimSet(decoder, drafts, cache, 3, '64');
    const past = withDimSet(decoder, headDim, cache, 2, '7');
    for (const name of cache) expect(past[name]!.dims).toEqual(['1', '2', '7', '64']);
    // The mask follows the past (7 + 1); an input outside the group keeps its unnamed dim.
    expect(past.attention_mask!.dims).toEqual(['1', '8']);
    expect(past.other!.dims).toEqual(['1', '1']);
    expect(specFromDraft(decoder, past)).toMatchObject({
      ok: true,
      spec: { shapes: Object.fromEntries(cache.map((name) => [name, [1, 2, 7, 64]])) },
    });
  });

  it("turns a merged decoder's cache switch on with a past and off without, and refuses it off beside a past", () => {
    const merged = {
      ...summary,
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
        {
          name: 'past_key_values.0.key',
          dtype: 'float32',
          shape: ['batch_size', 2, 'past_sequence_length', 8],
        },
        { name: 'use_cache_branch', dtype: 'bool', shape: [1] },
      ],
    } as unknown as ModelSummary;
    const off = { kind: 'constant' as const, a: '0', b: '' };
    const drafts = {
      input_ids: { dims: ['1', '16'] },
      'past_key_values.0.key': { dims: ['1', '2', '0', '8'] },
      use_cache_branch: { dims: ['1'], values: off },
    };
    const withPast = withDimSet(merged, drafts, 'past_key_values.0.key', 2, '5');
    expect(withPast.use_cache_branch!.values).toEqual({ kind: 'constant', a: '1', b: '' });
    // Positions count on from the past: the new tokens after 5 cached steps are at 5, 6, ...
    const positioned = {
      ...drafts,
      position_ids: { dims: ['1', '16'], values: { kind: 'positions' as const, a: '0', b: '' } },
    };
    const withIds = {
      ...merged,
      inputs: [
        ...merged.inputs,
        { name: 'position_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
      ],
    } as unknown as ModelSummary;
    expect(
      withDimSet(withIds, positioned, 'past_key_values.0.key', 2, '5').position_ids!.values,
    ).toMatchObject({ kind: 'positions', a: '5' });
    expect(withDimSet(merged, withPast, 'past_key_values.0.key', 2, '0').use_cache_branch!.values).toEqual(
      off,
    );
    expect(
      specFromDraft(merged, { ...withPast, use_cache_branch: { dims: ['1'], values: off } }),
    ).toMatchObject({
      ok: false,
      message: /'use_cache_branch' is off, but the past holds 5 steps/,
    });
  });

  it('asks an input the model gives no shape for its whole shape, typed 1x64', () => {
    const shapeless = {
      ...summary,
      inputs: [{ name: 'x', dtype: 'float32', shape: [], rankUnknown: true }],
    } as unknown as ModelSummary;
    // Its empty shape is not a scalar's: the spec is asked for, not skipped.
    expect(inputNeedsSpec(shapeless.inputs[0]!)).toBe(true);
    expect(inputNeedsSpec({ name: 's', dtype: 'float32', shape: [] })).toBe(false);
    expect(specFromDraft(shapeless, { x: { dims: ['2x64'] } })).toEqual({
      ok: true,
      spec: { shapes: { x: [2, 64] } },
    });
    for (const typed of ['', '2x', 'ax64', '0x64'])
      expect(specFromDraft(shapeless, { x: { dims: [typed] } })).toMatchObject({
        ok: false,
        message: /^Input 'x': the model declares no shape for it; give its whole shape, like 1x64/,
      });
    expect(wholeShapeDims(' 1 × 3 x 48 ')).toEqual([1, 3, 48]);
  });

  it('warns about an input of absurd size, in bytes', () => {
    const parsed = specFromDraft(summary, { x: { dims: ['1', '3', '192', '100000000'] } });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [warning, ...rest] = largeInputWarnings(summary.inputs, parsed.spec);
    expect(rest).toEqual([]);
    expect(warning).toMatch(
      /^Input 'x' float32 \[1, 3, 192, 100000000\] takes 230,400,000,000 bytes \(230\.4 GB\) per run/,
    );
    expect(largeInputWarnings(summary.inputs, { shapes: { x: [1, 3, 224, 224] } })).toEqual([]);
    // int64 counts 8 bytes an element.
    expect(
      largeInputWarnings([{ name: 'ids', dtype: 'int64', shape: ['b', 's'] }], {
        shapes: { ids: [1, 2 ** 27 + 1] },
      }),
    ).toHaveLength(1);
  });

  it('offers a bool input true/false in words, stored as 0/1', () => {
    expect(BOOL_CHOICES.map((c) => c.label)).toEqual(['random true/false', 'all true', 'all false']);
    expect(BOOL_CHOICES.map((c) => boolChoiceOf(c.values))).toEqual(['random', 'true', 'false']);
    const bools = {
      path: '/m/b.onnx',
      inputs: [{ name: 'flag', dtype: 'bool', shape: [] }],
      outputs: [],
    } as unknown as ModelSummary;
    const allTrue = BOOL_CHOICES.find((c) => c.choice === 'true')!.values;
    expect(specFromDraft(bools, { flag: { dims: [], values: { ...allTrue } } })).toEqual({
      ok: true,
      spec: { shapes: { flag: [] }, values: { flag: { kind: 'constant', value: 1 } } },
    });
    expect(describeValues('flag', 'bool', { kind: 'range', min: 0, max: 1 })).toBe('flag random true/false');
    expect(describeValues('flag', 'bool', { kind: 'constant', value: 0 })).toBe('flag all false');
    expect(describeValues('ids', 'int64', { kind: 'range', min: 0, max: 9 })).toBe('ids in 0..9');
  });

  it('refuses a fractional bound for an integer input on its field, as it refuses From above To', () => {
    const dyn = {
      path: '/m/dyn.onnx',
      inputs: [
        { name: 'x', dtype: 'float32', shape: ['N', 3, 48, 'W'] },
        { name: 'sr', dtype: 'int64', shape: [1] },
      ],
      outputs: [],
    } as unknown as ModelSummary;
    const withSr = (kind: 'constant' | 'range', a: string, b = '') =>
      specFromDraft(dyn, {
        x: { dims: ['1', '3', '48', '320'] },
        sr: { dims: ['1'], values: { kind, a, b } },
      });
    // The user test: From 1.5, To 3 was accepted ("sr in 1.5..3") and every job failed on 2.5.
    expect(withSr('range', '1.5', '3')).toEqual({
      ok: false,
      message: "Input 'sr' is int64: it takes whole numbers, and 1.5 is not one.",
      field: { input: 'sr', part: 'a' },
    });
    expect(withSr('range', '1', '3.5')).toMatchObject({ ok: false, field: { input: 'sr', part: 'b' } });
    expect(withSr('constant', '2.5')).toMatchObject({ ok: false, field: { input: 'sr', part: 'a' } });
    expect(withSr('range', '16000', '8000')).toEqual({
      ok: false,
      message: "Input 'sr': give a range from a smaller to a larger number.",
      field: { input: 'sr', part: 'b' },
    });
    expect(withSr('range', '8000', '')).toMatchObject({ ok: false, message: "Input 'sr': give a number." });
    expect(withSr('range', '8000', '16000')).toMatchObject({
      ok: true,
      spec: { values: { sr: { kind: 'range', min: 8000, max: 16000 } } },
    });
    // A float input takes fractions.
    const gain = {
      ...dyn,
      inputs: [{ name: 'gain', dtype: 'float32', shape: [1] }],
    } as unknown as ModelSummary;
    expect(
      specFromDraft(gain, { gain: { dims: ['1'], values: { kind: 'range', a: '0.5', b: '1.5' } } }),
    ).toMatchObject({ ok: true });
    // A bad dim names its field too.
    expect(specFromDraft(dyn, { x: { dims: ['1', '3', '48', '2.5'] }, sr: { dims: ['1'] } })).toMatchObject({
      ok: false,
      field: { input: 'x', part: 3 },
    });
  });

  it("shows a guess's reason only while its guess is in the field", () => {
    const guess = { kind: 'constant', value: 16000 } as const;
    expect(valuesHoldGuess({ kind: 'constant', a: '16000', b: '' }, guess)).toBe(true);
    expect(valuesHoldGuess({ kind: 'constant', a: ' 16000 ', b: '' }, guess)).toBe(true);
    // Another value, or a range: "a sample rate: 16 kHz" no longer describes the field.
    expect(valuesHoldGuess({ kind: 'constant', a: '8000', b: '' }, guess)).toBe(false);
    expect(valuesHoldGuess({ kind: 'range', a: '16000', b: '16000' }, guess)).toBe(false);
    expect(valuesHoldGuess({ kind: 'constant', a: '', b: '' }, { kind: 'constant', value: 0 })).toBe(false);
    const ids = { kind: 'range', min: 0, max: 99 } as const;
    expect(valuesHoldGuess({ kind: 'range', a: '0', b: '99' }, ids)).toBe(true);
    expect(valuesHoldGuess({ kind: 'range', a: '0', b: '999' }, ids)).toBe(false);
    expect(holdsGuess('320', 320)).toBe(true);
    expect(holdsGuess('640', 320)).toBe(false);
  });

  it("offers positions for a decoder's position_ids, keeps them through the form, and checks them", () => {
    const decoder = {
      path: '/m/decoder_with_past_model.onnx',
      inputs: [
        {
          name: 'position_ids',
          dtype: 'int64',
          shape: ['batch_size', 'sequence_length'],
          indexes: { table: 'embed_positions.weight', rows: 256 },
        },
        { name: 'gain', dtype: 'float32', shape: [1] },
      ],
      outputs: [],
    } as unknown as ModelSummary;
    expect(valuesKindChoices('int64').map((c) => c.kind)).toEqual(['constant', 'range', 'positions']);
    expect(valuesKindChoices('float32').map((c) => c.kind)).toEqual(['constant', 'range']);
    const spec = {
      shapes: { position_ids: [1, 16], gain: [1] },
      values: { position_ids: { kind: 'positions', start: 5 } as const },
    };
    const drafts = draftOf(spec, decoder);
    expect(drafts.position_ids!.values).toEqual({ kind: 'positions', a: '5', b: '' });
    expect(specFromDraft(decoder, drafts)).toEqual({ ok: true, spec });
    expect(describeValues('position_ids', 'int64', spec.values.position_ids)).toBe(
      'position_ids positions from 5',
    );
    expect(valuesHoldGuess({ kind: 'positions', a: '0', b: '' }, { kind: 'positions', start: 0 })).toBe(true);
    expect(valuesHoldGuess({ kind: 'range', a: '0', b: '255' }, { kind: 'positions', start: 0 })).toBe(false);
    // Past the 256 rows of the table over the 16 steps, or from a negative start: said on the From field.
    const from = (a: string) =>
      specFromDraft(decoder, {
        ...drafts,
        position_ids: { dims: ['1', '16'], values: { kind: 'positions', a, b: '' } },
      });
    expect(from('250')).toMatchObject({
      ok: false,
      message: /positions from 250 over 16 steps reach 265, past them/,
      field: { input: 'position_ids', part: 'a' },
    });
    expect(from('-1')).toMatchObject({ ok: false, field: { input: 'position_ids', part: 'a' } });
    expect(
      specFromDraft(decoder, {
        ...drafts,
        gain: { dims: ['1'], values: { kind: 'positions', a: '0', b: '' } },
      }),
    ).toMatchObject({ ok: false, message: /'gain' is float32: positions .* are for an integer input/ });
  });
});
