import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/errors.js';
import { makeTempDir } from '../../engine/testing/temp-dir.js';
import { cancelledAs } from '../cancelled-as.js';
import { repoRoot, runCliInProcess } from '../testing/run-cli.js';

/* A Ctrl+C of quantize or prune says one thing, whichever stage it stops. */

const digits = path.join(repoRoot, 'electron/engine/testing/fixtures/digits');

async function cancelled(...args: string[]): Promise<{ code: number; stderr: string }> {
  // Cancelled before it starts: the first stage (hashing the calibration data) said "Cancelled while hashing."
  return runCliInProcess(args, AbortSignal.abort());
}

describe('a cancelled quantize or prune', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());

  it('quantize says "Quantization was cancelled." during the data check too', async () => {
    const r = await cancelled(
      'quantize',
      path.join(digits, 'digits.onnx'),
      '-o',
      path.join(tmp.dir, 'q.onnx'),
      '--method',
      'int8-static',
      '--calib-data',
      path.join(digits, 'test-inputs.npy'),
    );
    expect(r.code).toBe(130);
    expect(r.stderr).toBe('onnx-studio: Quantization was cancelled.\n');
  });

  it("gives every stage's cancellation the command's message, and passes other errors through", async () => {
    // The data source's words during calibration, and the saver's.
    for (const said of ['Cancelled.', 'Saving was cancelled.']) {
      const stage = Promise.reject(new StudioError('CANCELLED', said));
      await expect(cancelledAs('Pruning was cancelled.', () => stage)).rejects.toMatchObject({
        code: 'CANCELLED',
        message: 'Pruning was cancelled.',
      });
    }
    const other = new StudioError('BAD_REQUEST', 'No such file.');
    await expect(cancelledAs('Pruning was cancelled.', () => Promise.reject(other))).rejects.toBe(other);
    await expect(cancelledAs('Pruning was cancelled.', () => Promise.resolve(3))).resolves.toBe(3);
  });
});
