import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../../shared/workspace.js';
import { finishedUnknownJobs, pipelineJobActions, pipelineRequests, pipelineStepTitles } from './pipeline-requests.js';
import { initialState, type StudioState } from './studio-state.js';

describe('pipeline requests', () => {
  it('one pipeline per recipe, with the follow-ups the user ticked', () => {
    const requests = pipelineRequests(
      '/m.onnx',
      [
        { kind: 'quantize', method: 'int8-static', common: {}, options: { calibMethod: 'minmax' }, calibration: { kind: 'npy', path: '/c.npy' } },
        { kind: 'prune', method: 'structured', source: 'v-1', common: { sparsity: 0.3 }, options: {}, name: 'thin' },
      ],
      { bench: { ep: 'cpu', warmup: 5, iterations: 50, profile: true }, evaluate: { kind: 'npy', path: '/x.npy', labels: '/y.npy' } },
    );
    expect(requests).toHaveLength(2);
    expect(requests[0]).toEqual({
      make: { kind: 'quantize', modelPath: '/m.onnx', method: 'int8-static', common: {}, options: { calibMethod: 'minmax' }, calibration: { spec: { kind: 'npy', path: '/c.npy' } } },
      bench: { ep: 'cpu', warmup: 5, iterations: 50, profile: true },
      evaluate: { data: { spec: { kind: 'npy', path: '/x.npy', labels: '/y.npy' } } },
    });
    expect(requests[1]!.make).toMatchObject({ kind: 'prune', source: 'v-1', name: 'thin' });
    expect(pipelineRequests('/m.onnx', [{ kind: 'quantize', method: 'fp16', common: {}, options: {} }])[0]).toEqual({
      make: { kind: 'quantize', modelPath: '/m.onnx', method: 'fp16', common: {}, options: {} },
    });
  });

  it('registers the running jobs of pipelines the page does not know, with live benchmarks', () => {
    const pipeline: PipelineRecord = {
      id: 'p1',
      title: 'Quantize: fp16',
      createdAt: '',
      updatedAt: '',
      status: 'running',
      variant: 'v-9',
      request: { make: { kind: 'quantize', modelPath: '/m.onnx', method: 'fp16' }, bench: { ep: 'cpu' } },
      steps: [
        { kind: 'make', title: 'Quantize: fp16', status: 'done', jobId: 'j1' },
        { kind: 'bench', title: 'Benchmark original + fp16 (onnxruntime-node, cpu)', status: 'running', jobId: 'j2' },
      ],
    };
    const state: StudioState = { ...initialState };
    const actions = pipelineJobActions(state, [pipeline], 5);
    expect(actions).toEqual([
      {
        type: 'job-submitted',
        jobId: 'j2',
        kind: 'bench',
        title: 'Benchmark original + fp16 (onnxruntime-node, cpu)',
        modelPath: '/m.onnx',
        atMs: 5,
        targets: ['original', 'v-9'],
        measurement: { engine: 'onnxruntime-node', provider: 'cpu' },
      },
    ]);
    const known = { ...state, jobs: [{ jobId: 'j2' } as StudioState['jobs'][number]] };
    expect(pipelineJobActions(known, [pipeline], 5)).toEqual([]);
    // The make step ended before the page saw it: its job is fetched from the backend's list.
    expect(finishedUnknownJobs(known, [pipeline])).toEqual(['j1']);
    expect(pipelineStepTitles([pipeline])).toEqual({ j1: 'Quantize: fp16', j2: 'Benchmark original + fp16 (onnxruntime-node, cpu)' });
  });

  it("registers a pipeline's evaluations with the model each evaluates", () => {
    const pipeline = (step: 'evaluate-original' | 'evaluate'): PipelineRecord => ({
      id: 'p2',
      title: 'Quantize: int8-dynamic',
      createdAt: '',
      updatedAt: '',
      status: 'running',
      variant: 'v-3',
      request: { make: { kind: 'quantize', modelPath: '/m.onnx', method: 'int8-dynamic' }, evaluate: { data: { spec: { kind: 'synthetic' } } } },
      steps: [{ kind: step, title: 'Evaluate', status: 'running', jobId: 'e' }],
    });
    const state: StudioState = { ...initialState };
    expect(pipelineJobActions(state, [pipeline('evaluate-original')], 5)).toMatchObject([{ kind: 'evaluate', targets: ['original'] }]);
    expect(pipelineJobActions(state, [pipeline('evaluate')], 5)).toMatchObject([{ kind: 'evaluate', targets: ['v-3'] }]);
  });
});
