/**
 * The sensitivity table (electron/engine/quantize/sensitivity.ts computes it): which nodes int8-static hurts
 * most. Shared because `tune` records it and the app shows it.
 */
/** The figures of a row, in dB. */
export type SensitivityField = 'localSqnrDb' | 'sqnrDb' | 'outputSqnrDb' | 'dropDb';

export interface SensitivityRow {
  /** The node's name in the QDQ graph (after onnxruntime's basic optimizations): what `--exclude-nodes` takes. */
  node: string;
  opType: string;
  /** Its quantized activation inputs. */
  inputs: string[];
  /** The worst local SQNR of those inputs, in dB: the error this node's own quantization adds (null: none). */
  localSqnrDb: number | null;
  /** The worst SQNR of those inputs against the float model's, in dB: the error accumulated up to the node. */
  sqnrDb: number | null;
  /** The SQNR after the node (its output, or the first measured tensor after it), in dB. */
  outputSqnrDb: number | null;
  /** sqnrDb - outputSqnrDb: the error the node adds, amplification included; the ranking key. */
  dropDb: number | null;
  /**
   * Why a figure above is null when it is not exact (a null without a reason here is an infinite SQNR: identical
   * values; a drop of exact in and out is 0): a tensor the float model lacks, one not float32, no measured
   * tensor after the node, an input exact and an output not (an unbounded drop, ranked first).
   */
  unmeasured?: Partial<Record<SensitivityField, string>>;
  /** The node has no name: `node` is a label, `(OpType output)`, that `--exclude-nodes` cannot take. */
  unnamed?: true;
}

export interface SensitivityReport {
  model: string;
  method: 'int8-static';
  calibration: string;
  data: string;
  samples: number;
  seconds: number;
  /** Most sensitive first. */
  rows: SensitivityRow[];
  /** SQNR of each model output, float against QDQ (null: exact, or unmeasured with the reason). */
  outputs: { name: string; sqnrDb: number | null; unmeasured?: string }[];
  notes: string[];
}

/** Why a drop is not finite: every input exact, the output not (ranked first). */
export const UNBOUNDED_DROP = 'unbounded: its inputs are exact and its output is not (the error starts here)';
/** Why a drop is not finite the other way: the output exact, an input not (ranked last). */
export const UNBOUNDED_BELOW_DROP = 'unbounded below: its output is exact though its inputs are not';

/**
 * A figure of a row as the CLI table, the app's table and the graph overlay write it: its value in dB, `exact`
 * (identical values, an infinite SQNR), `unmeasured` (the reason is in `unmeasured`), or for a drop `inf` /
 * `-inf` (exact on one side only).
 */
export function sensitivityFigure(row: SensitivityRow, field: SensitivityField): string {
  const value = row[field];
  if (value !== null) return value.toFixed(1);
  const why = row.unmeasured?.[field];
  if (why === UNBOUNDED_DROP) return 'inf';
  if (why === UNBOUNDED_BELOW_DROP) return '-inf';
  return why === undefined ? 'exact' : 'unmeasured';
}
