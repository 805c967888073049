import { describe, expect, it } from 'vitest';
import type { ComparisonRow } from '../../../shared/report.js';
import { comparisonTable } from './report-files.js';

/* The report's comparison table names a language model's accuracy as what it is, with its perplexity beside it. */

const row = (target: string, over: Partial<ComparisonRow>): ComparisonRow => ({
  target,
  name: target,
  path: `/m/${target}.onnx`,
  fileBytes: 1000,
  sizeRatio: 1,
  ...over,
});

describe('the comparison table', () => {
  it("heads a language model's accuracy 'Next-token accuracy' and adds its perplexity", () => {
    const html = comparisonTable(
      [
        row('original', { accuracy: 0.8, accuracyTask: 'next-token', perplexity: 3.95 }),
        row('v-int4', {
          accuracy: 0.79,
          accuracyTask: 'next-token',
          perplexity: 4.0123,
          accuracyDelta: -0.01,
        }),
      ],
      undefined,
    );
    expect(html).toContain('<th class="num">Next-token accuracy</th>');
    expect(html).toContain('<th class="num">Perplexity</th>');
    expect(html).toContain('4.012');
    // NaN logits leave no perplexity (null in JSON): a dash, not a TypeError.
    const broken = comparisonTable(
      [row('original', { accuracy: 0.8, accuracyTask: 'next-token', perplexity: null as unknown as number })],
      undefined,
    );
    expect(broken).not.toContain('Perplexity');
  });

  it('keeps Accuracy and shows no perplexity column for a classifier', () => {
    const html = comparisonTable(
      [row('original', { accuracy: 0.9 }), row('v', { accuracy: 0.89 })],
      undefined,
    );
    expect(html).toMatch(/<th[^>]*>Accuracy<\/th>/);
    expect(html).not.toContain('Perplexity');
    expect(html).not.toContain('Next-token');
  });
});
