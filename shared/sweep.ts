/**
 * A cluster sweep's results merged (`onnx-studio tune --collect DIR`; the app opens one with
 * `studio:sweep.collect`). electron/engine/sweep/collect-sweep.ts computes it.
 */
import type { TuneOutcome } from './tune.js';

/** The machine a result was measured on: latency is comparable only between results of one machine. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  ep: string;
  host: string;
}

export interface MachineOutcome {
  machine: MachineInfo;
  outcome: TuneOutcome;
  /** The chosen trial's variant file in the sweep folder. */
  chosenVariant?: string;
}

export interface CollectedSweep {
  dir: string;
  trials: number;
  /** Indexes with no result yet (not run, still running, or killed). */
  missing: number[];
  /** Indexes whose trial ended in an error, with it. */
  failed: { index: number; error: string }[];
  /** One outcome per machine the results came from, the machine with the most results first. */
  machines: MachineOutcome[];
  notes: string[];
}
