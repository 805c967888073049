/**
 * A module the page loads on demand (a view and the chart code only it needs), kept out of the startup
 * bundle. Not React.lazy: React throttles a Suspense boundary's reveal to 300 ms after its fallback showed,
 * which made the Model view appear 300 ms after the model was parsed even when its module was already there.
 * Here the component re-renders as soon as the module is in, and a module that cannot load is an error to
 * show rather than a thrown promise.
 */
import { useCallback, useEffect, useReducer } from 'react';

export type ModuleState<M> =
  { kind: 'loading' } | { kind: 'loaded'; module: M } | { kind: 'failed'; message: string };

export interface LazyModule<M> {
  /** Starts loading (once; again after a failure); call it as early as the module is likely needed. */
  preload(): Promise<void>;
  /**
   * The module's state, loading it when `wanted`, and `retry` for after a failure. The component re-renders
   * when the state changes.
   */
  useModule(wanted: boolean): [ModuleState<M>, () => void];
}

export function lazyModule<M>(load: () => Promise<M>): LazyModule<M> {
  let state: ModuleState<M> = { kind: 'loading' };
  let pending: Promise<void> | undefined;
  const preload = () =>
    (pending ??= load().then(
      (module) => {
        state = { kind: 'loaded', module };
      },
      (error: unknown) => {
        state = { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
        // A later preload or retry tries again (the import may have failed on a passing network error).
        pending = undefined;
      },
    ));
  return {
    preload,
    useModule(wanted) {
      const [, rerender] = useReducer((n: number) => n + 1, 0);
      // What this render saw: the module may arrive between the render and this effect, and then the
      // component must still render again.
      const seen = state;
      useEffect(() => {
        if (!wanted) return;
        if (state !== seen) {
          rerender();
          return;
        }
        // A failure waits for `retry`, so a module that cannot load is not requested in a loop.
        if (state.kind !== 'loading') return;
        let live = true;
        void preload().then(() => {
          if (live && state !== seen) rerender();
        });
        return () => {
          live = false;
        };
      }, [wanted, seen]);
      const retry = useCallback(() => {
        if (state.kind !== 'failed') return;
        state = { kind: 'loading' };
        rerender();
      }, []);
      return [seen, retry];
    },
  };
}
