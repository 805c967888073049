/**
 * The Graph view's layout, off the UI thread: a 5,000-node model takes tens of milliseconds in the fast
 * layered layout and up to a second in dagre for a large body, either of which would freeze the page.
 */
import { buildScene, type SceneBody } from './graph-scene.js';
import type { LayoutAnswer, LayoutRequest } from './layout-messages.js';

let graph: SceneBody | undefined;

self.onmessage = (event: MessageEvent<LayoutRequest>) => {
  const message = event.data;
  if (message.type === 'graph') {
    graph = message.graph;
    return;
  }
  const post = (answer: LayoutAnswer) => (self as unknown as Worker).postMessage(answer);
  if (!graph) {
    post({ type: 'failed', id: message.id, message: 'No graph was sent to the layout worker.' });
    return;
  }
  try {
    const started = performance.now();
    const scene = buildScene(graph, new Set(message.expanded));
    post({ type: 'scene', id: message.id, scene, ms: performance.now() - started });
  } catch (error) {
    post({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
};
