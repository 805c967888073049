/** Messages between the Graph view and its layout worker (layout.worker.ts). */
import type { Scene, SceneBody } from './graph-scene.js';

export type LayoutRequest =
  /** The graph to lay out from now on (sent once per model: the worker keeps it). */
  | { type: 'graph'; graph: SceneBody }
  /** Lay it out with these nodes expanded; answered with the same `id`. */
  | { type: 'layout'; id: number; expanded: string[] };

export type LayoutAnswer =
  { type: 'scene'; id: number; scene: Scene; ms: number } | { type: 'failed'; id: number; message: string };
