import { describe, expect, it } from 'vitest';
import type { TensorSummary } from '../../../shared/model-summary.js';
import { outputTable } from './sensitivity-outputs.js';

const kv = ['batch_size', 2, 'past_sequence_length + 1', 8];
/** A decoder's declared outputs: logits and `layers` layers of cache. */
const declared = (layers: number): TensorSummary[] => [
  { name: 'logits', dtype: 'float32', shape: ['batch_size', 'sequence_length', 32] },
  ...Array.from({ length: layers }, (_, n) =>
    ['key', 'value'].map((part) => ({ name: `present.${n}.${part}`, dtype: 'float32', shape: kv })),
  ).flat(),
];
/** Their SQNRs: logits 44, the cache from 40 dB falling by a dB a layer. */
const measured = (layers: number) => [
  { name: 'logits', sqnrDb: 44 },
  ...Array.from({ length: layers }, (_, n) => [
    { name: `present.${n}.key`, sqnrDb: 40 - n },
    { name: `present.${n}.value`, sqnrDb: 40.5 - n },
  ]).flat(),
];

describe("sensitivity's output table on a decoder with a KV cache", () => {
  it('shows the alike cache outputs of 4 layers as one row of their lowest SQNR, naming whose it is', () => {
    expect(outputTable(measured(4), declared(4))).toEqual({
      rows: [
        ['logits', '44.0'],
        ['present.0..3.key/value (8 outputs)', '37.0'],
      ],
      lines: [
        "present.0..3.key/value: the lowest SQNR of the 8 outputs, present.3.key's; --json lists each.",
      ],
    });
    // All exact (null, no reason): the row says so.
    const exact = measured(4).map((o) => ({ ...o, sqnrDb: null }));
    expect(outputTable(exact, declared(4)).rows[1]).toEqual(['present.0..3.key/value (8 outputs)', 'exact']);
    // One exact among them: the lowest is still a figure.
    const one = measured(4).map((o) => (o.name === 'present.3.key' ? { ...o, sqnrDb: null } : o));
    expect(outputTable(one, declared(4)).rows[1]).toEqual(['present.0..3.key/value (8 outputs)', '37.5']);
  });

  it('keeps a row each for one layer, an unmeasured output, another shape and a single cache-like name', () => {
    expect(outputTable(measured(1), declared(1)).rows.map((r) => r[0])).toEqual([
      'logits',
      'present.0.key',
      'present.0.value',
    ]);
    const unmeasured = measured(4).map((o) =>
      o.name === 'present.2.value' ? { ...o, sqnrDb: null, unmeasured: 'not in the QDQ model' } : o,
    );
    expect(outputTable(unmeasured, declared(4)).rows).toContainEqual(['present.2.value', 'unmeasured']);
    const shaped = declared(4).map((o) => (o.name === 'present.1.key' ? { ...o, shape: [1, 2, 9, 8] } : o));
    expect(outputTable(measured(4), shaped).rows.map((r) => r[0])).toEqual([
      'logits',
      'present.0.key … present.3.value (7 outputs)',
      'present.1.key',
    ]);
    const single = outputTable(
      [{ name: 'present', sqnrDb: 30 }],
      [{ name: 'present', dtype: 'float32', shape: kv }],
    );
    expect(single).toEqual({ rows: [['present', '30.0']], lines: [] });
  });
});
