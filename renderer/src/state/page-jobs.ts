/**
 * Jobs of the page itself: browser benchmarks, which run in the page, and requests the backend refused, which
 * the page lists as failed jobs. The backend never heard of them, so a reload (which lists the backend's jobs
 * again) lost them, with the only word of a browser benchmark in which every model failed. They are kept in
 * this tab's sessionStorage, as the open model is (session-model.ts), and listed again after a reload. One that
 * was still running when the page went away ended with it: it comes back cancelled, saying so.
 */
import { isPageJob } from './page-job-id.js';
import { JOB_STATUSES, type JobRecord } from './studio-state.js';

export { isPageJob, pageJobId } from './page-job-id.js';

const KEY = 'onnx-studio.page-jobs';
/** The most kept: the newest, as the jobs list keeps its newest finished jobs. */
const MAX_KEPT = 20;
/** The note of a page job the reload stopped. */
export const STOPPED_BY_RELOAD =
  'Stopped when the page was reloaded or closed: a browser benchmark runs in the page. Run it again.';

function storage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    // Storage may be refused (privacy settings, sandboxed frames): nothing is kept then.
    return undefined;
  }
}

/** What is kept of a job: what the list shows, not its result (a benchmark's report with its samples). */
function kept(job: JobRecord): JobRecord {
  const { result: _result, ...shown } = job;
  return shown;
}

/** Keeps the page's jobs of `jobs` (the newest MAX_KEPT), or forgets them all when there are none. */
export function savePageJobs(jobs: readonly JobRecord[]): void {
  const own = jobs.filter((j) => isPageJob(j.jobId));
  try {
    if (own.length === 0) storage()?.removeItem(KEY);
    else storage()?.setItem(KEY, JSON.stringify(own.slice(-MAX_KEPT).map(kept)));
  } catch {
    // Full or refused storage: a reload loses them, as before.
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A kept job as the list can show it, or undefined for an entry that is not one (damaged, another version). */
function parseJob(value: unknown): JobRecord | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const j = value as Record<string, unknown>;
  const statusOk = (JOB_STATUSES as readonly unknown[]).includes(j.status);
  const fieldsOk =
    isString(j.jobId) &&
    isPageJob(j.jobId) &&
    isString(j.kind) &&
    isString(j.title) &&
    isString(j.modelPath) &&
    Array.isArray(j.targets) &&
    j.targets.every(isString) &&
    isNumber(j.fraction) &&
    isString(j.stage) &&
    isNumber(j.submittedAtMs) &&
    Array.isArray(j.notes) &&
    j.notes.every(isString) &&
    typeof j.cancelRequested === 'boolean' &&
    isNumber(j.lastSeq);
  return statusOk && fieldsOk ? (j as unknown as JobRecord) : undefined;
}

/**
 * The page's jobs from before the reload. A job that was queued or running then is cancelled now (its run was
 * the page's, and went with it), with a note that says so.
 */
export function loadPageJobs(): JobRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage()?.getItem(KEY) ?? '[]');
  } catch {
    storage()?.removeItem(KEY);
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((entry) => {
    const job = parseJob(entry);
    if (!job) return [];
    if (job.status !== 'queued' && job.status !== 'running') return [job];
    const { etaMs: _eta, etaAtMs: _at, ...rest } = job;
    return [{ ...rest, status: 'cancelled', stage: 'stopped', notes: [...rest.notes, STOPPED_BY_RELOAD] }];
  });
}
