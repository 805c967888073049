/**
 * The nodes of a quantized variant that the user's options kept in float, found from the variant file alone:
 * its recorded recipe says the method and options, and the quantizer's own rules (the same functions) find the
 * nodes and word the reasons. `onnx-studio explain` has only the file; the app has the quantize report's
 * skippedNodes, written by the same rules, so both give the same advice.
 */
import type { ModelProto, NodeProto } from 'onnx-buf';
import { int8StaticOptionsSchema } from '../../../shared/options/quantize-options.js';
import { GraphIndex, normalizeDomain } from '../onnx/graph.js';
import { walkGraphs } from '../onnx/walk-graphs.js';
import { recordedSteps } from '../recipe/recorded-steps.js';
import { commonQuantizeOptionsSchema, EXCLUDED_SKIP, type SkippedNode } from './quantize-method.js';
import { originalNodeName } from '../../../shared/ort-node-names.js';
import { inputConvReason } from './static/qdq-plan.js';

const label = (node: NodeProto) => originalNodeName(node.name) || (node.output[0] ?? '');

/** The last quantize step the variant's metadata records: the last one made the variant's nodes. */
const lastQuantizeStep = (model: ModelProto) => recordedSteps(model).findLast((s) => s.kind === 'quantize');

/**
 * Undefined when the variant records no quantization (made by another tool, or by pruning only): then nothing
 * is known about why its nodes stayed float.
 */
export function keptFloatByOptions(model: ModelProto): SkippedNode[] | undefined {
  const step = lastQuantizeStep(model);
  const common = step && commonQuantizeOptionsSchema.safeParse(step.common ?? {});
  if (!step || !common?.success || !model.graph) return undefined;
  const excluded = new Set(common.data.excludeNodes);
  const out: SkippedNode[] = [];
  walkGraphs(model.graph, (graph) => {
    for (const node of graph.node)
      if (excluded.has(node.name) || excluded.has(originalNodeName(node.name)))
        out.push({ name: label(node), opType: node.opType, ...EXCLUDED_SKIP });
  });
  const options =
    step.method === 'int8-static' ? int8StaticOptionsSchema.safeParse(step.options ?? {}) : undefined;
  if (options?.success && !options.data.quantizeInputConv) {
    // int8-static plans the main graph only; a Conv it quantized reads its weight through a DequantizeLinear,
    // which the rule does not follow (it wants a float32 constant), so only the Convs it kept match.
    const index = new GraphIndex(model.graph);
    for (const node of model.graph.node) {
      if (normalizeDomain(node.domain) !== '' || excluded.has(label(node))) continue;
      const kept = inputConvReason(node, index);
      if (kept) out.push(kept);
    }
  }
  return out;
}
