import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TABS } from '../App.js';
import { EmptyState } from './empty-state.js';

describe('the start screen', () => {
  it('names as many Alt+number shortcuts as there are views', () => {
    const html = renderToStaticMarkup(
      <EmptyState
        viewCount={TABS.length}
        onOpen={() => {}}
        onTrySample={() => {}}
        sampleAvailable
        recent={[]}
        onOpenRecent={() => {}}
      />,
    );
    expect(TABS.length).toBe(5);
    expect(html).toContain('<kbd>1</kbd>–<kbd>5</kbd> switch views');
  });
});
