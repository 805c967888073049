import { describe, expect, it } from 'vitest';
import type { Result } from '../../../shared/errors.js';
import { queueInOrder, type QueueStep } from './queue-in-order.js';

const accepted: Result<unknown> = { ok: true, value: { id: 'p' } };
const cancelled: Result<unknown> = {
  ok: false,
  error: { code: 'CANCELLED', message: 'The data check was cancelled.' },
};

/** Steps whose starts are recorded; `answer(i)` runs when step i starts and gives the backend's answer. */
function steps(count: number, answer: (i: number) => Result<unknown>) {
  const started: number[] = [];
  const list: QueueStep[] = Array.from({ length: count }, (_, i) => ({
    title: `recipe ${i + 1}`,
    start: async () => {
      started.push(i);
      return answer(i);
    },
  }));
  return { list, started };
}

describe('queueing pipelines in order', () => {
  it('starts every step and counts each one the backend accepted', async () => {
    const { list, started } = steps(3, () => accepted);
    const titles: string[] = [];
    const outcome = await queueInOrder(list, undefined, {
      onNext: (t) => titles.push(t),
      onFailed: () => {},
    });
    expect(outcome).toEqual({ queued: 3, cancelled: false });
    expect(started).toEqual([0, 1, 2]);
    expect(titles).toEqual(['recipe 1', 'recipe 2', 'recipe 3']);
  });

  it('counts a step accepted after Cancel (a late Cancel: its checks had ended) and starts none after it', async () => {
    const cancel = new AbortController();
    const { list, started } = steps(3, (i) => {
      if (i === 1) cancel.abort(); // pressed while step 2's answer was on its way: the backend ran it
      return accepted;
    });
    const outcome = await queueInOrder(list, cancel.signal, { onFailed: () => {} });
    expect(outcome).toEqual({ queued: 2, cancelled: true });
    expect(started).toEqual([0, 1]);
  });

  it('does not count a step whose check Cancel stopped, nor report it as a failure', async () => {
    const cancel = new AbortController();
    const failed: string[] = [];
    const { list, started } = steps(3, (i) => {
      if (i === 1) {
        cancel.abort();
        return cancelled;
      }
      return accepted;
    });
    const outcome = await queueInOrder(list, cancel.signal, { onFailed: (s) => failed.push(s.title) });
    expect(outcome).toEqual({ queued: 1, cancelled: true });
    expect(started).toEqual([0, 1]);
    expect(failed).toEqual([]);
  });

  it('reports a refused step and goes on to the next', async () => {
    const failed: string[] = [];
    const { list, started } = steps(3, (i) =>
      i === 0 ? { ok: false, error: { code: 'BAD_INPUT', message: 'the data does not fit' } } : accepted,
    );
    const outcome = await queueInOrder(list, new AbortController().signal, {
      onFailed: (s, e) => failed.push(`${s.title}: ${e.code}`),
    });
    expect(outcome).toEqual({ queued: 2, cancelled: false });
    expect(started).toEqual([0, 1, 2]);
    expect(failed).toEqual(['recipe 1: BAD_INPUT']);
  });

  it('starts nothing when Cancel came before the first step', async () => {
    const cancel = new AbortController();
    cancel.abort();
    const { list, started } = steps(2, () => accepted);
    expect(await queueInOrder(list, cancel.signal, { onFailed: () => {} })).toEqual({
      queued: 0,
      cancelled: true,
    });
    expect(started).toEqual([]);
  });
});
