import { describe, expect, it, vi } from 'vitest';
import { etaWords, ProgressBar } from './progress-bar.js';

/** A terminal that keeps what was drawn. */
function terminal() {
  const written: string[] = [];
  return { written, stream: { isTTY: true, columns: 100, write: (s: string) => written.push(s) > 0 } };
}

describe('the CLI progress bar', () => {
  it('gives no time left until there is something to extrapolate from, then a readable one', () => {
    vi.useFakeTimers();
    try {
      const { written, stream } = terminal();
      const bar = new ProgressBar(stream as never, 'Saving');
      vi.advanceTimersByTime(1500);
      bar.update(1, 1000); // 0.1% after 1.5 s: "ETA 1498s" would be noise
      expect(written.at(-1)).toMatch(/Saving \[-+\]\s+0%\s*$/);
      vi.advanceTimersByTime(1500);
      bar.update(100, 1000); // 10% after 3 s: 27 s left
      expect(written.at(-1)).toContain(' 10% ETA 27s');
    } finally {
      vi.useRealTimers();
    }
  });

  it('words long waits in minutes and hours', () => {
    expect(etaWords(44.2)).toBe('45s');
    expect(etaWords(185)).toBe('3m 05s');
    expect(etaWords(3725)).toBe('1h 02m');
  });
});
