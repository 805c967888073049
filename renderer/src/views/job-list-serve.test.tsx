/**
 * The jobs list and status bar against two user-test findings: an export that asked before replacing a file
 * (and wrote nothing) read "Done", and after onnx-studio serve was stopped mid-job the page kept a running job
 * with its countdown and Cancel while the banner said serve had cancelled it.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../shared/ipc-contract.js';
import type { PipelineRecord } from '../../../shared/workspace.js';
import {
  initialState,
  serveStopKind,
  studioReducer,
  type StudioAction,
  type StudioState,
} from '../state/studio-state.js';
import { events, MODEL_PATH, SUMMARY, workspace } from '../state/test-fixtures.js';
import { JobList } from './job-list.js';
import { JobStatusBar } from './job-status-bar.js';
import { PipelineList } from './pipeline-list.js';

function run(state: StudioState, ...actions: StudioAction[]): StudioState {
  return actions.reduce(studioReducer, state);
}

const submitted = (jobId: string, kind: 'export' | 'bench', title: string, atMs = 1000): StudioAction => ({
  type: 'job-submitted',
  jobId,
  kind,
  title,
  modelPath: MODEL_PATH,
  atMs,
});

const happened = (...list: JobEvent[]): StudioAction => ({ type: 'job-events', events: list });

const list = (state: StudioState) =>
  renderToStaticMarkup(<JobList jobs={state.jobs} onCancel={() => {}} onClear={() => {}} />);
const bar = (state: StudioState) =>
  renderToStaticMarkup(<JobStatusBar jobs={state.jobs} onCancel={() => {}} onClear={() => {}} />);

const TITLE = 'Export magnitude 30% to …/a/exp/cnn-int8.onnx';
const opened = run(initialState, { type: 'model-opened', summary: SUMMARY, workspace: workspace() });

describe('an export that asked before replacing a file', () => {
  const asked = run(
    opened,
    submitted('e1', 'export', TITLE),
    happened(
      ...events(
        'e1',
        { type: 'progress', fraction: 0.1, stage: 'checking' },
        { type: 'result', result: { written: false, reason: 'exists', path: '/a/exp/cnn-int8.onnx' } },
      ),
    ),
  );

  it('is not listed as done after "Keep it": nothing was written', () => {
    expect(asked.jobs[0]).toMatchObject({ status: 'done' });
    expect(list(asked)).not.toContain(TITLE);
    expect(list(asked)).toContain('No jobs yet');
    expect(bar(asked)).toBe('');
  });

  it('after "Replace", only the export that wrote the file is listed, once', () => {
    const replaced = run(
      asked,
      submitted('e2', 'export', TITLE, 2000),
      happened(
        ...events('e2', {
          type: 'result',
          result: { written: true, path: '/a/exp/cnn-int8.onnx', bytes: 10, cliCommand: '' },
        }),
      ),
    );
    expect(list(replaced).split('data-testid="job"').length - 1).toBe(1);
    expect(list(replaced)).toContain('data-status="done"');
    expect(bar(replaced)).toContain('Jobs: 1 finished');
  });

  it('does not make good an earlier failed export to that file', () => {
    const failed = run(
      opened,
      submitted('e0', 'export', TITLE, 500),
      happened(...events('e0', { type: 'failed', error: { code: 'IO', message: 'disk full' } })),
      submitted('e1', 'export', TITLE),
      happened(
        ...events('e1', {
          type: 'result',
          result: { written: false, reason: 'exists', path: '/a/exp/cnn-int8.onnx' },
        }),
      ),
    );
    expect(bar(failed)).toContain('Jobs: 1 failed');
  });
});

describe('onnx-studio serve stopped while a job ran', () => {
  const pipeline: PipelineRecord = {
    id: 'p1',
    title: 'Quantize: int8-static on calib.npy',
    createdAt: '',
    updatedAt: '',
    status: 'running',
    request: {},
    variant: 'v-1',
    steps: [
      { kind: 'make', title: 'Quantize: int8-static on calib.npy', status: 'done', jobId: 'm1' },
      {
        kind: 'bench',
        title: 'Benchmark original, int8-static (onnxruntime-node, cpu)',
        status: 'running',
        jobId: 'b1',
      },
      { kind: 'evaluate', title: 'Evaluate int8-static', status: 'pending' },
    ],
  };
  const running = run(
    initialState,
    { type: 'model-opened', summary: SUMMARY, workspace: { ...workspace(), pipelines: [pipeline] } },
    submitted('b1', 'bench', pipeline.steps[1]!.title),
    happened(...events('b1', { type: 'progress', fraction: 0.21, stage: 'calibrating', etaMs: 44_000 })),
    { type: 'job-submitted', ...submittedWeb() },
  );

  function submittedWeb() {
    return {
      jobId: 'page-web-1',
      kind: 'web-bench' as const,
      title: 'Browser benchmark original (onnxruntime-web, wasm)',
      modelPath: MODEL_PATH,
      atMs: 1000,
    };
  }

  it('ends the jobs serve ran, as the banner says, and leaves the page’s own browser benchmark running', () => {
    expect(bar(running)).toContain('Jobs: 1 running · 1 queued');
    const stopped = run(running, { type: 'serve-stopped', how: 'closing', atMs: 9000 });
    const job = stopped.jobs.find((j) => j.jobId === 'b1')!;
    expect(job).toMatchObject({ status: 'cancelled', stoppedWithServe: true, finishedAtMs: 9000 });
    expect(job.etaMs).toBeUndefined();
    const html = list(stopped);
    expect(html).toContain('Cancelled when onnx-studio serve stopped, at 21%');
    expect(html).not.toContain('about 44 s left');
    expect(html).not.toContain('Cancel Benchmark');
    expect(stopped.jobs.find((j) => j.jobId === 'page-web-1')?.status).toBe('queued');
    expect(bar(stopped)).toContain('Jobs: 1 queued');
  });

  it('shows the pipeline interrupted by the stop, as serve records it, not cancelled', () => {
    const stopped = run(running, { type: 'serve-stopped', how: 'closing', atMs: 9000 });
    const p = stopped.workspace!.pipelines![0]!;
    expect(p.status).toBe('interrupted');
    expect(p.steps.map((s) => s.status)).toEqual(['done', 'interrupted', 'skipped']);
    const html = renderToStaticMarkup(
      <PipelineList pipelines={stopped.workspace!.pipelines!} jobs={stopped.jobs} onRerun={() => {}} />,
    );
    expect(html).toContain('>interrupted<');
    expect(html).toContain('ONNX Studio was closing (the app quit, or onnx-studio serve was stopped)');
    expect(html).toContain('Run again');
    // Said again (serve keeps refusing the reconnects), nothing changes.
    expect(run(stopped, { type: 'serve-stopped', how: 'cut off', atMs: 12_000 })).toEqual(stopped);
  });

  it('is told by the connection: serve said it stops, or came back restarted; not a dropped connection', () => {
    expect(serveStopKind('stopped')).toBe('closing');
    expect(serveStopKind('expired')).toBe('cut off');
    expect(serveStopKind('outdated')).toBe('cut off');
    // The jobs may still run there (the banner says so), and after a reconnect the page lists them again.
    expect(serveStopKind('reconnecting')).toBeUndefined();
    expect(serveStopKind('connected')).toBeUndefined();
  });
});
