import { describe, expect, it } from 'vitest';
import type { OptionField } from '../../../shared/method-catalog-types.js';
import { describeConstraints, initialValues, toOptions, validate } from './schema-fields.js';

const fields: OptionField[] = [
  { name: 'perTensor', label: 'Per tensor', type: 'boolean', required: false, default: false },
  {
    name: 'calibMethod',
    label: 'Calib method',
    type: 'enum',
    required: false,
    choices: ['minmax', 'percentile'],
    default: 'percentile',
  },
  {
    name: 'percentile',
    label: 'Percentile',
    type: 'number',
    required: false,
    default: 99.999,
    exclusiveMinimum: 50,
    maximum: 100,
  },
  {
    name: 'calibSamples',
    label: 'Calib samples',
    type: 'integer',
    required: false,
    minimum: 1,
    maximum: 9007199254740991,
  },
  { name: 'opTypes', label: 'Op types', type: 'string-list', required: false },
  { name: 'pattern', label: 'Pattern', type: 'string', required: false, pattern: '^\\d+:\\d+$' },
  { name: 'sparsity', label: 'Sparsity', type: 'number', required: true, minimum: 0, maximum: 1 },
  { name: 'preprocessing.mean', label: 'Mean', type: 'json', required: false },
];

describe('generated option forms', () => {
  it('starts from defaults and presets', () => {
    expect(initialValues(fields, { sparsity: 0.5 })).toEqual({
      perTensor: false,
      calibMethod: 'percentile',
      percentile: '99.999',
      calibSamples: '',
      opTypes: '',
      pattern: '',
      sparsity: '0.5',
      'preprocessing.mean': '',
    });
  });

  it('names each wrong field with what is allowed', () => {
    const values = {
      ...initialValues(fields),
      percentile: '50',
      calibSamples: '2.5',
      pattern: '2-4',
      sparsity: '',
      'preprocessing.mean': '[1,',
    };
    expect(validate(fields, values)).toEqual({
      percentile: 'Percentile must be more than 50.',
      calibSamples: 'Calib samples must be a whole number.',
      pattern: 'Pattern has the wrong format.',
      sparsity: 'Sparsity is required.',
      'preprocessing.mean': 'Mean is not valid JSON.',
    });
    expect(
      validate(fields, {
        ...values,
        percentile: '99',
        calibSamples: '64',
        pattern: '2:4',
        sparsity: '1.5',
        'preprocessing.mean': '[1]',
      }),
    ).toEqual({
      sparsity: 'Sparsity must be at most 1.',
    });
  });

  it('sends typed values that differ from the defaults, nesting dotted names', () => {
    const values = {
      ...initialValues(fields),
      perTensor: true,
      calibSamples: '64',
      opTypes: 'Conv, MatMul,',
      sparsity: '0.25',
      'preprocessing.mean': '[0.5]',
    };
    expect(toOptions(fields, values)).toEqual({
      perTensor: true,
      calibSamples: 64,
      opTypes: ['Conv', 'MatMul'],
      sparsity: 0.25,
      preprocessing: { mean: [0.5] },
    });
  });

  it('describes constraints, leaving out the huge bounds zod adds to integers', () => {
    expect(describeConstraints(fields[3] as OptionField)).toBe('at least 1.');
    expect(describeConstraints(fields[2] as OptionField)).toBe('more than 50, at most 100.');
  });
});
