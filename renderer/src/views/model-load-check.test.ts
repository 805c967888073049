import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearLoadChecks, loadCheckOf } from './model-load-check.js';

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
});
