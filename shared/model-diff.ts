/**
 * What a compression did to a model, node by node and weight by weight (`onnx-studio diff`; the app colours the
 * graph with it). electron/engine/diff/diff-models.ts computes it. Subgraph bodies (If, Loop, Scan) are matched
 * under their node: the body of a node the variant kept (by name) is compared with the variant's body of the
 * same attribute; the bodies of a node that is gone count as removed, those of a node the variant added as added.
 * Counts and byte totals cover every graph; `nodes.list` is the main graph only (the Graph view's colouring reads
 * it by index), `nodes.subgraphList` the rest.
 */

/** How a node of the original fares in the variant. */
export type NodeChange =
  /** Same name and op type; `precision` says what it computes in now. */
  | 'kept'
  /** Same name, another op type (MatMul -> MatMulNBits, DynamicQuantizeMatMul...). */
  | 'replaced'
  /** Gone, its output now produced by another node (a bias Add into a fused MatMul, a Relu into a quantization). */
  | 'fused'
  /** Gone, and nothing produces its output. */
  | 'removed';

/**
 * What a node computes in: from its op type and where its inputs come from (shared/node-precision.ts). `other`
 * is a quantization conversion (QuantizeLinear, DequantizeLinear); a Cast computes in the type it produces.
 */
export type NodePrecision = 'float32' | 'float16' | 'int8' | 'int4' | 'other';

export interface NodeDiff {
  name: string;
  opType: string;
  change: NodeChange;
  /** In the variant (absent for fused and removed nodes). */
  variantOpType?: string;
  /** What it computes in, in the variant (absent for fused and removed nodes). */
  precision?: NodePrecision;
  /**
   * What it computed in, in the original (by the same rule). Optional only because the renderer's mock diffs
   * predate it: the engine always sets it.
   */
  originalPrecision?: NodePrecision;
  /**
   * It computed in float16 and computes in float32 now (shared/node-precision.ts `isUpcast`): onnxruntime put it
   * between Casts to float32 for want of a float16 kernel, and int8-static saved that. A kept node so is changed.
   */
  upcast?: true;
  /** For a fused node: the variant node that took its work. */
  fusedInto?: string;
  /**
   * For a kept, replaced or fused node: the index, in its graph of the variant, of the node it became (the
   * Graph view's id of a main-graph node). Unnamed nodes, as many exporters leave them, can be found no other way.
   */
  variantIndex?: number;
  /**
   * For a node inside a subgraph: the graph holding it, as `owner/attribute` from the main graph down
   * (`loop_node/body`, `if_node/then_branch/inner/body`; an unnamed owner is `OpType#index`).
   */
  graph?: string;
  /** For a node inside a subgraph: its id in the Graph view of the original (shared/model-graph.ts, `1/body/0`). */
  id?: string;
  /**
   * For a kept, replaced or fused node inside a subgraph: the Graph view id of the node it became in the
   * variant (`4/body/2`; the variant's ids differ from the original's where it added nodes). A main-graph
   * node's is `variantIndex`.
   */
  variantId?: string;
}

/** Nodes the variant adds that the original had no name for. */
export interface AddedNodes {
  /** QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear. */
  quantizeDequantize: number;
  casts: number;
  /** Everything else, by op type. */
  other: Record<string, number>;
}

export type WeightChange = 'unchanged' | 'quantized' | 'cast' | 'reshaped' | 'values' | 'removed';

export interface WeightDiff {
  /** An initializer's name, or a Constant node's output name for the weight that node holds. */
  name: string;
  change: WeightChange;
  dtype: string;
  shape: number[];
  bytes: number;
  /** Present unless removed. */
  variantDtype?: string;
  variantShape?: number[];
  /** The variant's bytes for this weight: its own tensor, or the quantized tensor with its scales and zero points. */
  variantBytes?: number;
  /** The variant tensors it became (e.g. `W_quantized`, `W_scale`). */
  variantNames?: string[];
  /** Share of zero elements (float weights), before and after: what magnitude pruning changes. */
  zeros?: { before: number; after: number };
  /** For a weight of a subgraph: the graph holding it (as `NodeDiff.graph`). */
  graph?: string;
}

/** A variant weight (initializer or Constant node value) that no original weight became. */
export interface AddedWeight {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  /**
   * Read by a quantization op (Q/DQ, QLinear*, MatMulNBits...): a scale, zero point or quantized value. Other
   * added weights are new float parameters, which a compression does not add (another model?).
   */
  quantization: boolean;
  /** For a weight of a subgraph of the variant: the graph holding it (as `NodeDiff.graph`). */
  graph?: string;
}

/** How much of the original the variant still has: a variant of it keeps its names and its inputs and outputs. */
export interface ModelMatch {
  /** The original's nodes, every graph, and how many of them the variant has under the same name. */
  nodes: number;
  nodesByName: number;
  /**
   * The original's weights, every graph, and how many of them the variant still has: as they were, or changed
   * as a compression changes them (a same-named weight that grew or changed rank is not counted).
   */
  weights: number;
  weightsFound: number;
  /** The main graphs' inputs (outputs) have the same names and compatible shapes. */
  sameInputs: boolean;
  sameOutputs: boolean;
  /**
   * Other inputs or outputs, and under half of the original's weights (for a model without weights: nodes) and
   * under half its node names in common: the variant is most likely not made from the original (compressions
   * keep inputs, outputs and most weights).
   */
  unrelated: boolean;
}

export interface ModelDiff {
  original: string;
  variant: string;
  nodes: {
    /** Main graph node counts. */
    original: number;
    variant: number;
    /** Node counts including every subgraph body. */
    originalWithSubgraphs: number;
    variantWithSubgraphs: number;
    /** Of every node of the original, main graph and subgraphs. */
    byChange: Record<NodeChange, number>;
    byPrecision: Record<NodePrecision, number>;
    /** Of every node of the original: those `upcast` (optional as `subgraphList`). */
    upcast?: number;
    /** Every graph of the variant. */
    added: AddedNodes;
    /** Every node of the original's main graph, in graph order (node `i` is the Graph view's node `i`). */
    list: NodeDiff[];
    /**
     * Every node of the original's subgraphs, each graph in order, with `graph` and `id`. Optional only because
     * the renderer's mock diffs (renderer/src/host/mock-graph.ts) predate it: the engine always sets it.
     */
    subgraphList?: NodeDiff[];
  };
  /**
   * Every weight of both models, main graph and subgraphs: initializers and the values of Constant nodes (some
   * exporters hold weights there; the quantizers rewrite them as they do initializers).
   */
  weights: {
    bytesBefore: number;
    bytesAfter: number;
    byChange: Record<WeightChange, number>;
    /** Every weight of the original, largest first. */
    list: WeightDiff[];
    /** Variant weights that no original weight became (activation scales and zero points, ...). */
    addedCount: number;
    addedBytes: number;
    /** Those weights, largest first (optional as `nodes.subgraphList`). */
    addedList?: AddedWeight[];
  };
  /** Optional as `nodes.subgraphList`. */
  match?: ModelMatch;
  /** Warnings in words (two unrelated models, subgraphs that could not be matched); optional as above. */
  notes?: string[];
}
