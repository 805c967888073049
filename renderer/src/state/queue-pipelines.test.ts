import { describe, expect, it } from 'vitest';
import type { Result, StudioErrorInfo } from '../../../shared/errors.js';
import type { PipelineStartOutcome } from '../../../shared/ipc-contract.js';
import type { PipelineRecord } from '../../../shared/workspace.js';
import { checkingTitle, queueOutcome } from './queue-pipelines.js';

/** A started pipeline as the backend reports it: the index of its recipe in the request, and its record. */
const started = (index: number, id: string) => ({ index, pipeline: { id } as PipelineRecord });
const badInput: StudioErrorInfo = { code: 'BAD_INPUT', message: 'the data does not fit' };

function read(result: Result<PipelineStartOutcome>, count: number, cancelPressed = false) {
  const failed: string[] = [];
  const outcome = queueOutcome(result, count, cancelPressed, (i, e) => failed.push(`${i}: ${e.code}`));
  return { outcome, failed };
}

describe("reading the backend's answer to queueing several pipelines", () => {
  it('counts the started pipelines and reports each failed one by its index', () => {
    const { outcome, failed } = read(
      {
        ok: true,
        value: {
          started: [started(0, 'a'), started(2, 'c')],
          failed: [{ index: 1, error: badInput }],
          cancelled: false,
        },
      },
      3,
    );
    expect(outcome).toEqual({
      queued: 2,
      cancelled: false,
      started: [
        { index: 0, pipelineId: 'a' },
        { index: 2, pipelineId: 'c' },
      ],
    });
    expect(failed).toEqual(['1: BAD_INPUT']);
  });

  it('says Cancel stopped the rest when the backend did', () => {
    const { outcome, failed } = read(
      { ok: true, value: { started: [started(0, 'a')], failed: [], cancelled: true } },
      3,
    );
    expect(outcome).toEqual({ queued: 1, cancelled: true, started: [{ index: 0, pipelineId: 'a' }] });
    expect(failed).toEqual([]);
  });

  it('names which recipes started before a Cancel, also past one whose data failed', () => {
    const { outcome } = read(
      {
        ok: true,
        value: {
          started: [started(1, 'b'), started(2, 'c')],
          failed: [{ index: 0, error: badInput }],
          cancelled: true,
        },
      },
      4,
    );
    expect(outcome.started).toEqual([
      { index: 1, pipelineId: 'b' },
      { index: 2, pipelineId: 'c' },
    ]);
  });

  it('fails every recipe when the request failed as a whole, but reports nothing after a Cancel', () => {
    const down: Result<PipelineStartOutcome> = {
      ok: false,
      error: { code: 'IO', message: 'the connection closed' },
    };
    expect(read(down, 2)).toEqual({
      outcome: { queued: 0, cancelled: false, started: [] },
      failed: ['0: IO', '1: IO'],
    });
    expect(read(down, 2, true)).toEqual({ outcome: { queued: 0, cancelled: true, started: [] }, failed: [] });
  });

  it('names the pipeline being checked, and which of how many', () => {
    expect(checkingTitle(['Quantize: int8', 'Prune: 50%'], 1)).toBe('Prune: 50% (2 of 2)');
    expect(checkingTitle(['Quantize: int8'], 0)).toBe('Quantize: int8');
  });
});
