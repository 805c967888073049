import { StudioError } from '../errors.js';

/** One model's inference, as the scheduler sees it. */
export interface Runner {
  run(): Promise<void>;
}

export interface InterleaveOptions {
  /** Run this many rounds (every model once per round). */
  rounds?: number;
  /** Or keep going for this long (ms, measured from the start); at least one round always runs. */
  durationMs?: number;
  /** With `rounds`: keep going after them until this long has passed (ms; for warmup, see runBenchmark). */
  minDurationMs?: number;
  signal?: AbortSignal;
  /** Clock in ms (default `performance.now`). */
  now?: () => number;
  /**
   * Called after each timed run, outside the timed region. Keep it cheap: it runs between the models' runs.
   */
  onRun?: (modelIndex: number, ms: number, round: number) => void;
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StudioError('CANCELLED', 'The benchmark was cancelled.');
}

/**
 * Runs the models round-robin (A B C A B C ...), timing each run, until `rounds` rounds are done or
 * `durationMs` has passed. Interleaving spreads any slowdown of a noisy machine (another process, thermal
 * throttling, a turbo boost ending) over every model alike instead of penalizing whichever ran during it, so
 * the ratios between models stay fair. Returns each model's latencies in ms, in run order; every model gets
 * the same number of runs. Stops with CANCELLED at the next run after `signal` aborts.
 */
export async function runInterleaved(runners: readonly Runner[], options: InterleaveOptions): Promise<number[][]> {
  const now = options.now ?? (() => performance.now());
  const { rounds, durationMs, minDurationMs = 0, signal, onRun } = options;
  if ((rounds === undefined) === (durationMs === undefined)) throw new Error('runInterleaved needs exactly one of rounds and durationMs.');
  const samples: number[][] = runners.map(() => []);
  const started = now();
  const finished = (round: number): boolean =>
    rounds === undefined
      ? round > 0 && now() - started >= (durationMs as number)
      : round >= rounds && (minDurationMs <= 0 || now() - started >= minDurationMs);
  for (let round = 0; !finished(round); round++) {
    for (let i = 0; i < runners.length; i++) {
      checkCancelled(signal);
      const runner = runners[i] as Runner;
      const t0 = now();
      await runner.run();
      const ms = now() - t0;
      (samples[i] as number[]).push(ms);
      onRun?.(i, ms, round);
    }
  }
  checkCancelled(signal);
  return samples;
}
