/** Starts the layout worker for one model and answers layouts as promises (the latest request wins). */
import type { Scene, SceneBody } from './graph-scene.js';
import type { LayoutAnswer, LayoutRequest } from './layout-messages.js';

export interface LayoutClient {
  layout(expanded: readonly string[]): Promise<{ scene: Scene; ms: number }>;
  dispose(): void;
}

export function startLayoutWorker(graph: SceneBody): LayoutClient {
  const worker = new Worker(new URL('./layout.worker.ts', import.meta.url), {
    type: 'module',
    name: 'graph layout',
  });
  const pending = new Map<
    number,
    { resolve: (v: { scene: Scene; ms: number }) => void; reject: (e: Error) => void }
  >();
  let next = 0;
  worker.onmessage = (event: MessageEvent<LayoutAnswer>) => {
    const answer = event.data;
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if (answer.type === 'scene') waiting.resolve({ scene: answer.scene, ms: answer.ms });
    else waiting.reject(new Error(answer.message));
  };
  worker.onerror = (event) => {
    for (const waiting of pending.values())
      waiting.reject(new Error(`The layout worker failed: ${event.message}`));
    pending.clear();
  };
  const send = (message: LayoutRequest) => worker.postMessage(message);
  send({ type: 'graph', graph });
  return {
    layout(expanded) {
      const id = ++next;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ type: 'layout', id, expanded: [...expanded] });
      });
    },
    dispose() {
      worker.terminate();
      for (const waiting of pending.values()) waiting.reject(new Error('The graph view was closed.'));
      pending.clear();
    },
  };
}
