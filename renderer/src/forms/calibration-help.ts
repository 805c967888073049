/**
 * The help of a calibrating method's "Calib samples" field, said for the app. The option's own description
 * (shared/options/quantize-options.ts) speaks for the command line, whose `--calib-data synthetic` makes 64
 * samples unless told; the app never does that: its calibration data form always sets a count (Samples,
 * 32 by default in dataset-draft.ts), and an empty field calibrates on every sample the data gives. So the help
 * reads that count from the form's own spec rather than naming a number of its own.
 */
import type { DatasetSpecInput } from '../../../shared/dataset-spec.js';
import type { OptionField } from './schema-fields.js';

/** The option that limits calibration samples (int8-static's `calibSamples`). */
export const CALIB_SAMPLES_FIELD = 'calibSamples';

/** What an empty "Calib samples" does with `calibration`, the spec the calibration data form builds now. */
export function calibSamplesHelp(calibration: DatasetSpecInput | undefined): string {
  const lead = 'Use at most this many calibration samples. Empty:';
  if (calibration?.kind === 'synthetic') {
    return `${lead} all ${calibration.samples} synthetic samples set under Calibration data.`;
  }
  const limit = calibration && 'limit' in calibration ? calibration.limit : undefined;
  return limit !== undefined
    ? `${lead} the first ${limit} samples of the Calibration data (its "Use at most").`
    : `${lead} every sample of the Calibration data.`;
}

/** `fields` with the descriptions in `hints` (by field name) in place of their own. */
export function withHints(
  fields: readonly OptionField[],
  hints: Readonly<Record<string, string>>,
): OptionField[] {
  return fields.map((f) => (hints[f.name] !== undefined ? { ...f, description: hints[f.name] } : f));
}
