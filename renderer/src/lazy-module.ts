/**
 * A module the page loads on demand (a view and the chart code only it needs), kept out of the startup
 * bundle. Not React.lazy: React throttles a Suspense boundary's reveal to 300 ms after its fallback showed,
 * which made the Model view appear 300 ms after the model was parsed even when its module was already there.
 * Here the component re-renders as soon as the module is in, and a module that cannot load is an error to
 * show rather than a thrown promise.
 */
import { useEffect, useReducer } from 'react';

export type ModuleState<M> =
  { kind: 'loading' } | { kind: 'loaded'; module: M } | { kind: 'failed'; message: string };

export interface LazyModule<M> {
  /** Starts loading (once); call it as early as the module is likely needed. */
  preload(): Promise<void>;
  /** The module's state, loading it when `wanted`; the component re-renders when it changes. */
  useModule(wanted: boolean): ModuleState<M>;
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
        let live = true;
        void preload().then(() => {
          if (live && state !== seen) rerender();
        });
        return () => {
          live = false;
        };
      }, [wanted, seen]);
      return seen;
    },
  };
}
