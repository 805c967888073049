/**
 * Whether onnxruntime can load the open model, checked once per model in a task process when it is opened
 * (`studio:model.loadCheck`), without holding up the views. A model it refuses (a custom operator, an opset
 * newer than it supports) can still be quantized and pruned (our own code), but every benchmark and every
 * evaluation of it fails: the Model view says so at once with onnxruntime's reason, and Optimize warns beside
 * its "Then" steps.
 */
import { useEffect, useState } from 'react';
import type { Result, StudioErrorInfo } from '../../../shared/errors.js';
import type { ModelLoadCheck } from '../../../shared/ipc-contract.js';
import type { StudioHost } from '../host/studio-host.js';

export type LoadCheckState =
  | { kind: 'checking' }
  | { kind: 'loadable' }
  | { kind: 'refused'; problem: StudioErrorInfo }
  /** Not checked: the model (with its external data) is over LOAD_CHECK_MAX_BYTES. */
  | { kind: 'unchecked'; bytes: number };

/**
 * Above this size (the file and its external data) the check is not made: onnxruntime holds the whole model in
 * memory while it builds the session (a 200 MB model took 290 MB and 0.3 s), which beside the work the user
 * opened a multi-GB model for is too much for a warning. The first benchmark or evaluation says it instead.
 */
export const LOAD_CHECK_MAX_BYTES = 2 * 1024 ** 3;

type CheckFn = (path: string) => Promise<Result<ModelLoadCheck>>;

/** One check per model file (path and size): the Model and Optimize views share it, and reopening reuses it. */
const checks = new Map<string, Promise<LoadCheckState>>();

/**
 * The check of the model at `path` (`fileBytes` keys a file changed on disk anew). A check that could not run
 * (a task process crash, a lost connection) counts as loadable: it is a warning, never a gate. A model over
 * LOAD_CHECK_MAX_BYTES with its external data is not checked.
 */
export function loadCheckOf(
  check: CheckFn,
  path: string,
  fileBytes: number,
  externalDataBytes = 0,
): Promise<LoadCheckState> {
  const bytes = fileBytes + externalDataBytes;
  if (bytes > LOAD_CHECK_MAX_BYTES) return Promise.resolve({ kind: 'unchecked', bytes });
  const key = `${fileBytes}:${path}`;
  let known = checks.get(key);
  if (!known) {
    // A check that throws (a host without the method, e.g. an older preload) is one that could not run.
    known = Promise.resolve()
      .then(() => check(path))
      .then(
        (result): LoadCheckState => {
          // A check that could not run is tried again the next time the model is opened.
          if (!result.ok) checks.delete(key);
          return result.ok && !result.value.loadable
            ? { kind: 'refused', problem: result.value.problem }
            : { kind: 'loadable' };
        },
        (): LoadCheckState => {
          checks.delete(key);
          return { kind: 'loadable' };
        },
      );
    checks.set(key, known);
  }
  return known;
}

/** `4.2 GB`. */
function formatGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** Forgets every check (tests). */
export function clearLoadChecks(): void {
  checks.clear();
}

export function useModelLoadCheck(
  host: StudioHost | undefined,
  model: { path: string; fileBytes: number; externalDataBytes?: number } | null | undefined,
): LoadCheckState {
  const [state, setState] = useState<LoadCheckState>({ kind: 'checking' });
  const path = model?.path;
  const bytes = model?.fileBytes ?? 0;
  const external = model?.externalDataBytes ?? 0;
  useEffect(() => {
    if (!path || !host) return;
    let live = true;
    setState({ kind: 'checking' });
    void loadCheckOf((p) => host.modelLoadCheck({ path: p }), path, bytes, external).then((s) => {
      if (live) setState(s);
    });
    return () => {
      live = false;
    };
  }, [host, path, bytes, external]);
  return state;
}

/** The Model view's warning: onnxruntime's reason, what still works, and what to do. */
export function ModelLoadWarning({ state }: { state: LoadCheckState }) {
  if (state.kind === 'unchecked')
    return (
      <p className="field-hint" role="status" data-testid="model-load-unchecked">
        Whether onnxruntime loads this model was not checked on opening: at {formatGiB(state.bytes)} with its
        data, the check would hold all of it in memory. The first benchmark or evaluation says so if it
        cannot.
      </p>
    );
  if (state.kind !== 'refused') return null;
  // One paragraph: a banner lays its children out in a row.
  return (
    <div className="banner banner-warn" role="alert" data-testid="model-load-warning">
      <p>
        <strong>onnxruntime cannot load this model, so benchmarks and evaluations of it will fail.</strong>
        <br />
        {state.problem.message}
        <br />
        Quantizing and pruning still work (ONNX Studio does them itself), but the variants keep what
        onnxruntime refuses, so they cannot be measured either. <strong>What to do:</strong> export the model
        again as the message says, then open the new file.
      </p>
    </div>
  );
}
