import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpyArray } from '../datasets/npy-format.js';
import { makeNode, makeValueInfo } from '../onnx/graph-build.js';
import { TensorProto_DataType as DT } from 'onnx-buf';
import { buildMlp, modelBytes } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { buildTiedLm, TIED_LM } from '../testing/tied-lm.js';
import { checkDataset } from '../datasets/check-dataset.js';
import { evaluateModel } from './evaluate-model.js';
import { gradePosition } from './next-token.js';

/*
 * Next-token metrics on a tied-head LM (ids [8] -> logits [8, 64]) fed real-looking ids without labels: checked
 * against figures computed here from onnxruntime's own logits, another way (softmax, then a sort for the top 5).
 */

const VOCAB = 64;
const TOKENS = 8;
const SAMPLES = 6;

let tmp: ReturnType<typeof makeTempDir>;
let model: string;
let probsModel: string;
let ids: string;
let sequences: number[][];

beforeAll(() => {
  tmp = makeTempDir('onnx-studio-next-token-');
  model = path.join(tmp.dir, 'lm.onnx');
  fs.writeFileSync(model, modelBytes(buildTiedLm({ vocab: VOCAB, tokens: TOKENS })));
  // The same LM ending in a Softmax: its scores are probabilities, and its figures must be the same.
  const probs = buildTiedLm({ vocab: VOCAB, tokens: TOKENS });
  probs.graph!.node.push(makeNode('Softmax', ['logits'], ['probs'], { attributes: { axis: { int: -1 } } }));
  probs.graph!.output = [makeValueInfo('probs', DT.FLOAT, [TOKENS, VOCAB])];
  probsModel = path.join(tmp.dir, 'lm-probs.onnx');
  fs.writeFileSync(probsModel, modelBytes(probs));
  sequences = Array.from({ length: SAMPLES }, (_, s) =>
    Array.from({ length: TOKENS }, (_, t) => (s * 13 + t * t * 7 + t) % VOCAB),
  );
  ids = path.join(tmp.dir, 'ids.npy');
  fs.writeFileSync(
    ids,
    encodeNpyArray(BigInt64Array.from(sequences.flat().map(BigInt)), 'int64', [SAMPLES, TOKENS]),
  );
});
afterAll(() => tmp.cleanup());

/** The figures computed from onnxruntime's logits: softmax probabilities, and a full sort for the top 5. */
async function expected(): Promise<{
  accuracy: number;
  top5: number;
  crossEntropy: number;
  positions: number;
}> {
  const session = await ort.InferenceSession.create(model);
  let positions = 0;
  let correct = 0;
  let top5 = 0;
  let nll = 0;
  try {
    for (const sequence of sequences) {
      const feed = { ids: new ort.Tensor('int64', BigInt64Array.from(sequence.map(BigInt)), [TOKENS]) };
      const logits = (await session.run(feed)).logits!.data as Float32Array;
      for (let t = 0; t + 1 < TOKENS; t++) {
        const row = Array.from(logits.subarray(t * VOCAB, (t + 1) * VOCAB));
        const target = sequence[t + 1]!;
        const max = Math.max(...row);
        const exps = row.map((v) => Math.exp(v - max));
        const total = exps.reduce((a, b) => a + b, 0);
        nll -= Math.log(exps[target]! / total);
        const order = row.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        if (order[0]![1] === target) correct++;
        if (order.slice(0, 5).some(([, i]) => i === target)) top5++;
        positions++;
      }
    }
  } finally {
    await session.release();
  }
  return { accuracy: correct / positions, top5: top5 / positions, crossEntropy: nll / positions, positions };
}

describe('next-token metrics', () => {
  it('grades an LM on its own ids without labels, as computed from its logits another way', async () => {
    const report = await evaluateModel({ model, data: { kind: 'npy', path: ids } });
    const want = await expected();
    expect(report.task).toBe('next-token');
    expect(report.output).toBe('logits');
    expect(report.taskReason).toContain(
      `input 'ids' ([8] in the first sample) looks up '${TIED_LM.table}' (64 rows), and output 'logits' [8, 64] scores 64 ids`,
    );
    expect(report.taskReason).toContain('graded on the id after it');
    expect(report.nextToken).toMatchObject({ idsInput: 'ids', positions: SAMPLES * (TOKENS - 1) });
    expect(report.nextToken!.positions).toBe(want.positions);
    expect(report.accuracy).toBeCloseTo(want.accuracy, 12);
    expect(report.top5).toBeCloseTo(want.top5, 12);
    expect(report.nextToken!.crossEntropy).toBeCloseTo(want.crossEntropy, 9);
    expect(report.nextToken!.perplexity).toBeCloseTo(Math.exp(want.crossEntropy), 6);
    // A random-weight LM: far from certain, so a wrong target (ids[t] instead of ids[t + 1]) changes the figure.
    expect(want.crossEntropy).toBeGreaterThan(1);
  });

  it('reads a Softmax output as probabilities, with the same figures', async () => {
    const logits = await evaluateModel({ model, data: { kind: 'npy', path: ids } });
    const probs = await evaluateModel({ model: probsModel, data: { kind: 'npy', path: ids } });
    expect(probs.taskReason).toContain('read as probabilities');
    expect(logits.taskReason).toContain('read as logits');
    expect(probs.nextToken!.crossEntropy).toBeCloseTo(logits.nextToken!.crossEntropy, 5);
    expect(probs.accuracy).toBe(logits.accuracy);
  });

  it('refuses next-token on synthetic ids, and says what it needs of a model that has no ids', async () => {
    await expect(
      evaluateModel({ model, data: { kind: 'synthetic', samples: 2, seed: 1 }, task: 'next-token' }),
    ).rejects.toThrow(/synthetic data is random ids/);
    // Synthetic data with --task auto: nothing graded on random ids, and nothing else to measure.
    await expect(evaluateModel({ model, data: { kind: 'synthetic', samples: 2, seed: 1 } })).rejects.toThrow(
      /Nothing to measure/,
    );
    // Asked for on a model with no integer input: a typed error listing what it has.
    const floats = path.join(tmp.dir, 'floats.npy');
    fs.writeFileSync(floats, encodeNpyArray(new Float32Array(2 * 4), 'float32', [2, 4]));
    const mlp = path.join(tmp.dir, 'mlp.onnx');
    fs.writeFileSync(mlp, modelBytes(buildMlp({ inputSize: 4 })));
    await expect(
      evaluateModel({ model: mlp, data: { kind: 'npy', path: floats }, task: 'next-token' }),
    ).rejects.toThrow(
      /--task next-token grades token ids, and the model has no integer input \('input' float32\)/,
    );
  });

  it('grades a position exactly where logits overflow a naive softmax, and ties and NaN as argmax does', () => {
    expect(gradePosition([1000, 1000], 0, 2, 1, false)).toEqual({
      top: 0,
      above: 1,
      nll: expect.closeTo(Math.log(2), 12),
    });
    expect(gradePosition([-1000, -Infinity], 0, 2, 0, false).nll).toBe(0);
    expect(gradePosition([1, NaN], 0, 2, 0, false)).toMatchObject({ top: 0, above: 0, nll: NaN });
    // Read at an offset: the second position of a flattened [2, 3] output.
    expect(gradePosition([9, 9, 9, 0, 5, 1], 3, 3, 2, false)).toMatchObject({ top: 1, above: 1 });
    expect(gradePosition([0.25, 0.75], 0, 2, 0, true).nll).toBeCloseTo(Math.log(4), 12);
  });
});

describe('the data check of a language model', () => {
  it('says its real ids grade it without labels, and synthetic ids do not', async () => {
    const real = await checkDataset({
      model,
      spec: { kind: 'npy', path: ids },
      baseDir: tmp.dir,
      role: 'evaluation',
    });
    expect(real).toMatchObject({ hasLabels: false, ownIds: true });
    expect(real.warnings).toContain(
      "no labels: a language model is graded on its own token ids (next-token accuracy); variants are also compared with the original's outputs (fidelity)",
    );
    const synthetic = await checkDataset({
      model,
      spec: { kind: 'synthetic', samples: 4, seed: 0 },
      baseDir: tmp.dir,
      role: 'evaluation',
    });
    expect(synthetic.ownIds).toBeUndefined();
    expect(synthetic.warnings.join('\n')).toMatch(/no labels: accuracy cannot be measured/);
  });
});
