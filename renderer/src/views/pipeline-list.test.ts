import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../../shared/workspace.js';
import type { JobRecord } from '../state/studio-state.js';
import {
  failedSteps,
  originalOnlyFailure,
  pipelineHeading,
  pipelineShown,
  rerunOffer,
  stepShown,
} from './pipeline-list.js';

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

describe('a failed pipeline’s heading', () => {
  // A user test: a pipeline whose variant was made, benchmarked and evaluated (✓ ✓ ✓) was headed "failed" alone;
  // the step that failed was the original's evaluation.
  const steps = (original: 'done' | 'failed', variant: 'done' | 'failed') =>
    [
      { kind: 'make', title: 'Quantize: int8-dynamic', status: 'done' },
      { kind: 'bench', title: 'Benchmark original, int8-dynamic', status: 'done' },
      {
        kind: 'evaluate-original',
        title: 'Evaluate original',
        status: original,
        ...(original === 'failed'
          ? { error: { code: 'BAD_REQUEST', message: '15 labels, 20 samples' } }
          : {}),
      },
      { kind: 'evaluate', title: 'Evaluate int8-dynamic', status: variant },
    ] as PipelineRecord['steps'];

  it('says what failed, beside the variant steps that finished', () => {
    const p = { status: 'failed' as const, steps: steps('failed', 'done') };
    expect(pipelineHeading(p, [])).toBe('failed: evaluating the original');
    expect(failedSteps({ steps: steps('failed', 'failed') })).toBe(
      'evaluating the original and evaluating the variant',
    );
    expect(originalOnlyFailure(p)).toMatch(/original's evaluation on this data failed/);
    expect(originalOnlyFailure({ status: 'failed', steps: steps('failed', 'failed') })).toBeUndefined();
  });

  it('stays as it was for a pipeline that did not fail', () => {
    expect(pipelineHeading({ status: 'done', steps: steps('done', 'done') }, [])).toBe('done');
    expect(originalOnlyFailure({ status: 'done', steps: steps('done', 'done') })).toBeUndefined();
  });
});
