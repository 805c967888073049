/**
 * The jobs list and status bar against two user-test findings: an export that asked before replacing a file
 * (and wrote nothing) read "Done", and after onnx-studio serve was stopped mid-job the page kept a running job
 * with its countdown and Cancel while the banner said serve had cancelled it.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { JobEvent, JobInfo, JobSpec } from '../../../shared/ipc-contract.js';
import { interruptedJobNote } from '../../../shared/pipeline-interruption.js';
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

describe('the Jobs button', () => {
  it("is there before any job: earlier runs' jobs (the job history) are listed behind it", () => {
    // It appeared only once a job existed, so a user looking for last run's jobs had no way in.
    const html = bar(opened);
    expect(html).toContain('data-testid="status-jobs"');
    expect(html).toContain('Jobs: none yet');
  });
});

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
    expect(bar(asked)).toContain('Jobs: none yet');
    expect(bar(asked)).not.toContain(TITLE);
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
    expect(job).toMatchObject({ status: 'cancelled', interrupted: 'closing', finishedAtMs: 9000 });
    expect(job.etaMs).toBeUndefined();
    const html = list(stopped);
    expect(html).toContain('>Interrupted<');
    expect(html).toContain('Interrupted at 21%');
    expect(html).toContain('ONNX Studio was closing (the app quit, or onnx-studio serve was stopped)');
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

describe('the jobs of an earlier run of serve (its job history), after a restart and a reload', () => {
  const spec = { kind: 'bench', modelPath: MODEL_PATH, targets: ['original'] } as JobSpec;
  const info = (jobId: string, terminal: JobInfo['terminal'], fraction: number): JobInfo => ({
    jobId,
    spec,
    state: terminal?.type === 'result' ? 'succeeded' : 'cancelled',
    createdAt: 1000,
    startedAt: 1100,
    // A job found cut off never ended: when, is not known.
    ...(terminal?.type === 'cancelled' && terminal.interrupted === 'cut off' ? {} : { endedAt: 5100 }),
    lastSeq: 3,
    progress: { fraction, stage: 'measuring' },
    title: `Benchmark ${jobId}`,
    ...(terminal ? { terminal } : {}),
  });
  const synced = run(opened, {
    type: 'jobs-synced',
    jobs: [
      info(
        'closed',
        { type: 'cancelled', interrupted: 'closing', jobId: 'closed', seq: 3, timeMs: 5100 },
        0.4,
      ),
      info('killed', { type: 'cancelled', interrupted: 'cut off', jobId: 'killed', seq: 3, timeMs: 9000 }, 0),
      info('done', { type: 'result', result: null, jobId: 'done', seq: 3, timeMs: 5100 }, 1),
    ],
    titles: {},
  });

  it('lists the jobs serve stopped under as interrupted, saying why, not as cancelled by someone', () => {
    const html = list(synced);
    expect(synced.jobs.map((j) => [j.jobId, j.status, j.interrupted])).toEqual([
      ['closed', 'cancelled', 'closing'],
      ['killed', 'cancelled', 'cut off'],
      ['done', 'done', undefined],
    ]);
    expect(html.match(/class="badge badge-cancelled">Interrupted</g)).toHaveLength(2);
    expect(html).not.toContain('>Cancelled<');
    expect(html).toContain('Interrupted at 40%, after 4 s');
    expect(html).toContain(interruptedJobNote('closing'));
    // How far the killed one got is not known (nor when it ended): not "at 0%", nor "after 2 days".
    expect(html).toContain('<span>Interrupted</span>');
    expect(html).not.toContain('Interrupted at 0%');
    expect(html).toContain(interruptedJobNote('cut off'));
    expect(bar(synced)).toContain('Jobs: 1 finished · 2 interrupted');
  });
});
