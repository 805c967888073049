/**
 * The Graph view's change overlay on a real structured-pruned variant (a user test saw "kept (17)" and no word
 * of the channels each Conv lost): the engine's diff says the weights were reshaped, and the overlay, on the
 * original's graph and on the variant's, marks the nodes reading them with their channels before and after,
 * the counts the pruner's own report gives.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHANGE_COLORS,
  PRUNED_COLOR,
  changeOverlay,
  variantChangeOverlay,
} from '../../../renderer/src/graph/overlays.js';
import { modelGraph } from '../inspect/model-graph.js';
import { saveModel } from '../onnx/save-model.js';
import { pruneModel } from '../prune/prune-model.js';
import '../prune/all-methods.js';
import { buildCnn } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModels } from './diff-models.js';

describe('the change overlay of a structured-pruned variant', () => {
  it('marks the nodes that lost channels, with the counts the pruner reports', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const original = path.join(dir, 'cnn.onnx');
      const variant = path.join(dir, 'cnn.pruned.onnx');
      // conv1 [8, 3, 3, 3] -> relu -> pool -> conv2 [16, 8, 3, 3] -> relu -> gap -> flatten -> fc (Gemm, transB).
      await saveModel(buildCnn(), original);
      const report = await pruneModel({
        input: original,
        output: variant,
        method: 'structured',
        common: { sparsity: 0.5 },
      });
      const diff = { ...(await diffModels(original, variant)), skippedNodes: [] };
      // Every node kept, by name and op type: the diff rows alone cannot tell a pruned Conv from another.
      expect(diff.nodes.byChange.kept).toBe(diff.nodes.original);
      expect(diff.weights.byChange.reshaped).toBeGreaterThan(0);

      const layer = (name: string) => report.layers.find((l) => l.name === name)!;
      const [conv1, conv2] = [layer('conv1'), layer('conv2')];
      expect(conv1.removed).toBeGreaterThan(0);
      const kept = (l: typeof conv1) => `${l.total} → ${l.total - l.removed}`;
      const expected = {
        conv1: `pruned: ${kept(conv1)} output channels`,
        conv2: `pruned: ${kept(conv2)} output channels, ${kept(conv1)} input channels`,
        fc: `pruned: ${kept(conv2)} input channels`,
      };

      for (const [file, overlayOf] of [
        [original, (g: Awaited<ReturnType<typeof modelGraph>>) => changeOverlay(diff, g.graph)],
        [variant, (g: Awaited<ReturnType<typeof modelGraph>>) => variantChangeOverlay(g.graph, diff)],
      ] as const) {
        const graph = await modelGraph(file);
        const overlay = overlayOf(graph);
        const markOf = (name: string) =>
          overlay.marks.get(graph.graph.nodes.find((n) => n.name === name)!.id)!;
        for (const [name, text] of Object.entries(expected))
          expect(markOf(name), `${name} on ${path.basename(file)}`).toEqual({ color: PRUNED_COLOR, text });
        expect(markOf('relu1')).toEqual({ color: CHANGE_COLORS.kept, text: 'kept' });
        expect(overlay.legend.map((l) => l.text)).toContain('kept, channels pruned (3)');
        expect(overlay.pruned?.size).toBe(3);
      }
    } finally {
      cleanup();
    }
  });
});
