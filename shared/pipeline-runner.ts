/**
 * Runs pipelines: make a variant, then benchmark and evaluate it, one job after the other, keeping the
 * pipeline's state in the workspace so that a reloaded page, or an app started again, sees where it is. The
 * backend runs it over its job manager and workspace store; the mock host over its simulated jobs: the same
 * decisions in both (which steps run, what is skipped and why, what an interruption means).
 */
import { ERROR_CODES, type ErrorCode, type StudioErrorInfo } from './errors.js';
import type {
  DatasetCheckReport,
  DatasetCheckRequest,
  JobSpec,
  PipelineRequest,
  PipelineStartOutcome,
} from './ipc-contract.js';
import { pipelineRequestSchema } from './ipc-contract.js';
import type { DatasetSpecInput } from './dataset-spec.js';
import { measuresNothingAlone } from './own-ids.js';
import type {
  PipelineRecord,
  PipelineStartInFlight,
  PipelineStepKind,
  PipelineStepRecord,
  Workspace,
} from './workspace.js';
import { defaultVariantName } from './variant-naming.js';
import { benchTitle, evaluateTitle, makeStepTitle, workspaceTargetName } from './job-titles.js';
import { interruptedPipeline, interruptedStep, NOT_RUN_WHILE_CLOSING } from './pipeline-interruption.js';

export { makeStepTitle };
import { ORIGINAL_TARGET } from './workspace.js';

export type PipelineJobOutcome =
  | { status: 'done'; result: unknown }
  | { status: 'failed'; error: StudioErrorInfo }
  | { status: 'cancelled' };

/** What the runner needs from its host. */
export interface PipelineHost {
  /** Queues a job; `done` settles when it ends. Throws (a StudioError or `{code, message}`) when refused. */
  startJob(spec: JobSpec, title?: string): { jobId: string; done: Promise<PipelineJobOutcome> };
  /** Applies `mutate` to the workspace and saves it (the host tells the pages it changed). */
  update(modelPath: string, mutate: (ws: Workspace) => void): Promise<void>;
  newId(): string;
  now(): string;
  /**
   * The `studio:pipeline.start`s in flight of this model changed (one began, went on to its next pipeline, or
   * ended): the host tells the pages as it tells them of a workspace change, since `startsInFlight` is part of
   * what they read with the workspace.
   */
  startsChanged?(modelPath: string): void;
}

/** A `startChecked` under a `checkId`, while it runs (`PipelineRunner.startsInFlight`). */
interface StartEntry {
  checkId: string;
  requests: readonly PipelineRequest[];
  item: number;
  started: number;
  failed: number;
}


/**
 * The titles of a pipeline's steps. Its benchmark and evaluation name the variant: `madeName`, its name in the
 * workspace once it is made (the workspace makes names unique: the second int8-dynamic is `int8-dynamic (2)`,
 * and a prune's name says what it reached), else the name it is asked for, or the default one, named after its
 * parent too ("int8-dynamic + fp16").
 */
function stepTitles(
  request: PipelineRequest,
  sourceName?: string,
  madeName?: string,
): { kind: PipelineStepKind; title: string }[] {
  const made = madeName ?? request.make.name ?? defaultVariantName(request.make, sourceName);
  const steps: { kind: PipelineStepKind; title: string }[] = [
    { kind: 'make', title: makeStepTitle(request.make, sourceName) },
  ];
  if (request.bench) {
    steps.push({ kind: 'bench', title: benchTitle([ORIGINAL_TARGET, made], request.bench.ep) });
  }
  if (request.evaluate) {
    steps.push({ kind: 'evaluate-original', title: evaluateTitle(ORIGINAL_TARGET) });
    steps.push({ kind: 'evaluate', title: evaluateTitle(made) });
  }
  return steps;
}

/** The title a pipeline gets when it starts (its request's, else its first step's), `ws` naming its source. */
function pipelineTitle(request: PipelineRequest, ws: Workspace): string {
  if (request.title) return request.title;
  return stepTitles(request, sourceName(request, ws))[0]!.title;
}

/** The name of the variant a pipeline's recipe starts from, in `ws`; undefined for the original. */
function sourceName(request: PipelineRequest, ws: Workspace): string | undefined {
  return request.make.source ? ws.variants.find((v) => v.id === request.make.source)?.name : undefined;
}

/**
 * The pipeline's steps after its make step, titled with the name its variant has in `ws` (unchanged while it has
 * none: not made yet, or removed since), so its benchmark and evaluation, and their jobs, name the variant made.
 */
function titledWithVariant(
  record: PipelineRecord,
  request: PipelineRequest,
  ws: Workspace,
): PipelineStepRecord[] {
  const name = record.variant ? workspaceTargetName(ws, record.variant) : undefined;
  if (name === undefined) return record.steps;
  const titles = stepTitles(request, sourceName(request, ws), name);
  return record.steps.map((s) => {
    const title = s.kind === 'make' ? undefined : titles.find((t) => t.kind === s.kind)?.title;
    return title === undefined || title === s.title ? s : { ...s, title };
  });
}

/**
 * The data check `studio:pipeline.start` runs before any step (one message, nothing half-run): the calibration
 * data against the model the recipe starts from, then the evaluation data against the original, through the
 * host's `check` (the backend's runs in a task process, under the request's `checkId`; the mock's is simulated).
 * Throws the first problem; answers whether the evaluation data has labels (the spec of an .npz cannot say).
 */
export async function checkPipelineData(
  request: PipelineRequest,
  check: (request: DatasetCheckRequest) => Promise<DatasetCheckReport>,
): Promise<{ evaluationUnlabelled?: boolean }> {
  const modelPath = request.make.modelPath;
  const source = request.make.source;
  if (request.make.kind === 'quantize' && request.make.calibration) {
    await check({ modelPath, role: 'calibration', data: request.make.calibration, ...(source ? { target: source } : {}) });
  }
  if (!request.evaluate) return {};
  const report = await check({ modelPath, role: 'evaluation', data: request.evaluate.data });
  return report.hasLabels || report.ownIds ? {} : { evaluationUnlabelled: true };
}

function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Why the original needs no evaluation of its own on this data, or undefined when it does. Its evaluation is
 * the accuracy baseline: data without labels has none (the variant is compared with it by fidelity instead),
 * and one evaluation per dataset serves every pipeline of the workspace, also one still running.
 */
export function originalEvaluationNotNeeded(
  ws: Workspace,
  data: { spec: DatasetSpecInput } | undefined,
  except: string,
  /** The host's data check found no labels in the data (a spec alone cannot say so of an .npz or JSON lines). */
  unlabelled = false,
): string | undefined {
  // A language model's real ids grade it without labels (shared/own-ids.ts): the original's figures are its baseline.
  if (data && (unlabelled || measuresNothingAlone(data.spec, ws.model.summary))) {
    return 'Not needed: the data has no labels, so the variant is compared with the original by fidelity.';
  }
  for (const p of ws.pipelines ?? []) {
    if (p.id === except) continue;
    const other = pipelineRequestSchema.safeParse(p.request);
    if (!other.success || !sameData(other.data.evaluate?.data, data)) continue;
    const step = p.steps.find((s) => s.kind === 'evaluate-original');
    if (step?.status === 'done') return 'The original was already evaluated on this data.';
    if (step?.status === 'running') return 'Another pipeline is evaluating the original on this data.';
  }
  return undefined;
}

function jobFor(kind: PipelineStepKind, request: PipelineRequest, variant: string): JobSpec {
  const modelPath = request.make.modelPath;
  switch (kind) {
    case 'make':
      return request.make;
    case 'bench':
      return { kind: 'bench', modelPath, targets: [ORIGINAL_TARGET, variant], ...request.bench };
    case 'evaluate-original':
      return { kind: 'evaluate', modelPath, target: ORIGINAL_TARGET, data: request.evaluate!.data };
    case 'evaluate':
      return { kind: 'evaluate', modelPath, target: variant, data: request.evaluate!.data, reference: ORIGINAL_TARGET };
  }
}

function errorInfo(error: unknown): { code: string; message: string } {
  if (error && typeof error === 'object' && 'message' in error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'INTERNAL';
    return { code, message: String((error as { message: unknown }).message) };
  }
  return { code: 'INTERNAL', message: String(error) };
}

/** A thrown error as the page reads it: its code where it is one of ours, else INTERNAL. */
function studioErrorOf(error: unknown): StudioErrorInfo {
  const { code, message } = errorInfo(error);
  const known = (ERROR_CODES as readonly string[]).includes(code);
  return { code: known ? (code as ErrorCode) : 'INTERNAL', message };
}

/** A request the runner refuses (the user's mistake, e.g. re-running a pipeline that is running): BAD_REQUEST. */
export class PipelineRefusal extends Error {
  readonly code = 'BAD_REQUEST';
}

/** Why a step was not run, by what stopped its pipeline. */
const SKIPPED_BECAUSE = {
  failed: 'Not run: an earlier step failed.',
  cancelled: 'Not run: an earlier step was cancelled.',
  stopped: NOT_RUN_WHILE_CLOSING,
} as const;

export class PipelineRunner {
  /** Pipelines running in this process (any other marked running was cut off by a restart). */
  private readonly live = new Map<string, Promise<void>>();
  /** Set by stopAll: no pipeline claims another step. */
  private stopping = false;
  /** `startChecked`s under a `checkId` still checking or starting their pipelines. */
  private readonly starts = new Set<StartEntry>();

  constructor(private readonly host: PipelineHost) {}

  /**
   * `studio:pipeline.start`: the pipelines in order, each after its data check (`checkPipelineData` through the
   * host's `check`, told which pipeline it checks for). One whose check or start fails is reported and the next
   * goes on; a cancelled check, or `aborted()` after a check ended and before its pipeline started, stops the
   * rest, which are not started. Under a `checkId` (the one that cancels its checks), it is listed by
   * `startsInFlight` until it ends, so a page that did not send it (reloaded meanwhile) sees it and can cancel it.
   */
  async startChecked(
    requests: readonly PipelineRequest[],
    check: (request: DatasetCheckRequest, item: number) => Promise<DatasetCheckReport>,
    aborted: () => boolean,
    checkId?: string,
  ): Promise<PipelineStartOutcome> {
    const outcome: PipelineStartOutcome = { started: [], failed: [], cancelled: false };
    const cancelled = () => ({ ...outcome, cancelled: true });
    const entry: StartEntry | undefined =
      checkId === undefined ? undefined : { checkId, requests, item: 0, started: 0, failed: 0 };
    const models = [...new Set(requests.map((r) => r.make.modelPath))];
    const changed = () => {
      if (entry) for (const model of models) this.host.startsChanged?.(model);
    };
    const at = (item: number) => {
      if (!entry) return;
      Object.assign(entry, { item, started: outcome.started.length, failed: outcome.failed.length });
      changed();
    };
    if (entry) this.starts.add(entry);
    try {
      for (const [index, request] of requests.entries()) {
        if (aborted()) return cancelled();
        at(index);
        let facts: Awaited<ReturnType<typeof checkPipelineData>>;
        try {
          facts = await checkPipelineData(request, (r) => check(r, index));
        } catch (error) {
          const info = studioErrorOf(error);
          if (info.code === 'CANCELLED') return cancelled();
          outcome.failed.push({ index, error: info });
          continue;
        }
        if (aborted() || this.stopping) return cancelled();
        try {
          outcome.started.push({ index, pipeline: await this.start(request, facts) });
        } catch (error) {
          outcome.failed.push({ index, error: studioErrorOf(error) });
        }
      }
      return outcome;
    } finally {
      if (entry) {
        this.starts.delete(entry);
        changed();
      }
    }
  }

  /**
   * The `startChecked`s under a `checkId` still running for this workspace's model, its pipelines named as they
   * will be when they start: what `studio:workspace.get` adds as `startsInFlight`. `sameModel`: whether two
   * paths name one model (the backend's rule is its workspace key's: resolved, and case-blind where the file
   * system is).
   */
  startsInFlight(
    ws: Workspace,
    sameModel: (a: string, b: string) => boolean = (a, b) => a === b,
  ): PipelineStartInFlight[] {
    return [...this.starts]
      .filter((e) => e.requests.some((r) => sameModel(r.make.modelPath, ws.model.path)))
      .map((e) => ({
        checkId: e.checkId,
        titles: e.requests.map((r) => pipelineTitle(r, ws)),
        item: e.item,
        started: e.started,
        failed: e.failed,
      }));
  }

  /**
   * Records the pipeline and starts its first step; the returned record is its state at the start. `facts`: what
   * the host's data check found (`checkPipelineData`).
   */
  async start(request: PipelineRequest, facts: { evaluationUnlabelled?: boolean } = {}): Promise<PipelineRecord> {
    const now = this.host.now();
    let record: PipelineRecord | undefined;
    await this.host.update(request.make.modelPath, (ws) => {
      const steps = stepTitles(request, sourceName(request, ws));
      record = {
        id: this.host.newId(),
        title: pipelineTitle(request, ws),
        createdAt: now,
        updatedAt: now,
        status: 'running',
        request,
        steps: steps.map((s) => ({ ...s, status: 'pending' })),
        ...(facts.evaluationUnlabelled ? { evaluationUnlabelled: true } : {}),
      };
      ws.pipelines = [...(ws.pipelines ?? []), record];
    });
    // A copy: the record in the workspace changes as soon as the first step is claimed.
    const started = structuredClone(record!);
    this.launch(request, started.id);
    return started;
  }

  /** Runs a pipeline that is not running again, from its first step that did not finish. */
  async rerun(ws: Workspace, pipelineId: string): Promise<PipelineRecord> {
    const record = ws.pipelines?.find((p) => p.id === pipelineId);
    if (!record) throw new PipelineRefusal(`There is no pipeline '${pipelineId}' in this workspace. Reload it.`);
    if (this.live.has(pipelineId)) throw new PipelineRefusal('That pipeline is still running.');
    const parsed = pipelineRequestSchema.safeParse(record.request);
    if (!parsed.success) throw new PipelineRefusal('That pipeline was recorded in a form this version cannot run.');
    if (record.steps.every((s) => s.status === 'done' || s.status === 'skipped')) {
      throw new PipelineRefusal('Every step of that pipeline finished: there is nothing to run again.');
    }
    const reset = (steps: PipelineStepRecord[]): PipelineStepRecord[] =>
      steps.map((s) => (s.status === 'done' ? s : { kind: s.kind, title: s.title, status: 'pending' }));
    const next: PipelineRecord = { ...record, status: 'running', updatedAt: this.host.now(), steps: reset(record.steps) };
    await this.host.update(ws.model.path, (w) => {
      w.pipelines = (w.pipelines ?? []).map((p) => (p.id === pipelineId ? next : p));
    });
    const restarted = structuredClone(next);
    this.launch(parsed.data, pipelineId);
    return restarted;
  }

  /**
   * Marks pipelines that say they are running but are not running here as interrupted (the app or `serve`
   * stopped under them). Returns whether anything changed (the host then saves the workspace).
   */
  reconcile(ws: Workspace): boolean {
    let changed = false;
    if (!ws.pipelines) return false;
    ws.pipelines = ws.pipelines.map((p) => {
      if (p.status !== 'running' || this.live.has(p.id)) return p;
      changed = true;
      return interruptedPipeline(p, 'cut off');
    });
    return changed;
  }

  /**
   * Stops every pipeline running here before its next step, for shutdown: cancelling the jobs alone misses a
   * pipeline between two steps (its job ended, the next one not queued yet), which would queue that step after
   * the cancel. The caller cancels the running jobs; their pipelines end interrupted (nobody cancelled them: Run
   * again finishes them), their running step saying ONNX Studio stopped it while closing, and so do those between
   * steps. Resolves when every pipeline running here has ended.
   */
  stopAll(): Promise<void> {
    this.stopping = true;
    return Promise.all([...this.live.values()]).then(() => undefined);
  }

  /** Settles when the pipeline's run in this process ends (for tests and shutdown). */
  whenSettled(pipelineId: string): Promise<void> {
    return this.live.get(pipelineId) ?? Promise.resolve();
  }

  private launch(request: PipelineRequest, id: string): void {
    const run = this.run(request, id).finally(() => this.live.delete(id));
    this.live.set(id, run);
  }

  private async patch(
    modelPath: string,
    id: string,
    change: (p: PipelineRecord, ws: Workspace) => void,
  ): Promise<PipelineRecord | undefined> {
    let found: PipelineRecord | undefined;
    await this.host.update(modelPath, (ws) => {
      found = ws.pipelines?.find((p) => p.id === id);
      if (!found) return;
      change(found, ws);
      found.updatedAt = this.host.now();
    });
    return found;
  }

  private async run(request: PipelineRequest, id: string): Promise<void> {
    const modelPath = request.make.modelPath;
    let stop: 'cancelled' | 'failed' | 'stopped' | undefined;
    let anyFailed = false;
    for (let index = 0; ; index++) {
      let record: PipelineRecord | undefined;
      let claimed = false;
      // Decide and claim the step in one update, so two pipelines never both start the original's baseline.
      await this.host.update(modelPath, (ws) => {
        record = ws.pipelines?.find((p) => p.id === id);
        const step = record?.steps[index];
        if (!record || !step || step.status !== 'pending') return;
        const skip = (note: string) => {
          record!.steps[index] = { ...step, status: 'skipped', note };
          record!.updatedAt = this.host.now();
        };
        if (this.stopping && !stop) stop = 'stopped';
        if (stop) return skip(SKIPPED_BECAUSE[stop]);
        if (step.kind !== 'make' && !record.variant) {
          stop = 'failed';
          return skip('Not run: no variant was made.');
        }
        const notNeeded = step.kind === 'evaluate-original' ? originalEvaluationNotNeeded(ws, request.evaluate?.data, id, record.evaluationUnlabelled) : undefined;
        if (notNeeded) return skip(notNeeded);
        // Named as the variant is called now (a rerun after a rename): the step's job gets this title.
        record.steps[index] = { ...titledWithVariant(record, request, ws)[index]!, status: 'running' };
        record.updatedAt = this.host.now();
        claimed = true;
      });
      const step = record?.steps[index];
      if (!record || !step) break;
      if (!claimed) continue;
      // Claimed before stopAll, but the claim's save may have outlasted the cancel of every job: not started now.
      if (this.stopping) {
        stop = 'stopped';
        await this.patch(modelPath, id, (p) => {
          p.steps[index] = { ...p.steps[index]!, status: 'skipped', note: SKIPPED_BECAUSE.stopped };
        });
        continue;
      }
      let outcome: PipelineJobOutcome;
      try {
        const job = this.host.startJob(jobFor(step.kind, request, record.variant ?? ''), step.title);
        await this.patch(modelPath, id, (p) => {
          p.steps[index] = { ...p.steps[index]!, jobId: job.jobId };
        });
        outcome = await job.done;
      } catch (error) {
        outcome = { status: 'failed', error: errorInfo(error) as StudioErrorInfo };
      }
      // A job cancelled once stopAll was called was cancelled by the shutdown, not by the user.
      const closing = outcome.status === 'cancelled' && this.stopping;
      await this.patch(modelPath, id, (p, ws) => {
        const s = p.steps[index]!;
        if (outcome.status === 'done') {
          const recordId = (outcome.result as { recordId?: unknown } | undefined)?.recordId;
          p.steps[index] = { ...s, status: 'done', ...(typeof recordId === 'string' ? { recordId } : {}) };
          const variant = (outcome.result as { variant?: { id?: unknown } } | undefined)?.variant?.id;
          if (step.kind === 'make' && typeof variant === 'string') {
            p.variant = variant;
            // The later steps name the variant as the workspace named it (`int8-dynamic (2)`).
            p.steps = titledWithVariant(p, request, ws);
          }
        } else if (outcome.status === 'failed') {
          p.steps[index] = { ...s, status: 'failed', error: { code: outcome.error.code, message: outcome.error.message } };
        } else if (closing) {
          p.steps[index] = interruptedStep({ ...s, status: 'running' }, 'closing');
        } else {
          p.steps[index] = { ...s, status: 'cancelled' };
        }
      });
      if (outcome.status === 'cancelled') stop = closing ? 'stopped' : 'cancelled';
      if (outcome.status === 'failed') {
        anyFailed = true;
        // Without a variant nothing after can run; a failed measurement does not stop the other one.
        if (step.kind === 'make') stop = 'failed';
      }
    }
    await this.patch(modelPath, id, (p) => {
      p.status =
        stop === 'stopped'
          ? 'interrupted'
          : stop === 'cancelled'
            ? 'cancelled'
            : stop === 'failed' || anyFailed
              ? 'failed'
              : 'done';
    });
  }
}
