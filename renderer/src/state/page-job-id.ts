/**
 * The ids of the page's own jobs (browser benchmarks, requests the backend refused): `page-web-…`, told apart from
 * the backend's by their prefix after a reload (page-jobs.ts) and when serve stops (studio-state.ts), which run
 * on in the page. Apart from page-jobs.ts so the state module can read it without an import cycle.
 */
const PREFIX = 'page-';

let counter = 0;

/** An id for a job of the page (`page-web-…`), which `isPageJob` knows again after a reload. */
export function pageJobId(kind: string): string {
  counter += 1;
  return `${PREFIX}${kind}-${Date.now().toString(36)}-${counter}`;
}

export function isPageJob(jobId: string): boolean {
  return jobId.startsWith(PREFIX);
}
