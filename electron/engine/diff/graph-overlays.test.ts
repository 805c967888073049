/**
 * The Graph view's overlays (renderer/src/graph/overlays.ts) on a real variant: every node's colour and text
 * come from the engine's diff of that node, and node ids of the engine's graph line up with the diff's rows.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHANGE_COLORS,
  PRECISION_COLORS,
  changeOverlay,
  precisionOverlay,
} from '../../../renderer/src/graph/overlays.js';
import { modelGraph } from '../inspect/model-graph.js';
import { saveModel } from '../onnx/save-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import { buildMlp } from '../testing/model-fixtures.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { diffModels } from './diff-models.js';

describe('graph overlays from the engine diff', () => {
  it('colour each node of the original by its change and precision in an int8-dynamic variant', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const original = path.join(dir, 'mlp.onnx');
      const variant = path.join(dir, 'mlp.int8.onnx');
      await saveModel(buildMlp(), original);
      const report = await quantizeModel({
        input: original,
        output: variant,
        method: 'int8-dynamic',
        common: { excludeNodes: ['fc2_matmul'] },
      });
      const diff = { ...(await diffModels(original, variant)), skippedNodes: report.skippedNodes };
      const graph = await modelGraph(original);
      expect(graph.graph.nodes.map((n) => n.name)).toEqual(diff.nodes.list.map((r) => r.name));

      const change = changeOverlay(diff);
      const precision = precisionOverlay(diff);
      expect(diff.nodes.byChange.replaced + diff.nodes.byChange.fused).toBeGreaterThan(0);
      graph.graph.nodes.forEach((node, i) => {
        const row = diff.nodes.list[i]!;
        expect(change.marks.get(node.id)!.color).toBe(CHANGE_COLORS[row.change]);
        if (row.precision) {
          expect(precision.marks.get(node.id)!.color).toBe(PRECISION_COLORS[row.precision]);
          expect(precision.marks.get(node.id)!.text).toMatch(new RegExp(`^(stayed )?${row.precision}\\b`));
        }
      });
      // The excluded MatMul stayed float, and says why.
      const skipped = report.skippedNodes.find((s) => s.name === 'fc2_matmul')!;
      expect(skipped).toBeDefined();
      const id = graph.graph.nodes.find((n) => n.name === 'fc2_matmul')!.id;
      expect(precision.marks.get(id)!.text).toBe(`stayed float32: ${skipped.reason}`);
      expect(change.legend.map((l) => l.text)).toEqual(
        (['kept', 'replaced', 'fused', 'removed'] as const).map((c) => `${c} (${diff.nodes.byChange[c]})`),
      );
    } finally {
      cleanup();
    }
  });
});
