/**
 * A progress bar on stderr for work that takes more than about a second. It draws nothing for quick work,
 * nothing when stderr is not a terminal (logs stay clean), and at most ten times a second.
 */
/** The share of the work done before the bar estimates the time left. */
const MIN_FRACTION_FOR_ETA = 0.03;

/** `45s`, `3m 05s`, `1h 02m`: seconds left as a person reads them. */
export function etaWords(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly label: string,
    private readonly enabled = Boolean(stream.isTTY),
  ) {}

  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < 1000 || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const elapsed = (now - this.started) / 1000;
    // Only once there is something to extrapolate from: 0.1% done after a second read "ETA 308359s".
    const eta = fraction >= MIN_FRACTION_FOR_ETA ? elapsed / fraction - elapsed : NaN;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - 30));
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    const etaText = Number.isFinite(eta) ? ` ETA ${etaWords(eta)}` : '';
    this.stream.write(`\r${this.label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%${etaText}  `);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
