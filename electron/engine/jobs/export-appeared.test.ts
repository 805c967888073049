import { describe, expect, it } from 'vitest';
import { StudioError, toEngineErrorInfo } from '../errors.js';
import { errorOfInfo, OutputExistsError, outputExists } from '../onnx/output-exists.js';
import { inAppWords } from './job-executors.js';

const APP_WORDS =
  '/models/out.onnx.data appeared while this export ran (another export or a command wrote it), so nothing was ' +
  'replaced. Export again to choose whether to replace it.';

describe("an export whose destination appeared after its check (the app's words)", () => {
  it("rewords the commit's --force refusal, naming the file that appeared", () => {
    const error = inAppWords(outputExists('/models/out.onnx.data'));
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('BAD_REQUEST');
    expect((error as StudioError).message).toBe(APP_WORDS);
    expect((error as StudioError).message).not.toContain('--force');
  });

  it('reads the path the error carries, not its text: also after the export task process, or reworded', () => {
    // As the task process sends it and runTask rebuilds it.
    const crossed = errorOfInfo(toEngineErrorInfo(outputExists('/models/out.onnx.data')));
    expect((inAppWords(crossed) as StudioError).message).toBe(APP_WORDS);
    // Worded otherwise (a step's prefix, a surface's own remedy): still the path.
    const reworded = new OutputExistsError('/models/out.onnx.data', 'Step 2: the data file is in the way.');
    expect((inAppWords(reworded) as StudioError).message).toBe(APP_WORDS);
  });

  it('leaves every other error as it is, also one that only reads like the refusal', () => {
    const other = new StudioError(
      'BAD_REQUEST',
      'The folder /nowhere does not exist. Choose an existing folder.',
    );
    expect(inAppWords(other)).toBe(other);
    const lookalike = new StudioError('BAD_REQUEST', outputExists('/models/out.onnx').message);
    expect(inAppWords(lookalike)).toBe(lookalike);
  });
});
