import { describe, expect, it } from 'vitest';
import { paretoAxesNote } from './pareto-axes.js';

describe("the Pareto card's note on where its axes start", () => {
  it('says the latency axis does not start at 0 (a browser run zoomed to 7.95-8.15 ms)', () => {
    expect(paretoAxesNote({ latency: 7.95, latencyText: '7.95 ms', quality: 0, qualityText: '0%' })).toBe(
      ' The latency axis starts at 7.95 ms, not 0, to show the differences.',
    );
  });

  it('names both axes where both are zoomed, the quality axis alone, and nothing where both start at 0', () => {
    const both = paretoAxesNote({
      latency: 2.5,
      latencyText: '2.50 ms',
      quality: 0.98,
      qualityText: '98.0%',
    });
    expect(both).toBe(
      ' The latency axis starts at 2.50 ms and the quality axis at 98.0%, not 0, to show the differences.',
    );
    expect(paretoAxesNote({ latency: 0, latencyText: '0.00 ms', quality: 0.98, qualityText: '98.0%' })).toBe(
      ' The quality axis starts at 98.0%, not 0, to show the differences.',
    );
    expect(paretoAxesNote({ latency: 0, latencyText: '0.00 ms', quality: 0, qualityText: '0%' })).toBe('');
  });
});
