import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../../shared/workspace.js';
import {
  afterQueue,
  listNames,
  partlyQueuedNote,
  queueButton,
  queueLabel,
  recipesToSend,
  type QueuedSelection,
} from './queue-state.js';

const pipeline = (id: string, status: PipelineRecord['status']) => ({ id, status }) as PipelineRecord;

describe("what Optimize's Queue offers", () => {
  it('every recipe of a selection not queued yet', () => {
    const button = queueButton(null, 'k', 4, []);
    expect(button).toEqual({ kind: 'fresh' });
    expect(queueLabel(button, 4)).toBe('Queue 4 jobs');
    expect(recipesToSend(button, 4)).toEqual([0, 1, 2, 3]);
    // Another selection than the one queued is another set.
    const last: QueuedSelection = { key: 'other', started: [{ index: 0, pipelineId: 'p1' }] };
    expect(queueButton(last, 'k', 1, [])).toEqual({ kind: 'fresh' });
  });

  it('after a Cancel that let 2 of 4 start: the other 2, not all 4 again', () => {
    const last = afterQueue(
      null,
      { kind: 'fresh' },
      'k',
      [0, 1, 2, 3],
      [
        { index: 0, pipelineId: 'p1' },
        { index: 1, pipelineId: 'p2' },
      ],
    );
    const button = queueButton(last, 'k', 4, [pipeline('p1', 'running'), pipeline('p2', 'running')]);
    expect(button).toEqual({ kind: 'rest', queued: [0, 1], rest: [2, 3] });
    expect(queueLabel(button, 4)).toBe('Queue 2 jobs');
    expect(recipesToSend(button, 4)).toEqual([2, 3]);
    // The rest sent, and one of them started before another Cancel: by its index in the selection.
    const next = afterQueue(last, button, 'k', [2, 3], [{ index: 0, pipelineId: 'p3' }]);
    expect(next?.started.map((s) => s.index)).toEqual([0, 1, 2]);
    const one = queueButton(next, 'k', 4, []);
    expect(one).toEqual({ kind: 'rest', queued: [0, 1, 2], rest: [3] });
    expect(queueLabel(one, 4)).toBe('Queue job');
    // The last one queued too: the whole selection is queued, and held while it runs.
    const all = afterQueue(next, one, 'k', [3], [{ index: 0, pipelineId: 'p4' }]);
    const running = ['p1', 'p2', 'p3', 'p4'].map((id) => pipeline(id, id === 'p4' ? 'running' : 'done'));
    expect(queueButton(all, 'k', 4, running)).toEqual({ kind: 'held' });
  });

  it('the recipes a failed data check left out, when the others started', () => {
    const last = afterQueue(
      null,
      { kind: 'fresh' },
      'k',
      [0, 1, 2],
      [
        { index: 0, pipelineId: 'p1' },
        { index: 1, pipelineId: 'p3' },
      ],
    );
    expect(queueButton(last, 'k', 3, [])).toEqual({ kind: 'rest', queued: [0, 1], rest: [2] });
  });

  it('nothing while the queued selection runs, then all of it again on purpose', () => {
    const last = afterQueue(
      null,
      { kind: 'fresh' },
      'k',
      [0, 1],
      [
        { index: 0, pipelineId: 'p1' },
        { index: 1, pipelineId: 'p2' },
      ],
    );
    // Not read from the workspace yet: just started.
    expect(queueButton(last, 'k', 2, [])).toEqual({ kind: 'held' });
    expect(queueLabel({ kind: 'held' }, 2)).toBe('Queued\u00a0✓');
    expect(recipesToSend({ kind: 'held' }, 2)).toEqual([]);
    const ended = [pipeline('p1', 'done'), pipeline('p2', 'failed')];
    const again = queueButton(last, 'k', 2, ended);
    expect(again).toEqual({ kind: 'again' });
    expect(queueLabel(again, 2)).toBe('Queue again');
    // Queue again cancelled before anything started: still what was queued before.
    expect(afterQueue(last, again, 'k', [0, 1], [])).toBe(last);
    expect(afterQueue(null, { kind: 'fresh' }, 'k', [0, 1], [])).toBeNull();
  });

  it('names the queued recipes and what Queue sends', () => {
    expect(listNames(['a'])).toBe('a');
    expect(listNames(['a', 'b', 'c'])).toBe('a, b and c');
    expect(partlyQueuedNote(['fp16', 'int8-dynamic'], ['int8-static', 'magnitude'])).toBe(
      'fp16 and int8-dynamic were queued (see Pipelines below); int8-static and magnitude were not: Queue sends those 2.',
    );
    expect(partlyQueuedNote(['fp16'], ['int4'])).toBe(
      'fp16 was queued (see Pipelines below); int4 was not: Queue sends it.',
    );
  });
});
