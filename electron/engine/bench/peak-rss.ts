import fs from 'node:fs';

/*
 * Peak resident memory of this process over a stretch of work. getrusage's maxRSS is a lifetime high-water
 * mark that cannot be reset, which is useless in a long-lived engine process that benchmarks one model after
 * another. On Linux the kernel's high-water mark (VmHWM) can be reset by writing 5 to /proc/self/clear_refs,
 * which gives an exact per-benchmark peak, including peaks inside a native call. Elsewhere (or where /proc is
 * not writable) the meter falls back to the largest RSS sampled at the points `sample()` is called.
 */

const STATUS = '/proc/self/status';
const CLEAR_REFS = '/proc/self/clear_refs';

/** The kernel's high-water mark of this process's resident memory, in bytes (undefined without /proc). */
export function readHighWaterMark(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(STATUS, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function resetHighWaterMark(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    fs.writeFileSync(CLEAR_REFS, '5');
    return readHighWaterMark() !== undefined;
  } catch {
    return false;
  }
}

export class PeakRssMeter {
  /** `exact`: the kernel's high-water mark since `start()`; `sampled`: the largest RSS seen by `sample()`. */
  readonly method: 'exact' | 'sampled';
  private sampledPeak: number;

  private constructor(method: 'exact' | 'sampled') {
    this.method = method;
    this.sampledPeak = process.memoryUsage.rss();
  }

  /** Starts measuring from now (resets the kernel's high-water mark where it can). */
  static start(): PeakRssMeter {
    return new PeakRssMeter(resetHighWaterMark() ? 'exact' : 'sampled');
  }

  /** Whether `sample()` needs calling between runs (it costs a few microseconds, so call it only then). */
  get needsSampling(): boolean {
    return this.method === 'sampled';
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.sampledPeak) this.sampledPeak = rss;
  }

  /** The peak in bytes so far. */
  peakBytes(): number {
    this.sample();
    const exact = this.method === 'exact' ? readHighWaterMark() : undefined;
    return Math.max(this.sampledPeak, exact ?? 0);
  }
}
