/**
 * Compare's table on a language model graded on its own token ids (server-side render): the quality column is
 * named next-token accuracy, and perplexity has a column of its own with its ratio to the original.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CompareRow } from '../state/compare-data.js';
import { CompareTable } from './compare-view.js';

const ids = { name: 'ids.npy', samples: 32, sha256: 'c'.repeat(64) };
const row = (id: string, index: number, quality: number, perplexity: number): CompareRow => ({
  id,
  label: id,
  isOriginal: id === 'original',
  index,
  quality,
  qualityRatio: quality / 0.5,
  perplexity,
  perplexityRatio: perplexity / 20,
  dataset: ids,
});

/** The table's markup, and its text as read (Words splits headings into a span a word). */
function table(rows: CompareRow[], metric: 'nextTokenAccuracy' | 'accuracy'): { html: string; text: string } {
  const html = renderToStaticMarkup(
    <CompareTable
      rows={rows}
      datasetLabel={(d) => d.name}
      metric={metric}
      sourceLabel={undefined}
      front={new Set()}
      staleLatency={new Set()}
      staleQuality={new Set()}
      spec={undefined}
    />,
  );
  return { html, text: html.replace(/<[^>]+>/g, '') };
}

describe("Compare's table on next-token evaluations", () => {
  it('names the column next-token accuracy and shows perplexity with its ratio (lower is better)', () => {
    const { html, text } = table(
      [row('original', 0, 0.5, 20), row('int4', 1, 0.44, 25)],
      'nextTokenAccuracy',
    );
    expect(text).toContain('Next-token accuracy');
    expect(text).not.toContain('Accuracy (top-1)');
    expect(text).toContain('Perplexity (lower is better)');
    const cells = [...html.matchAll(/data-testid="row-perplexity">(.*?)<\/td>/g)].map((m) =>
      m[1]!.replace(/<[^>]+>/g, ''),
    );
    expect(cells).toEqual(['20.00 ', '25.00 ×1.25']);
    // A drop of 6 points, named as a drop of next-token accuracy.
    expect(text).toContain('−6.0 pts next-token accuracy');
  });

  it('has no perplexity column where no figure has one', () => {
    const { perplexity: _a, perplexityRatio: _b, ...plain } = row('original', 0, 0.9, 1);
    const { text } = table([plain], 'accuracy');
    expect(text).toContain('Accuracy (top-1)');
    expect(text).not.toContain('Perplexity');
  });
});
