import type { SampleSource } from '../engine/datasets/sample-source.js';
import { openDataset } from '../engine/datasets/open-dataset.js';
import { loadModel } from '../engine/onnx/load-model.js';
import { refuseUnknownDims, resolveInputSpecs } from '../engine/runtime/input-specs.js';
import type { CliContext } from './cli-context.js';
import { INPUT_DATA_OPTIONS, parseDataFlags } from './data-flags.js';
import { parseShapeFlags, SHAPE_HELP } from './shape-flags.js';

/** Synthetic calibration uses this many samples unless --calib-samples says otherwise. */
const DEFAULT_SYNTHETIC_SAMPLES = 64;

// Calibration takes the data flags of `eval` except --labels (calibration needs none) and --samples
// (--calib-samples sets the count).
const calibrationDataOptions = Object.fromEntries(
  Object.entries(INPUT_DATA_OPTIONS).filter(([flag]) => flag !== 'samples'),
) as Record<string, { type: 'string' | 'boolean' }>;

export const CALIBRATION_OPTIONS = {
  ...calibrationDataOptions,
  'calib-data': { type: 'string' },
} as const;

export const CALIBRATION_HELP = [
  '  --calib-data DATA        calibration data for int8-static: synthetic, FILE.npy, FILE.npz, FILE.jsonl,',
  '                           an image folder, or SPEC.json (see docs/cli.md, Data); image folders take',
  '                           the preprocessing flags of `eval` (--size, --resize, --mean, --std, ...)',
  '  --seed S                 seed of synthetic calibration data (default 0)',
  ...SHAPE_HELP,
].join('\n');

/** The calibration SampleSource the flags describe, or undefined when --calib-data is absent. */
export async function openCalibrationData(ctx: CliContext, modelPath: string): Promise<SampleSource | undefined> {
  const data = ctx.values['calib-data'];
  if (data === undefined) return undefined;
  const { spec, baseDir, readLimit } = await parseDataFlags(typeof data === 'string' ? data : undefined, ctx.values, {
    dataFlag: 'calib-data',
    samplesFlag: 'calib-samples',
    defaultSyntheticSamples: DEFAULT_SYNTHETIC_SAMPLES,
    // --calib-samples is int8-static's calibSamples, which the recipe records: not the data's limit as well.
    realDataCount: 'read',
  });
  const model = await loadModel(modelPath);
  const overrides = parseShapeFlags(ctx.values.shape, ctx.values.dim, ctx.values.value);
  const { inputs, notes, namedDims } = resolveInputSpecs(model.proto, overrides);
  refuseUnknownDims(overrides.dims, [namedDims]);
  const source = await openDataset(spec, inputs, { baseDir, ...(readLimit !== undefined ? { limit: readLimit } : {}) });
  // Real data brings its own shapes: the dims nothing set matter only to synthetic samples, whose notes carry
  // them to the report (the command prints them once as a warning, and they are in its JSON's notes[]).
  if (spec.kind === 'synthetic' && notes.length > 0)
    return Object.assign(source, { notes: [...notes, ...source.notes] });
  return source;
}
