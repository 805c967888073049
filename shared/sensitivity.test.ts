import { describe, expect, it } from 'vitest';
import {
  sensitivityFigure,
  UNBOUNDED_BELOW_DROP,
  UNBOUNDED_DROP,
  type SensitivityRow,
} from './sensitivity.js';

const row = (over: Partial<SensitivityRow>): SensitivityRow => ({
  node: 'conv2',
  opType: 'Conv',
  inputs: ['p'],
  localSqnrDb: 46.64,
  sqnrDb: 40.81,
  outputSqnrDb: 38.9,
  dropDb: 1.91,
  ...over,
});

describe('sensitivityFigure', () => {
  it('tells a measured figure, an exact one, an unmeasured one and an unbounded drop apart', () => {
    expect(sensitivityFigure(row({}), 'dropDb')).toBe('1.9');
    expect(sensitivityFigure(row({ localSqnrDb: null }), 'localSqnrDb')).toBe('exact');
    const unmeasured = row({
      outputSqnrDb: null,
      unmeasured: { outputSqnrDb: "'br_prequant' is not in the float model" },
    });
    expect(sensitivityFigure(unmeasured, 'outputSqnrDb')).toBe('unmeasured');
    expect(sensitivityFigure(row({ dropDb: null, unmeasured: { dropDb: UNBOUNDED_DROP } }), 'dropDb')).toBe(
      'inf',
    );
    expect(
      sensitivityFigure(row({ dropDb: null, unmeasured: { dropDb: UNBOUNDED_BELOW_DROP } }), 'dropDb'),
    ).toBe('-inf');
  });
});
