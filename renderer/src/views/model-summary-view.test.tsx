import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ModelSummary, TensorSummary } from '../../../shared/model-summary.js';
import { SAMPLE_SUMMARY } from '../host/mock/fixtures.js';
import { ExternalDataNote, KvCacheNote, TensorTable } from './model-summary-view.js';

const withData = (externalDataFiles: ModelSummary['externalDataFiles']): ModelSummary => ({
  ...SAMPLE_SUMMARY,
  fileBytes: 1024,
  externalDataBytes: (externalDataFiles ?? []).reduce((n, f) => n + f.bytes, 0) || 3 * 2 ** 20,
  ...(externalDataFiles ? { externalDataFiles } : {}),
});

/** The text of the view's external data part: the note, and its table of files. */
function externalData(summary: ModelSummary): string {
  return renderToStaticMarkup(<ExternalDataNote summary={summary} />)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe("the Model view's external data (user test 3c, finding 9)", () => {
  it('lists each data file with its location relative to the model, tensors and size', () => {
    const text = externalData(
      withData([
        { location: 'weights/w1.bin', bytes: 2 * 2 ** 20, tensors: 3 },
        { location: 'weights/w2.bin', bytes: 2 ** 20, tensors: 1 },
      ]),
    );
    // Not "beside the model" / "in the same folder": copied flat, the model would not find them.
    expect(text).toContain(
      'External data: 3.00 MiB of weights (100% of 3.00 MiB) live in 2 files in the folder weights/ beside the model. ' +
        'Copy them along with the model, to the same places relative to it; exported variants carry their own.',
    );
    expect(text).toContain('weights/w1.bin 3 2.00 MiB weights/w2.bin 1 1.00 MiB');
    expect(text).not.toContain('same folder');
  });

  it('says one file beside the model as such; a summary saved before files were listed names none', () => {
    expect(externalData(withData([{ location: 'model.onnx.data', bytes: 2 ** 20, tensors: 4 }]))).toContain(
      'live in one file beside the model. Copy it along with the model, to the same place relative to it;',
    );
    const older = externalData(withData(undefined));
    expect(older).toContain('live in files the model names relative to its own folder.');
    expect(older).not.toContain('beside the model');
    expect(externalData(SAMPLE_SUMMARY)).toBe(
      'External data: none. Every weight is stored inside the .onnx file.',
    );
  });
});

/** A decoder's inputs of `layers` layers of cache, as the engine summarizes kv-cache-layers.ts's. */
const decoderInputs = (layers: number): TensorSummary[] => [
  { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'past_sequence_length + sequence_length'] },
  ...Array.from({ length: layers }, (_, n) =>
    ['key', 'value'].map((part) => ({
      name: `past_key_values.${n}.${part}`,
      dtype: 'float32',
      shape: ['batch_size', 2, 'past_sequence_length', 8],
    })),
  ).flat(),
];

/** The table's markup, and its rows' text (a hidden tbody's rows marked `hidden:`). */
function table(tensors: TensorSummary[], open?: string[]) {
  const html = renderToStaticMarkup(
    <TensorTable caption="Inputs" tensors={tensors} noun="inputs" {...(open ? { open } : {})} />,
  );
  const rows = [...html.matchAll(/<tbody([^>]*)>(.*?)<\/tbody>/g)].flatMap(([, attrs, body]) =>
    [...body!.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map(
      ([, row]) =>
        (/ hidden=""/.test(attrs!) ? 'hidden: ' : '') +
        row!
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
    ),
  );
  return { html, rows };
}

describe("the Model view's inputs and outputs of a decoder with a KV cache", () => {
  it('shows the 8 alike cache inputs of 4 layers as one row, its members listed hidden under it', () => {
    const { html, rows } = table(decoderInputs(4));
    expect(rows.slice(0, 3)).toEqual([
      'input_ids int64 [batch_size, sequence_length]',
      'attention_mask int64 [batch_size, past_sequence_length + sequence_length]',
      'past_key_values.0..3.key/value (8 inputs) List all 8 float32 [batch_size, 2, past_sequence_length, 8]',
    ]);
    expect(rows.slice(3)).toHaveLength(8);
    expect(rows[3]).toBe('hidden: past_key_values.0.key float32 [batch_size, 2, past_sequence_length, 8]');
    expect(rows.every((r, i) => i < 3 || r.startsWith('hidden: '))).toBe(true);
    // The button says whether the list is open and which rows it shows: a keyboard and a screen reader reach it.
    const button = /<button[^>]*>List all 8<\/button>/.exec(html)![0];
    expect(button).toContain('type="button"');
    expect(button).toContain('aria-expanded="false"');
    const controls = /aria-controls="([^"]+)"/.exec(button)![1]!;
    expect(html).toContain(`<tbody id="${controls}" hidden=""`);
  });

  it('lists the members when open, and keeps single rows for one layer or a single cache-like name', () => {
    const open = table(decoderInputs(32), ['past_key_values.0.key']);
    expect(open.rows[2]).toBe(
      'past_key_values.0..31.key/value (64 inputs) Hide float32 [batch_size, 2, past_sequence_length, 8]',
    );
    expect(open.rows.slice(3)).toHaveLength(64);
    expect(open.rows.at(-1)).toBe(
      'past_key_values.31.value float32 [batch_size, 2, past_sequence_length, 8]',
    );
    expect(open.html).toContain('aria-expanded="true"');
    expect(table(decoderInputs(1)).rows).toEqual([
      'input_ids int64 [batch_size, sequence_length]',
      'attention_mask int64 [batch_size, past_sequence_length + sequence_length]',
      'past_key_values.0.key float32 [batch_size, 2, past_sequence_length, 8]',
      'past_key_values.0.value float32 [batch_size, 2, past_sequence_length, 8]',
    ]);
    const single = table([{ name: 'past_key_values', dtype: 'float32', shape: [1, 2, 'past', 8] }]);
    expect(single.rows).toEqual(['past_key_values float32 [1, 2, past, 8]']);
    expect(single.html).not.toContain('<button');
    expect(table([]).rows).toEqual(['None']);
  });
});

/** The KV cache note's text, or '' where the view shows none. */
const kvNote = (inputs: TensorSummary[]) =>
  renderToStaticMarkup(<KvCacheNote inputs={inputs} />)
    .replace(/<[^>]+>/g, '')
    .replace(/&#x27;/g, "'");

describe("the Model view's line on a decoder with a KV cache", () => {
  it('says it is one, names its cache, and that every job starts from an empty past', () => {
    expect(kvNote(decoderInputs(32))).toBe(
      'Decoder with a KV cache: 64 cache inputs (past_key_values.0..31.key/value); every job starts from an empty ' +
        'past (the first step) unless the input spec sets past_sequence_length.',
    );
  });

  it('names an unnamed past by its axis, and says nothing for a model without a cache', () => {
    const unnamed = decoderInputs(2).map((i) =>
      i.name.startsWith('past') ? { ...i, shape: ['batch_size', 2, null, 8] } : i,
    );
    expect(kvNote(unnamed)).toBe(
      'Decoder with a KV cache: 4 cache inputs (past_key_values.0..1.key/value); every job starts from an empty ' +
        'past (the first step) unless the input spec sets its length (dim 2 of the cache inputs).',
    );
    expect(kvNote(SAMPLE_SUMMARY.inputs)).toBe('');
  });
});
