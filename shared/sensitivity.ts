/**
 * The sensitivity table (electron/engine/quantize/sensitivity.ts computes it): which nodes int8-static hurts
 * most. Shared because `tune` records it and the app shows it.
 */
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
  /** sqnrDb - outputSqnrDb: the error the node adds, amplification included; the ranking key (null: unmeasured). */
  dropDb: number | null;
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
  /** SQNR of each model output, float against QDQ. */
  outputs: { name: string; sqnrDb: number | null }[];
  notes: string[];
}
