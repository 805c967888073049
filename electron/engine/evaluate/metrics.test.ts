import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../testing/model-fixtures.js';
import { argmax, ClassificationAccumulator, rankOf } from './classification-metrics.js';
import { cosineSimilarity, FidelityAccumulator, isDiscreteType, noTop1Reason, worstFidelity, top1ClassesOf, WHOLE_SAMPLE } from './fidelity-metrics.js';
import { RegressionAccumulator } from './regression-metrics.js';
import { RunningSum } from './running-sum.js';
import { planTask } from './task.js';

describe('classification metrics', () => {
  it('match values computed by hand, with a class that is never predicted and tied scores', () => {
    const acc = new ClassificationAccumulator(3);
    const cases: [number[], number][] = [
      [[2, 1, 0], 0], // predicted 0, right
      [[1, 1, 0], 1], // tie between 0 and 1: argmax takes the lower index, 0 -> wrong
      [[0, 3, 1], 1], // right
      [[0, 2, 2], 2], // tie between 1 and 2 -> 1, wrong
      [[5, 0, 1], 2], // predicted 0, wrong
    ];
    expect(cases.map(([s, l]) => acc.addScores(s, l))).toEqual([0, 0, 1, 1, 0]);
    const r = acc.result(['cat', 'dog', 'eel']);
    expect(r.samples).toBe(5);
    expect(r.correct).toBe(2);
    expect(r.accuracy).toBe(0.4);
    expect(r.top5).toBeUndefined(); // 3 classes: top-5 is meaningless
    expect(r.confusion).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 0],
    ]);
    // Class 2 is never predicted: its precision is 0/0, counted as 0 (scikit-learn's zero_division=0).
    expect(r.perClass).toEqual([
      { class: 0, name: 'cat', support: 1, predicted: 3, precision: 1 / 3, recall: 1, f1: 0.5 },
      { class: 1, name: 'dog', support: 2, predicted: 2, precision: 0.5, recall: 0.5, f1: 0.5 },
      { class: 2, name: 'eel', support: 2, predicted: 0, precision: 0, recall: 0, f1: 0 },
    ]);
    expect(r.precision).toBeCloseTo(5 / 18, 15);
    expect(r.recall).toBeCloseTo(0.5, 15);
    expect(r.f1).toBeCloseTo(1 / 3, 15); // mean of per-class F1, not F1 of the macro means
  });

  it('handle a single class, and a predicted class that never occurs as a label', () => {
    const one = new ClassificationAccumulator(2);
    one.addScores([3, 1], 0);
    one.addScores([2, 1], 0);
    const r = one.result();
    expect(r).toMatchObject({ accuracy: 1, precision: 1, recall: 1, f1: 1, confusion: [[2]] });
    expect(r.perClass).toEqual([{ class: 0, support: 2, predicted: 2, precision: 1, recall: 1, f1: 1 }]);

    const spurious = new ClassificationAccumulator(2);
    spurious.addScores([3, 1], 0);
    spurious.addScores([1, 3], 0);
    const s = spurious.result();
    expect(s.accuracy).toBe(0.5);
    expect(s.perClass.map((c) => [c.class, c.precision, c.recall])).toEqual([
      [0, 1, 0.5],
      [1, 0, 0], // never a label: recall 0/0 -> 0
    ]);
    expect(s.f1).toBeCloseTo((2 / 3 + 0) / 2, 15);
    expect(s.confusion).toEqual([
      [1, 1],
      [0, 0],
    ]);
  });

  it('count top-5 with ties broken by index, and read class-index outputs', () => {
    const acc = new ClassificationAccumulator(7);
    const flat = [1, 1, 1, 1, 1, 1, 1];
    acc.addScores(flat, 4); // 4 classes with a lower index tie with it: rank 4, inside the top 5
    acc.addScores(flat, 5); // rank 5: outside
    acc.addScores([0, 0, 0, 0, 0, 0, 9], 6);
    acc.addScores([9, 8, 7, 6, 5, 4, 3], 6); // rank 6
    expect(acc.result().top5).toBe(0.5);
    expect(rankOf([1, 2, NaN, 0], 3)).toBe(2); // NaN ranks below everything
    expect(argmax([NaN, 1, 2])).toBe(2);
    expect(argmax([NaN, NaN])).toBe(0);
    expect(argmax([-Infinity, -Infinity, -5])).toBe(2);

    const labels = new ClassificationAccumulator();
    labels.addPrediction(2, 2);
    labels.addPrediction(0, 2);
    const r = labels.result();
    expect(r).toMatchObject({ accuracy: 0.5, perClass: [{ class: 0 }, { class: 2 }] });
    expect(r).not.toHaveProperty('top5');
  });
});

// scikit-learn as an independent check, when installed (the product never needs Python).
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0);

describe.skipIf(!python)('classification metrics against scikit-learn', () => {
  it('agree on random predictions over 7 classes', () => {
    const next = mulberry32(5);
    const labels: number[] = [];
    const scores: number[][] = [];
    const acc = new ClassificationAccumulator(7);
    for (let i = 0; i < 300; i++) {
      // Class 6 is rare as a label and class 5 never wins, so a zero division happens.
      const label = Math.min(6, Math.floor(next() * 6.3));
      const s = Array.from({ length: 7 }, (_, c) => Math.round(next() * 4) + (c === label ? 1 : 0) - (c === 5 ? 9 : 0));
      labels.push(label);
      scores.push(s);
      acc.addScores(s, label);
    }
    const script = `
import json, sys, numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support, top_k_accuracy_score
d = json.load(sys.stdin); y = np.array(d['labels']); s = np.array(d['scores'], dtype=float)
p = s.argmax(axis=1)
labels = sorted(set(y) | set(p))
pr, rc, f1, sup = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
m = precision_recall_fscore_support(y, p, average='macro', zero_division=0)
print(json.dumps({'accuracy': accuracy_score(y, p), 'precision': m[0], 'recall': m[1], 'f1': m[2],
  'perClass': [[int(c), float(a), float(b), float(e), int(n)] for c, a, b, e, n in zip(labels, pr, rc, f1, sup)],
  'confusion': confusion_matrix(y, p, labels=labels).tolist()}))
`;
    const r = spawnSync(python!, ['-c', script], { input: JSON.stringify({ labels, scores }), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const sk = JSON.parse(r.stdout) as { accuracy: number; precision: number; recall: number; f1: number; perClass: number[][]; confusion: number[][] };
    const ours = acc.result();
    expect(ours.accuracy).toBeCloseTo(sk.accuracy, 12);
    expect(ours.precision).toBeCloseTo(sk.precision, 12);
    expect(ours.recall).toBeCloseTo(sk.recall, 12);
    expect(ours.f1).toBeCloseTo(sk.f1, 12);
    expect(ours.confusion).toEqual(sk.confusion);
    expect(ours.perClass.map((c) => c.class)).toEqual(sk.perClass.map((c) => c[0]));
    ours.perClass.forEach((c, i) => {
      const [, p, rc, f1, n] = sk.perClass[i]!;
      expect([c.precision, c.recall, c.f1, c.support]).toEqual([expect.closeTo(p!, 12), expect.closeTo(rc!, 12), expect.closeTo(f1!, 12), n]);
    });
    expect(ours.perClass.find((c) => c.class === 5)).toMatchObject({ predicted: 0, precision: 0, f1: 0 }); // never predicted
  });
});

describe('regression metrics', () => {
  it('match values computed by hand', () => {
    const acc = new RegressionAccumulator();
    acc.add([1, 2], [1.5, 2]);
    acc.add([3], [1]);
    const r = acc.result();
    expect(r.values).toBe(3);
    expect(r.mae).toBeCloseTo(2.5 / 3, 15);
    expect(r.mse).toBeCloseTo(4.25 / 3, 15);
    expect(r.rmse).toBeCloseTo(Math.sqrt(4.25 / 3), 15);
  });

  it('sum in float64 without drift', () => {
    const s = new RunningSum();
    s.add(1e16);
    for (let i = 0; i < 1000; i++) s.add(1);
    s.add(-1e16);
    expect(s.value).toBe(1000);
  });
});

describe('fidelity metrics', () => {
  it('report identical outputs as exact with infinite SQNR', () => {
    const f = new FidelityAccumulator('y', 3);
    f.add([1, 2, 3], [1, 2, 3]);
    expect(f.result()).toEqual({ output: 'y', cosine: 1, worstSampleCosine: 1, sqnrDb: null, maxAbsErr: 0, meanAbsErr: 0, top1Agreement: 1, exact: true, valueAgreement: null });
  });

  it('match values computed by hand', () => {
    const f = new FidelityAccumulator('logits', 2);
    f.add([2, 4], [1, 2]); // same direction, error [1, 2]
    f.add([0, 1], [1, 0]); // orthogonal, error [-1, 1]; top-1 disagrees
    const r = f.result();
    // dot = 2 + 8 + 0 = 10; |a|^2 = 4 + 16 + 1 = 21; |r|^2 = 1 + 4 + 1 = 6; error^2 = 1 + 4 + 1 + 1 = 7
    expect(r.cosine).toBeCloseTo(10 / Math.sqrt(21 * 6), 15);
    expect(r.worstSampleCosine).toBe(0);
    expect(r.sqnrDb).toBeCloseTo(10 * Math.log10(6 / 7), 12);
    expect(r.maxAbsErr).toBe(2);
    expect(r.meanAbsErr).toBe(5 / 4);
    expect(r.top1Agreement).toBe(0.5);
    expect(r.exact).toBe(false);
    const noScores = new FidelityAccumulator('mask', 0);
    noScores.add([0, 0], [0, 0]);
    expect(noScores.result()).toMatchObject({ cosine: 1, top1Agreement: null, exact: true });
    const oneZero = new FidelityAccumulator('z', 0);
    oneZero.add([0, 0], [1, 0]);
    expect(oneZero.result()).toMatchObject({ cosine: 0, sqnrDb: 0 });
  });
  it('take the argmax over each sample’s whole vector when the length varies ([1, seq] start logits)', () => {
    const classes = top1ClassesOf('float32', [1, 4], 'start_logits');
    const f = new FidelityAccumulator('start_logits', classes);
    f.add([0, 3, 1, 2], [0, 3, 1, 2]); // argmax 1 = 1
    f.add([5, 0, 0, 0, 0, 0, 9, 0], [5, 0, 0, 0, 0, 0, 1, 0]); // 6 vs 0: one vector of 8, not two of 4
    f.add([1, 2, 3], [1, 2, 3]); // 3 values: no "broken" chunking by 4
    const r = f.result();
    expect(r.top1Agreement).toBe(2 / 3);
    expect(r.top1Positions).toBeUndefined();
  });

  it('take no argmax of one vector per sample whose name says an embedding or features, and say why', () => {
    // `emb [1, 8]` (an audio embedding) got a Top-1 agreement of 100%: the argmax of features means nothing.
    for (const name of ['emb', 'embedding', 'features', 'pooler_output', 'last_hidden']) {
      expect(top1ClassesOf('float32', [1, 8], name)).toBe(0);
      expect(noTop1Reason('float32', [1, 8], name)).toMatch(/features or an embedding.*compared by cosine/);
    }
    // Scores keep theirs, by name or under a name that says nothing.
    for (const name of ['logits', 'output', 'pooled', 'feature_logits']) {
      expect(top1ClassesOf('float32', [1, 8], name)).toBe(WHOLE_SAMPLE);
      expect(noTop1Reason('float32', [1, 8], name)).toBeUndefined();
    }
  });

  it('measure a bool or integer output by its share of equal values, and leave it out of the worst cosine', () => {
    // One flipped bit of 40 (a Greater after int8): cosine 0.974, yet 39 of 40 values agree.
    const reference = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const actual = [...reference];
    actual[1] = 1;
    const pos = new FidelityAccumulator('pos', 0, true);
    pos.add(actual, reference);
    const bits = pos.result();
    expect(bits.cosine).toBeCloseTo(20 / Math.sqrt(21 * 20), 12);
    expect(bits.valueAgreement).toBe(39 / 40);
    const y = new FidelityAccumulator('y', 3);
    y.add([1, 2.001, 3], [1, 2, 3]);
    const values = y.result();
    expect(values.valueAgreement).toBeNull();
    expect(worstFidelity([values, bits])).toEqual({ cosine: values.cosine, agreement: 39 / 40, discreteOutputs: ['pos'] });
    // Only bool or integer outputs: no cosine to budget; older reports (no valueAgreement) count as float.
    expect(worstFidelity([bits])).toEqual({ agreement: 39 / 40, discreteOutputs: ['pos'] });
    expect(worstFidelity([{ output: 'y', cosine: 0.5 }])).toEqual({ cosine: 0.5, discreteOutputs: [] });
    expect(['bool', 'int64', 'uint8'].every(isDiscreteType)).toBe(true);
    expect(['float32', 'float16', 'double', 'string'].some(isDiscreteType)).toBe(false);
  });

  it('cosine similarity of two vectors, with the zero-vector conventions of the accumulator', () => {
    expect(cosineSimilarity([2, 4, 0], [1, 2, 0])).toBeCloseTo(1, 15);
    expect(cosineSimilarity([1, 0], [0, 3])).toBe(0);
    expect(cosineSimilarity([3, 4], [4, 3])).toBeCloseTo(24 / 25, 15);
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(1);
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
  });
});

describe('task decision', () => {
  const logits = { name: 'logits', type: 'float32', dims: [1, 10] };
  it('decides classification for class indices against class scores, and says why', () => {
    const plan = planTask('auto', 3, logits);
    expect(plan).toMatchObject({ task: 'classification', mode: 'scores', classes: 10 });
    expect(plan.reason).toBe(
      "classification: labels are class indices and output 'logits' (float32 [1, 10]) scores 10 classes; " +
        'whole-number labels are class indices even when stored as floats (0.0, 1.0, ...); --task regression reads them as targets',
    );
    // A float label that is a whole number (3.0 from a float32 .npy reads as 3) is a class index too.
    expect(planTask('auto', Number(Float32Array.of(3)[0]), logits)).toMatchObject({ task: 'classification' });
    expect(planTask('auto', 1, { name: 'label', type: 'int64', dims: [1] })).toMatchObject({ task: 'classification', mode: 'label' });
  });

  it('decides regression for fractional or vector labels and single-value outputs', () => {
    expect(planTask('auto', 0.5, { name: 'y', type: 'float32', dims: [1, 1] }).reason).toMatch(/^regression: labels are not whole numbers/);
    expect(planTask('auto', 2, { name: 'y', type: 'float32', dims: [1] })).toMatchObject({ task: 'regression' });
    expect(planTask('auto', Float64Array.from([1, 2]), { name: 'y', type: 'float32', dims: [1, 2] })).toMatchObject({ task: 'regression' });
    expect(planTask('regression', 3, { name: 'y', type: 'float32', dims: [1, 1] })).toMatchObject({ task: 'regression' });
  });

  it('refuses a task that does not fit the labels or the output', () => {
    expect(() => planTask('auto', 0.5, logits)).toThrow(/not whole numbers, so they cannot be class indices/);
    expect(() => planTask('classification', Float64Array.from([1, 2]), logits)).toThrow(/one class index per sample/);
    expect(() => planTask('classification', 1, { name: 'seg', type: 'float32', dims: [1, 3, 4, 4] })).toThrow(/neither class scores/);
    expect(() => planTask('regression', 1, logits)).toThrow(/10 values per sample\) with labels of 1 value/);
  });
});
