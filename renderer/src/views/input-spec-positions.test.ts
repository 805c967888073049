import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { guessInputSpec, specFromGuesses, type InputSpec } from '../../../shared/input-spec.js';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { Workspace } from '../../../shared/workspace.js';
import type { Studio } from '../state/use-studio.js';
import { draftOf, InputSpecPanel, specFromDraft, withDimSet } from './input-spec-panel.js';

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
      also: [{ input: 'position_ids', part: 1 }],
    });
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
