import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { outputExists } from '../onnx/atomic-files.js';
import { inAppWords } from './job-executors.js';

describe("an export whose destination appeared after its check (the app's words)", () => {
  it("rewords the commit's --force refusal, naming the file that appeared", () => {
    const error = inAppWords(outputExists('/models/out.onnx.data'));
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('BAD_REQUEST');
    expect((error as StudioError).message).toBe(
      '/models/out.onnx.data appeared while this export ran (another export or a command wrote it), so nothing was ' +
        'replaced. Export again to choose whether to replace it.',
    );
    expect((error as StudioError).message).not.toContain('--force');
  });

  it('leaves every other error as it is', () => {
    const other = new StudioError(
      'BAD_REQUEST',
      'The folder /nowhere does not exist. Choose an existing folder.',
    );
    expect(inAppWords(other)).toBe(other);
    const io = new StudioError(
      'IO',
      '/models/out.onnx already exists. Choose another output path or pass --force to replace it.',
    );
    expect(inAppWords(io)).toBe(io);
  });
});
