import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { newCheckId } from '../state/check-ids.js';
import { describeStartInFlight, StartsInFlight, startsSentElsewhere } from './starts-in-flight.js';

const start = {
  checkId: 'check-before-reload-1',
  titles: ['Quantize: fp16', 'Prune: magnitude 30%'],
  item: 1,
  started: 1,
  failed: 0,
};

describe('queueing sent before a reload or from another tab', () => {
  it('is shown unless this page load sent it (its own shows beside Queue)', () => {
    const own = { ...start, checkId: newCheckId() };
    expect(startsSentElsewhere([own, start])).toEqual([start]);
    expect(startsSentElsewhere(undefined)).toEqual([]);
  });

  it('says which pipeline is checked, of how many, and how many were queued or refused so far', () => {
    expect(describeStartInFlight(start)).toBe(
      'Queueing 2 recipes, sent before this page was loaded or from another tab: checking the data of Prune: magnitude 30% (2 of 2); 1 was queued so far.',
    );
    expect(describeStartInFlight({ ...start, titles: ['Quantize: fp16'], item: 0, started: 0 })).toBe(
      'Queueing a recipe, sent before this page was loaded or from another tab: checking the data of Quantize: fp16.',
    );
    expect(describeStartInFlight({ ...start, item: 1, started: 0, failed: 1 })).toContain(
      '; 1 did not pass the data check so far.',
    );
  });

  it('offers Cancel for each', () => {
    const html = renderToStaticMarkup(<StartsInFlight starts={[start]} onCancel={async () => undefined} />);
    expect(html).toContain('Cancel queueing');
    expect(renderToStaticMarkup(<StartsInFlight starts={[]} onCancel={async () => undefined} />)).toBe('');
  });
});
