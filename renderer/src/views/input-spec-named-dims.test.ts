import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../shared/model-summary.js';
import type { Workspace } from '../../../shared/workspace.js';
import type { Studio } from '../state/use-studio.js';
import { InputSpecPanel, sharedDimsNote, specFromDraft, withDimSet } from './input-spec-panel.js';

/** A transformer's inputs: `seq` named in both (user test 3a, m/tfm.onnx), and an input of its own dims. */
const tfm = {
  path: '/m/tfm.onnx',
  fileBytes: 1000,
  externalDataBytes: 0,
  inputs: [
    { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'extra', dtype: 'float32', shape: [null, null] },
  ],
  outputs: [],
} as unknown as ModelSummary;

const ids = { kind: 'range', a: '0', b: '99' } as const;
const ones = { kind: 'constant', a: '1', b: '' } as const;
const drafts = (seqIds: string, seqMask: string) => ({
  input_ids: { dims: ['1', seqIds], values: { ...ids } },
  attention_mask: { dims: ['1', seqMask], values: { ...ones } },
  extra: { dims: ['1', '4'] },
});

describe('one named dim in the input spec form (user test 3a, finding 2)', () => {
  it('refuses two sizes for one named dim, on the fields that give them, with the shared message', () => {
    expect(specFromDraft(tfm, drafts('16', '128'))).toEqual({
      ok: false,
      message:
        "Input 'attention_mask' makes dim 'seq' 128, but input 'input_ids' makes it 16: a named dim is one size in every input. Give one size.",
      field: { input: 'attention_mask', part: 1 },
      also: [{ input: 'input_ids', part: 1 }],
    });
    expect(specFromDraft(tfm, drafts('16', '16'))).toMatchObject({
      ok: true,
      spec: { shapes: { input_ids: [1, 16], attention_mask: [1, 16], extra: [1, 4] } },
    });
  });

  it('sets a named dim in every input that has it, and an unnamed dim in its own input only', () => {
    const set = withDimSet(tfm, drafts('128', '128'), 'input_ids', 1, '16');
    expect(set.input_ids!.dims).toEqual(['1', '16']);
    expect(set.attention_mask!.dims).toEqual(['1', '16']);
    expect(set.attention_mask!.values).toEqual(ones);
    expect(specFromDraft(tfm, set)).toMatchObject({ ok: true });
    const own = withDimSet(tfm, drafts('128', '128'), 'extra', 0, '8');
    expect(own.extra!.dims).toEqual(['8', '4']);
    expect(own.input_ids!.dims).toEqual(['1', '128']);
    expect(sharedDimsNote(tfm)).toBe(
      "The named dims 'batch' and 'seq' are each one size in every input that has them: setting one in an input sets it in the others.",
    );
    expect(sharedDimsNote({ ...tfm, inputs: tfm.inputs.slice(2) })).toBeUndefined();
  });

  it('opens a saved spec with two sizes as a form that marks both fields and does not save', () => {
    const workspace = {
      experiment: {
        inputs: {
          shapes: { input_ids: [1, 16], attention_mask: [1, 128], extra: [1, 4] },
          values: {
            input_ids: { kind: 'range', min: 0, max: 99 },
            attention_mask: { kind: 'constant', value: 1 },
          },
        },
        inputsConfirmedAt: '2026-12-05T00:00:00Z',
      },
    } as unknown as Workspace;
    const html = renderToStaticMarkup(
      createElement(InputSpecPanel, { studio: {} as Studio, summary: tfm, workspace }),
    );
    expect(html).toContain('Set the input shapes before running anything');
    expect(html).toContain('a named dim is one size in every input. Give one size.');
    expect(html.match(/aria-invalid="true"/g)).toHaveLength(2);
    expect(html).toMatch(/<button[^>]*disabled=""[^>]*data-testid="save-input-spec"/);
    // No Cancel back to a spec no job can use.
    expect(html).not.toContain('>Cancel</button>');
  });
});
