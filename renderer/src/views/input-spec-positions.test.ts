import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { guessInputSpec, specFromGuesses, type InputSpec } from '../../../shared/input-spec.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { Workspace } from '../../../shared/workspace.js';
import type { Studio } from '../state/use-studio.js';
import {
  draftGuesses,
  draftOf,
  InputSpecPanel,
  saveBlockedNote,
  specFromDraft,
  withDimGuessed,
  withDimSet,
} from './input-spec-panel.js';

/**
 * A decoder exported with a KV cache whose position_ids index a 128-row table (the user tester's model: a past of 5
 * beside the guessed 128 new tokens reached position 132, and the form refused to save where the CLI cut to 123).
 */
const kv = ['batch_size', 2, 'past_sequence_length', 8];
const cache = ['past_key_values.0.key', 'past_key_values.0.value'];
const decoder = {
  path: '/m/decoder_with_past_model.onnx',
  fileBytes: 1000,
  externalDataBytes: 0,
  inputs: [
    {
      name: 'input_ids',
      dtype: 'int64',
      shape: ['batch_size', 'sequence_length'],
      indexes: { table: 'wte', rows: 32 },
    },
    {
      name: 'attention_mask',
      dtype: 'int64',
      shape: ['batch_size', 'past_sequence_length + sequence_length'],
    },
    {
      name: 'position_ids',
      dtype: 'int64',
      shape: ['batch_size', 'sequence_length'],
      indexes: { table: 'pos_table', rows: 128 },
    },
    ...cache.map((name) => ({ name, dtype: 'float32', shape: kv })),
  ],
  outputs: [],
} as unknown as ModelSummary;

/** The form as it opens on the model: the guesses (inputSpecState's spec without a saved one). */
const opened = () => draftOf(specFromGuesses(guessInputSpec(decoder.inputs)), decoder);

function render(spec: InputSpec): string {
  // Saved but not confirmed: the form stays open on the saved spec.
  const workspace = { experiment: { inputs: spec } } as unknown as Workspace;
  return renderToStaticMarkup(
    createElement(InputSpecPanel, { studio: {} as Studio, summary: decoder, workspace }),
  );
}

describe('positions after the past in the input spec form (user test, KV cache LM)', () => {
  it('re-guesses a guessed sequence when the past changes, cut to the rows left after it, as the CLI does', () => {
    const drafts = opened();
    expect(drafts.input_ids!.dims).toEqual(['1', '128']);
    const past5 = withDimSet(decoder, drafts, cache, 2, '5');
    expect(past5.input_ids!.dims).toEqual(['1', '123']);
    expect(past5.position_ids!.dims).toEqual(['1', '123']);
    expect(past5.attention_mask!.dims).toEqual(['1', '128']);
    expect(past5.position_ids!.values).toMatchObject({ kind: 'positions', a: '5' });
    const parsed = specFromDraft(decoder, past5);
    // The spec the CLI makes of `--dim past_sequence_length=5`.
    const cli = specFromGuesses(
      guessInputSpec(
        decoder.inputs.map((i) => ({
          ...i,
          shape: i.shape.map((d) => (d === 'past_sequence_length' ? 5 : d)),
        })),
        {},
        { past_sequence_length: 5 },
      ),
    );
    expect(parsed).toEqual({ ok: true, spec: cli });
    // Back to no past: the whole table again.
    expect(withDimSet(decoder, past5, cache, 2, '0').input_ids!.dims).toEqual(['1', '128']);
  });

  it('keeps a sequence the user typed, and says what to do when the past pushes it past the table', () => {
    const typed = withDimSet(decoder, opened(), 'input_ids', 1, '128');
    const past5 = withDimSet(decoder, typed, cache, 2, '5');
    expect(past5.input_ids!.dims).toEqual(['1', '128']);
    expect(past5.attention_mask!.dims).toEqual(['1', '133']);
    expect(specFromDraft(decoder, past5)).toEqual({
      ok: false,
      message:
        "Input 'position_ids' indexes the 128 rows of 'pos_table': its values go from 0 to 127, and positions from 5 " +
        'over 128 steps reach 132, past them (every run would fail there). At most 123 tokens after a past of 5: set ' +
        'sequence_length to 123 or less, or the past lower.',
      field: { input: 'position_ids', part: 'a' },
      // The sequence the user typed is marked too: one dim, in every input that has it.
      also: [
        { input: 'position_ids', part: 1 },
        { input: 'input_ids', part: 1 },
      ],
    });
  });

  it('marks the field the user typed and says beside the disabled button why it is disabled', () => {
    const past5 = withDimSet(decoder, withDimSet(decoder, opened(), 'input_ids', 1, '128'), cache, 2, '5');
    const parsed = specFromDraft(decoder, past5);
    const groups = [['input_ids'], ['attention_mask'], ['position_ids'], cache];
    expect(saveBlockedNote(decoder, past5, parsed, groups)).toBe(
      "Fix the marked fields first: position_ids' From and sequence_length; input_ids' sequence_length " +
        '(the message is under position_ids).',
    );
    expect(saveBlockedNote(decoder, opened(), specFromDraft(decoder, opened()), groups)).toBeUndefined();
    // As the panel shows it: a saved spec with the typed 128 beside a past of 5 opens on the same fields.
    const html = render({
      shapes: {
        input_ids: [1, 128],
        attention_mask: [1, 133],
        position_ids: [1, 128],
        'past_key_values.0.key': [1, 2, 5, 8],
        'past_key_values.0.value': [1, 2, 5, 8],
      },
      values: { position_ids: { kind: 'positions', start: 5 } },
    });
    const field = (input: string, axis: number) =>
      new RegExp(`<input id="[^"]*-${input.replace('.', '\\.')}-${axis}"[^>]*>`).exec(html)?.[0] ?? '';
    expect(field('input_ids', 1)).toContain('aria-invalid="true"');
    expect(field('position_ids', 1)).toContain('aria-invalid="true"');
    expect(field('input_ids', 0)).toContain('value="1"');
    expect(field('input_ids', 0)).not.toContain('aria-invalid');
    expect(html).toMatch(/data-testid="save-input-spec"[^>]*aria-describedby="[^"]*-blocked"/);
    expect(html).toContain(
      'Fix the marked fields first: position_ids&#x27; From and sequence_length; input_ids&#x27;',
    );
  });

  it('puts a cleared sequence back at its guess when the field is left, following the past again', () => {
    const typed = withDimSet(decoder, withDimSet(decoder, opened(), cache, 2, '5'), 'input_ids', 1, '100');
    const cleared = withDimSet(decoder, typed, 'input_ids', 1, '');
    // While the user types, the field stays empty (the guess does not come back under the cursor).
    expect(cleared.input_ids!.dims).toEqual(['1', '']);
    expect(cleared.position_ids!.dims).toEqual(['1', '']);
    const left = withDimGuessed(decoder, cleared, 'input_ids', 1);
    expect(left.input_ids!.dims).toEqual(['1', '123']);
    expect(left.position_ids!.dims).toEqual(['1', '123']);
    expect(left.attention_mask!.dims).toEqual(['1', '128']);
    // A guess again, with its reason, and it follows the past.
    expect(draftGuesses(decoder, left)[0]!.dims[1]).toMatchObject({ value: 123, source: 'table' });
    expect(withDimSet(decoder, left, cache, 2, '8').input_ids!.dims).toEqual(['1', '120']);
    // A field that holds a number is left as it is.
    expect(withDimGuessed(decoder, typed, 'input_ids', 1)).toBe(typed);
  });

  it('takes a saved sequence that fits after the past as a guess, which follows the past', () => {
    const saved = specFromDraft(decoder, withDimSet(decoder, opened(), cache, 2, '5'));
    if (!saved.ok) throw new Error(saved.message);
    const reopened = draftOf(saved.spec, decoder);
    expect(withDimSet(decoder, reopened, cache, 2, '8').input_ids!.dims).toEqual(['1', '120']);
    // A saved sequence that is no guess stays.
    const own = draftOf(
      { ...saved.spec, shapes: { ...saved.spec.shapes, input_ids: [1, 16], position_ids: [1, 16] } },
      decoder,
    );
    expect(withDimSet(decoder, own, cache, 2, '8').input_ids!.dims).toEqual(['1', '16']);
  });

  it('keeps a size typed equal to its guess as typed across a save of the form (the spec it just saved)', () => {
    // 123 after a past of 5 is also the guess there; typed, it stays when the past changes, saved or not.
    const typed = withDimSet(decoder, withDimSet(decoder, opened(), cache, 2, '5'), 'input_ids', 1, '123');
    expect(withDimSet(decoder, typed, cache, 2, '3').input_ids!.dims).toEqual(['1', '123']);
    const saved = specFromDraft(decoder, typed);
    if (!saved.ok) throw new Error(saved.message);
    // What the panel makes of the saved spec coming back, with the fields it has.
    const afterSave = draftOf(saved.spec, decoder, typed);
    expect(withDimSet(decoder, afterSave, cache, 2, '3').input_ids!.dims).toEqual(['1', '123']);
    // A spec changed elsewhere is not what the fields hold: it replaces them.
    const elsewhere = {
      ...saved.spec,
      shapes: { ...saved.spec.shapes, input_ids: [1, 16], position_ids: [1, 16] },
    };
    expect(draftOf(elsewhere, decoder, typed).input_ids!.dims).toEqual(['1', '16']);
  });

  it("says beside each field why it holds its number, the positions' too, labelled by the model's dim names", () => {
    const saved = specFromDraft(decoder, withDimSet(decoder, opened(), cache, 2, '5'));
    if (!saved.ok) throw new Error(saved.message);
    const html = render(saved.spec);
    expect(html).toContain('at most 123: positions 5..127 of the 128 rows of &#x27;pos_table&#x27;');
    expect(html).toContain('positions from 5, after the past of 5');
    expect(html).toContain('the sum past_sequence_length (5) + sequence_length (123)');
    for (const name of ['batch_size', 'sequence_length', 'past_sequence_length'])
      expect(html).toMatch(new RegExp(`<label[^>]*>${name}</label>`));
    // The heads and head size the model fixes have no name: their index.
    expect(html).toMatch(/<label[^>]*>dim 1<\/label>/);
    expect(html).toMatch(/<label[^>]*>dim 3<\/label>/);
    expect(html).not.toContain('role="alert"');
  });
});
