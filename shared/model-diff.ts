/**
 * What a compression did to a model, node by node and weight by weight (`onnx-studio diff`; the app colours the
 * graph with it). electron/engine/diff/diff-models.ts computes it. It compares the main graphs; subgraph bodies
 * (If, Loop, Scan) are counted, not matched.
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

/** What a node computes in: from its op type and where its inputs come from. */
export type NodePrecision = 'float32' | 'float16' | 'int8' | 'int4' | 'other';

export interface NodeDiff {
  name: string;
  opType: string;
  change: NodeChange;
  /** In the variant (absent for fused and removed nodes). */
  variantOpType?: string;
  precision?: NodePrecision;
  /** For a fused node: the variant node that took its work. */
  fusedInto?: string;
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
    byChange: Record<NodeChange, number>;
    byPrecision: Record<NodePrecision, number>;
    added: AddedNodes;
    /** Every node of the original, in graph order. */
    list: NodeDiff[];
  };
  weights: {
    bytesBefore: number;
    bytesAfter: number;
    byChange: Record<WeightChange, number>;
    /** Every initializer of the original, largest first. */
    list: WeightDiff[];
    /** Variant initializers that no original weight became (activation scales and zero points, ...). */
    addedCount: number;
    addedBytes: number;
  };
}
