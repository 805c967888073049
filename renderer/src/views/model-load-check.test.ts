import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearLoadChecks, LOAD_CHECK_MAX_BYTES, loadCheckOf } from './model-load-check.js';

afterEach(clearLoadChecks);

describe('the load check of an opened model', () => {
  it('says why onnxruntime refuses a model, and checks each file once', async () => {
    const problem = {
      code: 'MODEL_INVALID' as const,
      message: 'onnxruntime cannot load custom_op.onnx: FancyAct',
    };
    const check = vi.fn(async () => ({ ok: true as const, value: { loadable: false as const, problem } }));
    expect(await loadCheckOf(check, '/m/custom_op.onnx', 100)).toEqual({ kind: 'refused', problem });
    expect(await loadCheckOf(check, '/m/custom_op.onnx', 100)).toEqual({ kind: 'refused', problem });
    expect(check).toHaveBeenCalledTimes(1);
    // The same path with other bytes is another file: checked again.
    await loadCheckOf(check, '/m/custom_op.onnx', 200);
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('never blocks on a check that could not run: it only warns on a real refusal', async () => {
    const failed = vi.fn(async () => ({
      ok: false as const,
      error: { code: 'INTERNAL' as const, message: 'crash' },
    }));
    expect(await loadCheckOf(failed, '/m/a.onnx', 1)).toEqual({ kind: 'loadable' });
    const loadable = vi.fn(async () => ({ ok: true as const, value: { loadable: true as const } }));
    expect(await loadCheckOf(loadable, '/m/b.onnx', 1)).toEqual({ kind: 'loadable' });
    // A host without the method (an older preload) throws: no warning, no error in the page.
    const missing = () => {
      throw new TypeError('modelLoadCheck is not a function');
    };
    expect(await loadCheckOf(missing, '/m/c.onnx', 1)).toEqual({ kind: 'loadable' });
  });

  it('does not load a model over 2 GB with its external data, and says it was not checked', async () => {
    const check = vi.fn(async () => ({ ok: true as const, value: { loadable: true as const } }));
    // A 1 KB graph whose weights are 3 GB of external data: the size that counts is the two together.
    const bytes = 3 * 1024 ** 3;
    expect(await loadCheckOf(check, '/m/llm.onnx', 1024, bytes)).toEqual({
      kind: 'unchecked',
      bytes: 1024 + bytes,
    });
    expect(check).not.toHaveBeenCalled();
    // At the limit it is checked.
    expect(await loadCheckOf(check, '/m/at-limit.onnx', 1024, LOAD_CHECK_MAX_BYTES - 1024)).toEqual({
      kind: 'loadable',
    });
    expect(check).toHaveBeenCalledTimes(1);
  });
});
