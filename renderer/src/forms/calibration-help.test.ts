import { describe, expect, it } from 'vitest';
import { buildDatasetSpec, emptyDatasetDraft } from './dataset-draft.js';
import { calibSamplesHelp, withHints } from './calibration-help.js';
import type { OptionField } from './schema-fields.js';

describe('the help of Calib samples', () => {
  it("says what an empty field does with the form's default calibration data, in the form's own count", () => {
    const built = buildDatasetSpec(emptyDatasetDraft());
    const spec = built.ok ? built.spec : undefined;
    const help = calibSamplesHelp(spec);
    // The form's default synthetic set, as the recorded command has it (--calib-samples 32); not the CLI's 64.
    expect(spec).toMatchObject({ kind: 'synthetic' });
    expect(help).toContain(`all ${spec?.kind === 'synthetic' ? spec.samples : NaN} synthetic samples`);
    expect(help).not.toContain('64');
  });

  it('follows the count typed, and a file with or without its limit', () => {
    expect(calibSamplesHelp({ kind: 'synthetic', samples: 200 })).toBe(
      'Use at most this many calibration samples. Empty: all 200 synthetic samples set under Calibration data.',
    );
    expect(calibSamplesHelp({ kind: 'npy', path: '/d/x.npy', limit: 50 })).toBe(
      'Use at most this many calibration samples. Empty: the first 50 samples of the Calibration data (its "Use at most").',
    );
    expect(calibSamplesHelp({ kind: 'images', path: '/d/img' })).toBe(
      'Use at most this many calibration samples. Empty: every sample of the Calibration data.',
    );
    expect(calibSamplesHelp(undefined)).toContain('every sample');
  });

  it('replaces only the described fields', () => {
    const fields = [
      { name: 'calibSamples', label: 'Calib samples', type: 'integer', description: 'old' },
      { name: 'percentile', label: 'Percentile', type: 'number', description: 'kept' },
    ] as OptionField[];
    expect(withHints(fields, { calibSamples: 'new' }).map((f) => f.description)).toEqual(['new', 'kept']);
  });
});
