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
  variantChangeOverlay,
  variantPrecisionOverlay,
} from '../../../renderer/src/graph/overlays.js';
import { walkGraphNodes } from '../../../shared/model-graph.js';
import { modelGraph } from '../inspect/model-graph.js';
import { saveModel } from '../onnx/save-model.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import '../quantize/all-methods.js';
import * as ort from 'onnxruntime-node';
import { buildCnn, buildMlp, randomFloats } from '../testing/model-fixtures.js';
import { feedsSource } from '../testing/feeds-source.js';
import { buildUnnamedConvNet, unnamedConvNetFeeds } from '../testing/unnamed-conv-net.js';
import { buildSubgraphWeights } from '../testing/prune-fixtures.js';
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

  it("colour the nodes of an fp16 variant's If/Loop bodies on its own graph, as the engine's diff says", async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const original = path.join(dir, 'subgraphs.onnx');
      const variant = path.join(dir, 'subgraphs.fp16.onnx');
      await saveModel(buildSubgraphWeights({ seed: 83, bodyWeight: 'initializer' }), original);
      const report = await quantizeModel({ input: original, output: variant, method: 'fp16' });
      const diff = { ...(await diffModels(original, variant)), skippedNodes: report.skippedNodes };
      const graph = (await modelGraph(variant)).graph;
      const overlay = variantPrecisionOverlay(graph, diff);
      const bodyNodes = [...walkGraphNodes(graph)].filter((w) => w.depth > 0).map((w) => w.node);
      // Every body node is coloured: the MatMuls reading float16 weights, Tanh in float16, the Casts the
      // variant added at the bodies' boundaries.
      for (const n of bodyNodes) expect(overlay.marks.get(n.id), n.id).toBeDefined();
      const byName = (name: string) => overlay.marks.get(bodyNodes.find((n) => n.name === name)!.id)!;
      for (const name of ['then_mm', 'else_mm', 'body_mm', 'body_tanh'])
        expect(byName(name), name).toEqual({ color: PRECISION_COLORS.float16, text: 'float16' });
      // The legend counts every node on screen, bodies included, as the engine counts the original's.
      const shown = [...overlay.marks.values()];
      const float16 = shown.filter((m) => m.color === PRECISION_COLORS.float16).length;
      expect(float16).toBeGreaterThanOrEqual(diff.nodes.byPrecision.float16);
      expect(overlay.legend[1]!.text).toBe(`float16 (${float16})`);
      expect(shown.length).toBe(diff.nodes.variantWithSubgraphs);
    } finally {
      cleanup();
    }
  });
  // int8-static folds the Relu after a quantized Conv into the Conv's output quantization: the diff says the
  // Relu was fused into the Conv, so the Conv on the variant's graph is the node that took its work (it was
  // coloured "kept" and the legend counted 0 such nodes, contradicting the table).
  for (const { label, build, feeds, convName } of [
    {
      label: 'named (conv1, relu1, pool1, conv2, relu2...)',
      build: () => buildCnn(),
      feeds: () =>
        Array.from({ length: 4 }, (_, i) => ({
          input: new ort.Tensor('float32', randomFloats(3 * 16 * 16, 40 + i, 1), [1, 3, 16, 16]),
        })),
      convName: 'conv2',
    },
    {
      label: 'unnamed',
      build: () => buildUnnamedConvNet(),
      feeds: () => unnamedConvNetFeeds(4),
      convName: '',
    },
  ])
    it(`colour the Conv that took a folded Relu's work on an int8-static variant's graph: ${label}`, async () => {
      const { dir, cleanup } = makeTempDir();
      try {
        const original = path.join(dir, 'net.onnx');
        const variant = path.join(dir, 'net.int8-static.onnx');
        await saveModel(build(), original);
        const report = await quantizeModel({
          input: original,
          output: variant,
          method: 'int8-static',
          calibration: feedsSource(feeds()),
        });
        const diff = { ...(await diffModels(original, variant)), skippedNodes: report.skippedNodes };
        const fused = diff.nodes.list.filter((r) => r.change === 'fused');
        expect(fused.map((r) => r.opType)).toContain('Relu');
        const graph = (await modelGraph(variant)).graph;
        const overlay = variantChangeOverlay(graph, diff);
        const takers = new Set(fused.map((r) => String(r.variantIndex)));
        for (const id of takers) {
          const node = graph.nodes.find((n) => n.id === id)!;
          expect(node.opType).toBe('Conv');
          if (convName) expect(node.name).toBe(convName);
          expect(overlay.marks.get(id)).toEqual({
            color: CHANGE_COLORS.fused,
            text: `kept; took the work of fused ${fused
              .filter((r) => String(r.variantIndex) === id)
              .map((r) => r.name || r.opType)
              .join(', ')}`,
          });
        }
        // The legend counts what is on screen: every box in its colour, the takers among them.
        const shown = [...overlay.marks.values()];
        const count = (color: string) => shown.filter((m) => m.color === color).length;
        expect(count(CHANGE_COLORS.fused)).toBe(takers.size);
        expect(overlay.legend[2]!.text).toBe(`took fused nodes' work (${takers.size})`);
        expect(overlay.legend[0]!.text).toBe(`kept (${count(CHANGE_COLORS.kept)})`);
      } finally {
        cleanup();
      }
    });
});
