import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveModel } from '../onnx/save-model.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { runTask, throttledCounts } from './task-handlers.js';

/** Counts throttled at 100 ms on a clock the test moves, and what they sent. */
function recorder() {
  const clock = { now: 0 };
  const sent: [number, number][] = [];
  const counts = throttledCounts(
    (values) => sent.push(values),
    100,
    () => clock.now,
  );
  return { sent, counts, clock };
}

describe('throttledCounts', () => {
  it('sends the first count at once, then at most one per interval, and always the last', () => {
    const { sent, counts, clock } = recorder();
    counts(0, 20_000);
    for (let done = 1; done <= 20_000; done++) {
      clock.now = done / 10; // 10 samples a millisecond: 2 s in all
      counts(done, 20_000);
    }
    expect(sent[0]).toEqual([0, 20_000]);
    expect(sent.at(-1)).toEqual([20_000, 20_000]);
    // About 10 a second over 2 s, not 20,000 messages.
    expect(sent.length).toBeGreaterThanOrEqual(20);
    expect(sent.length).toBeLessThanOrEqual(23);
    const dones = sent.map(([done]) => done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
  });

  it('with an unknown total (0), sends counts throttled all the same', () => {
    const { sent, counts, clock } = recorder();
    for (let done = 0; done < 1000; done++) {
      clock.now = done;
      counts(done, 0);
    }
    expect(sent).toHaveLength(10);
    expect(sent.every(([, total]) => total === 0)).toBe(true);
  });
});

describe('a quantize task', () => {
  it("fp16's job bar runs from analysing through converting to 95%, never backwards", async () => {
    const tmp = makeTempDir();
    try {
      const input = path.join(tmp.dir, 'mlp.onnx');
      await saveModel(buildMlp({ inputSize: 256, hiddenSize: 512, outputSize: 64 }), input);
      const seen: [number, string][] = [];
      await runTask(
        {
          kind: 'quantize',
          input,
          output: path.join(tmp.dir, 'out.onnx'),
          method: 'fp16',
          common: {},
          options: {},
          force: false,
        },
        {
          signal: new AbortController().signal,
          progress: (fraction, stage) => seen.push([fraction, stage]),
          metric: () => {},
          log: () => {},
          phase: () => {},
        },
        { testHooks: false },
      );
      expect(fs.existsSync(path.join(tmp.dir, 'out.onnx'))).toBe(true);
      const fractions = seen.map(([f]) => f);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      const converting = seen.filter(([, stage]) => stage === 'converting').map(([f]) => f);
      // Before, converting took the span of quantizing after calibration: it started at 65%, and the ETA lied.
      expect(converting[0]).toBeCloseTo(0.15);
      expect(converting.at(-1)).toBeCloseTo(0.95);
    } finally {
      tmp.cleanup();
    }
  });
});

describe("a task's input spec", () => {
  it("is the app's: a refusal names the Model view's input spec, not a --shape nobody typed", async () => {
    const tmp = makeTempDir();
    try {
      const model = path.join(tmp.dir, 'mlp.onnx');
      await saveModel(buildMlp(), model);
      const check = runTask(
        {
          kind: 'checkDataset',
          model,
          data: { kind: 'synthetic', samples: 1 },
          baseDir: tmp.dir,
          role: 'evaluation',
          shapes: { pixels: [1, 16] },
        },
        {
          signal: new AbortController().signal,
          progress: () => {},
          metric: () => {},
          log: () => {},
          phase: () => {},
        },
        { testHooks: false },
      );
      await expect(check).rejects.toThrow(
        "The Model view's input spec names 'pixels', which is not an input of the model (inputs: input).",
      );
    } finally {
      tmp.cleanup();
    }
  });
});

describe('a task of a CLI command', () => {
  it('names the flags its sizes came from (a tune trial’s), not the Model view', async () => {
    const tmp = makeTempDir();
    try {
      const model = path.join(tmp.dir, 'mlp.onnx');
      await saveModel(buildMlp(), model);
      const check = runTask(
        {
          kind: 'checkDataset',
          model,
          data: { kind: 'synthetic', samples: 1 },
          baseDir: tmp.dir,
          role: 'evaluation',
          shapes: { pixels: [1, 16] },
          origin: 'flags',
        },
        {
          signal: new AbortController().signal,
          progress: () => {},
          metric: () => {},
          log: () => {},
          phase: () => {},
        },
        { testHooks: false },
      );
      await expect(check).rejects.toThrow(/^--shape names 'pixels', which is not an input of the model/);
    } finally {
      tmp.cleanup();
    }
  });
});
