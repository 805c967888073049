/**
 * Graphs for `npm run bench:layout` (bench-layout.ts), built in code as the Graph view receives them: a
 * SceneBody (renderer/src/graph/graph-scene.ts), what the layout worker lays out. Deterministic: the same
 * arguments give the same graph. Every node writes one tensor, named after its id; weights are named in the
 * inputs as the engine's graph names them, and, being initializers, are no boxes.
 *
 * - deepChain: a plain chain (MatMul, Add, Relu, …), no skip edges.
 * - residualChain: blocks of MatMul, Add, Relu and a residual Add that also reads the block's input (the
 *   shape of the deep1600.onnx user test, and of `residualChain` in layered-layout.test.ts).
 * - transformer: encoder blocks (LayerNorm, Q/K/V projections each reshaped and transposed, scores, scale,
 *   the attention mask added, Softmax, context, output projection, residual Add, LayerNorm, a Gelu MLP,
 *   residual Add); the mask is one graph input read by every block.
 * - branchy: `buildBranchyGraph` of electron/engine/testing/graph-fixtures.ts (what `npm run measure:graph`
 *   opens in the page) through the engine's graph builder, as the app's `model.graph` request answers it.
 * - smallCnn: a small ResNet-like conv net (stem, basic blocks with a skip Add, a 1x1 Conv on the skip where
 *   a stage begins, a pooled Gemm head): what dagre lays out.
 */
import { modelGraphOf } from '../engine/inspect/model-graph.js';
import { buildBranchyGraph } from '../engine/testing/graph-fixtures.js';
import { sceneGraphOf, type SceneBody } from '../../renderer/src/graph/graph-scene.js';

/** Adds nodes to a body in order: each gets the next index as its id, and its output is named after it. */
function bodyBuilder(inputs: string[]) {
  const body: SceneBody = { nodes: [], inputs, outputs: [] };
  return {
    body,
    /** Adds an `op` node reading `reads` (tensor names) and returns the name of the tensor it writes. */
    add(op: string, ...reads: string[]): string {
      const id = String(body.nodes.length);
      const output = `t${id}`;
      body.nodes.push({ id, label: op, inputs: reads, outputs: [output] });
      return output;
    },
    /** Names `tensor` a graph output (it gets a box and an edge from its producer). */
    output(tensor: string): SceneBody {
      body.outputs.push(tensor);
      return body;
    },
  };
}

/** `nodes` ops in one chain: nodes + 2 boxes (the input and the output), nodes + 1 edges. */
export function deepChain(nodes: number): SceneBody {
  const b = bodyBuilder(['input']);
  const ops = ['MatMul', 'Add', 'Relu'];
  let x = 'input';
  for (let i = 0; i < nodes; i++) x = b.add(ops[i % ops.length]!, x, ...(i % 3 === 0 ? [`w${i}`] : []));
  return b.output(x);
}

/** 4 x `blocks` ops: 4 x blocks + 2 boxes, 5 x blocks + 1 edges. */
export function residualChain(blocks: number): SceneBody {
  const b = bodyBuilder(['input']);
  let x = 'input';
  for (let i = 0; i < blocks; i++) {
    const act = b.add('Relu', b.add('Add', b.add('MatMul', x, `w${i}`), `bias${i}`));
    x = b.add('Add', act, x);
  }
  return b.output(x);
}

export const TRANSFORMER_NODES_PER_BLOCK = 27;
export const TRANSFORMER_EDGES_PER_BLOCK = 32;

/**
 * `blocks` encoder blocks of TRANSFORMER_NODES_PER_BLOCK ops: that many x blocks + 3 boxes (the hidden state
 * and the mask in, one output), TRANSFORMER_EDGES_PER_BLOCK x blocks + 1 edges.
 */
export function transformer(blocks: number): SceneBody {
  const b = bodyBuilder(['hidden', 'attention_mask']);
  let x = 'hidden';
  for (let i = 0; i < blocks; i++) {
    const p = `l${i}.`;
    const ln1 = b.add('LayerNormalization', x, `${p}ln1.scale`, `${p}ln1.bias`);
    const [q, k, v] = ['q', 'k', 'v'].map((w) =>
      b.add('Transpose', b.add('Reshape', b.add('MatMul', ln1, `${p}${w}`), 'heads_shape')),
    ) as [string, string, string];
    const scores = b.add('Div', b.add('MatMul', q, k), 'scale');
    const probs = b.add('Softmax', b.add('Add', scores, 'attention_mask'));
    const context = b.add('Reshape', b.add('Transpose', b.add('MatMul', probs, v)), 'hidden_shape');
    const attended = b.add('Add', b.add('Add', b.add('MatMul', context, `${p}o`), `${p}o.bias`), x);
    const ln2 = b.add('LayerNormalization', attended, `${p}ln2.scale`, `${p}ln2.bias`);
    const up = b.add('Gelu', b.add('Add', b.add('MatMul', ln2, `${p}up`), `${p}up.bias`));
    x = b.add('Add', b.add('Add', b.add('MatMul', up, `${p}down`), `${p}down.bias`), attended);
  }
  return b.output(x);
}

/**
 * `buildBranchyGraph({ blocks })` as the Graph view gets it: 10 x blocks main-graph nodes (an If every 50th
 * block, collapsed, so its bodies are no boxes), 10 x blocks + 3 boxes (input, gate_on, output).
 */
export function branchy(blocks: number): SceneBody {
  const proto = buildBranchyGraph({ blocks });
  return sceneGraphOf(
    modelGraphOf({ proto, path: '/branchy.onnx', dir: '/', fileBytes: 0, externalDataBytes: 0 }),
  );
}

/**
 * A conv net of 6 + 5 x `blocks` ops, and one more for each block that starts a stage (every `stage`th from
 * the `stage`th on): with 38 blocks of stages of 9, 200 ops and 202 boxes.
 */
export function smallCnn(blocks = 38, stage = 9): SceneBody {
  const b = bodyBuilder(['image']);
  let x = b.add('MaxPool', b.add('Relu', b.add('Conv', 'image', 'stem.w', 'stem.b')));
  for (let i = 0; i < blocks; i++) {
    const p = `block${i}.`;
    const inner = b.add('Relu', b.add('Conv', x, `${p}conv1.w`, `${p}conv1.b`));
    const out = b.add('Conv', inner, `${p}conv2.w`, `${p}conv2.b`);
    const skip = i > 0 && i % stage === 0 ? b.add('Conv', x, `${p}down.w`, `${p}down.b`) : x;
    x = b.add('Relu', b.add('Add', out, skip));
  }
  return b.output(b.add('Gemm', b.add('Flatten', b.add('GlobalAveragePool', x)), 'fc.w', 'fc.b'));
}
