import { describe, expect, it } from 'vitest';
import { echoesOwnIds, gradesOwnIds, measuresNothingAlone, ownIdsGraded } from './own-ids.js';

/* When a model is graded on its own token ids (eval's next-token task), read from its summary. */

const ids = { dtype: 'int64', shape: [1, 'seq'], indexes: { rows: 32000 } };
const decoder = { inputs: [ids], outputs: [{ dtype: 'float32', shape: [1, 'seq', 32000] }] };
// A BERT-style classifier: its ids look up a table too, but its output scores 2 classes, not the vocabulary.
const classifier = { inputs: [ids], outputs: [{ dtype: 'float32', shape: [1, 2] }] };

describe('own ids', () => {
  it('grades a decoder on its ids, not a classifier, and never synthetic ids', () => {
    expect(gradesOwnIds(decoder)).toBe(true);
    expect(gradesOwnIds(classifier)).toBe(false);
    expect(ownIdsGraded({ kind: 'npy' }, decoder)).toBe(true);
    expect(ownIdsGraded({ kind: 'synthetic' }, decoder)).toBe(false);
    expect(measuresNothingAlone({ kind: 'npy' }, decoder)).toBe(false);
    expect(measuresNothingAlone({ kind: 'npy' }, classifier)).toBe(true);
    expect(measuresNothingAlone({ kind: 'npy', labels: 'y.npy' }, classifier)).toBe(false);
    expect(measuresNothingAlone({ kind: 'npy' }, undefined)).toBe(true);
  });

  it('tells a model that echoes its ids from one that predicts the next', () => {
    expect(echoesOwnIds({ accuracy: 0, ownIdShare: 0.97 })).toBe(true);
    expect(echoesOwnIds({ accuracy: 0.45, ownIdShare: 0.6 })).toBe(false);
    expect(echoesOwnIds({ accuracy: 0.1, ownIdShare: 0.3 })).toBe(false);
    expect(echoesOwnIds({ accuracy: 0.1 })).toBe(false);
  });
});
