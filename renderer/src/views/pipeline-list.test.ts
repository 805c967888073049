import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../../shared/workspace.js';
import type { JobRecord } from '../state/studio-state.js';
import { pipelineShown, rerunOffer, stepShown } from './pipeline-list.js';

const job = (jobId: string, status: JobRecord['status']) => ({ jobId, status }) as JobRecord;

describe('pipeline steps and their jobs', () => {
  it('say queued while the step’s job waits, as the jobs list does, and running once it runs', () => {
    const step = { status: 'running' as const, jobId: 'j2' };
    expect(stepShown(step, [job('j2', 'queued')])).toBe('queued');
    expect(stepShown(step, [job('j2', 'running')])).toBe('running');
    // A job the page has not heard of yet: the backend's word stands.
    expect(stepShown(step, [])).toBe('running');
    expect(stepShown({ status: 'done', jobId: 'j2' }, [job('j2', 'queued')])).toBe('done');
    const p = {
      status: 'running',
      steps: [
        { kind: 'make', title: 'Quantize: int8', status: 'done', jobId: 'j1' },
        { kind: 'bench', title: 'Benchmark', status: 'running', jobId: 'j2' },
      ],
    } as Pick<PipelineRecord, 'status' | 'steps'>;
    expect(pipelineShown(p, [job('j2', 'queued')])).toBe('queued');
    expect(pipelineShown(p, [job('j2', 'running')])).toBe('running');
    expect(pipelineShown({ ...p, status: 'failed' }, [job('j2', 'queued')])).toBe('failed');
  });
});

describe('Run again', () => {
  const failed = (code: string) =>
    ({
      status: 'failed',
      steps: [
        { kind: 'make', title: 'Quantize: int8-dynamic', status: 'done' },
        {
          kind: 'bench',
          title: 'Benchmark',
          status: 'failed',
          error: { code, message: 'onnxruntime cannot load it' },
        },
      ],
    }) as Pick<PipelineRecord, 'status' | 'steps'>;

  it('is offered for a failure that may pass next time, not for a model onnxruntime cannot load', () => {
    expect(rerunOffer(failed('ORT'))).toBe('offer');
    expect(rerunOffer(failed('MODEL_INVALID'))).toBe('unloadable');
    expect(rerunOffer({ ...failed('ORT'), status: 'interrupted' })).toBe('offer');
    expect(rerunOffer({ ...failed('ORT'), status: 'done' })).toBe('none');
  });
});
