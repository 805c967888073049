import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Phrases, Words } from './words.js';

describe('labels that wrap only where they may', () => {
  it("keeps a latency ratio's two parts whole, with the text unchanged", () => {
    // A squeezed cell split "0.364" from its "ms" once the base could wrap anywhere.
    expect(renderToStaticMarkup(<Phrases text="×1.02 of the original's 0.364 ms" />)).toBe(
      '<span class="word">×1.02</span> <span class="word">of the original&#x27;s 0.364 ms</span>',
    );
    expect(renderToStaticMarkup(<Phrases text="×0.83" />)).toBe('<span class="word">×0.83</span>');
  });

  it('keeps each word of a heading whole', () => {
    expect(renderToStaticMarkup(<Words text="Accuracy (top-1)" />)).toBe(
      '<span class="word">Accuracy</span> <span class="word">(top-1)</span>',
    );
  });
});
