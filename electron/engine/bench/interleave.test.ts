import { describe, expect, it } from 'vitest';
import { StudioError } from '../errors.js';
import { runInterleaved, type Runner } from './interleave.js';

/** Runners that log their name when run, on a fake clock advanced by each run's cost. */
function fakeRunners(costs: number[], log: string[], clock: { t: number }): Runner[] {
  return costs.map((cost, i) => ({
    run: async () => {
      log.push(String.fromCharCode(65 + i));
      clock.t += cost;
    },
  }));
}

describe('runInterleaved', () => {
  it('runs the models round-robin, A B C A B C, and times each run', async () => {
    const log: string[] = [];
    const clock = { t: 0 };
    const samples = await runInterleaved(fakeRunners([1, 2, 3], log, clock), { rounds: 3, now: () => clock.t });
    expect(log.join('')).toBe('ABCABCABC');
    expect(samples).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
    ]);
  });

  it('reports every run to onRun in order, with its round', async () => {
    const clock = { t: 0 };
    const seen: string[] = [];
    await runInterleaved(fakeRunners([1, 1], [], clock), {
      rounds: 2,
      now: () => clock.t,
      onRun: (i, ms, round) => seen.push(`${i}:${ms}:${round}`),
    });
    expect(seen).toEqual(['0:1:0', '1:1:0', '0:1:1', '1:1:1']);
  });

  it('in duration mode stops after the round that reaches the duration; every model gets the same count', async () => {
    const log: string[] = [];
    const clock = { t: 0 };
    const samples = await runInterleaved(fakeRunners([3, 4], log, clock), { durationMs: 20, now: () => clock.t });
    // rounds end at t = 7, 14, 21: the third round crosses 20 ms, so three rounds.
    expect(log.join('')).toBe('ABABAB');
    expect(samples.map((s) => s.length)).toEqual([3, 3]);
  });

  it('with minDurationMs keeps going after the rounds until that long has passed', async () => {
    const clock = { t: 0 };
    const samples = await runInterleaved(fakeRunners([2, 3], [], clock), { rounds: 1, minDurationMs: 12, now: () => clock.t });
    // rounds end at t = 5, 10, 15: the third crosses 12 ms.
    expect(samples.map((s) => s.length)).toEqual([3, 3]);
    const enough = await runInterleaved(fakeRunners([2, 3], [], clock), { rounds: 4, minDurationMs: 1, now: () => clock.t });
    expect(enough.map((s) => s.length)).toEqual([4, 4]);
  });

  it('always runs at least one round, even with a zero-length duration', async () => {
    const clock = { t: 0 };
    const samples = await runInterleaved(fakeRunners([5], [], clock), { durationMs: 1e-9, now: () => clock.t });
    expect(samples).toEqual([[5]]);
  });

  it('stops at the next run with CANCELLED once the signal aborts', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const clock = { t: 0 };
    const runners = fakeRunners([1, 1], log, clock);
    const error = await runInterleaved(runners, {
      rounds: 100,
      now: () => clock.t,
      signal: controller.signal,
      onRun: (_i, _ms, round) => {
        if (round === 1) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('CANCELLED');
    expect(log.join('')).toBe('ABA'); // aborted after A of round 1: B never starts
  });

  it('needs exactly one of rounds and durationMs', async () => {
    await expect(runInterleaved([], {})).rejects.toThrow(/exactly one/);
    await expect(runInterleaved([], { rounds: 1, durationMs: 1 })).rejects.toThrow(/exactly one/);
  });
});
