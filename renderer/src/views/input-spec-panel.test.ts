import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../shared/model-summary.js';
import { inputNeedsSpec, largeInputWarnings } from '../../../shared/input-spec.js';
import {
  BOOL_CHOICES,
  boolChoiceOf,
  describeValues,
  specFromDraft,
  wholeShapeDims,
} from './input-spec-panel.js';

const summary = {
  path: '/m/x.onnx',
  inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }],
  outputs: [],
} as unknown as ModelSummary;

describe('the input spec form', () => {
  it("names a bad dim by its field's label, not its position", () => {
    for (const w of ['0', '-5', '2.5', '']) {
      const parsed = specFromDraft(summary, { x: { dims: ['1', '3', '224', w] } });
      expect(parsed).toEqual({ ok: false, message: "Input 'x': W must be a whole number of at least 1." });
    }
    const unnamed = {
      ...summary,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, null] }],
    } as unknown as ModelSummary;
    expect(specFromDraft(unnamed, { x: { dims: ['1', '0'] } })).toMatchObject({ message: /'x': dim 1 must/ });
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
});
