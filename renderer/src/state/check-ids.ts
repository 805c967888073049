/**
 * The ids this page gives its data checks (`checkId` of `studio:dataset.check` and `studio:pipeline.start`).
 * Each carries a mark of this page load, so the page tells its own checks from those the workspace lists as in
 * flight (`Workspace.startsInFlight`) that another tab sent, or this tab before a reload: those it shows with a
 * Cancel of their own, its own it already shows beside the button that started them.
 */

/** Random per page load: a reload makes a new one, so the checks sent before it are no longer this page's. */
const PAGE_MARK = Math.random().toString(36).slice(2, 10);
let counter = 0;

export function newCheckId(): string {
  counter += 1;
  return `check-${PAGE_MARK}-${Date.now().toString(36)}-${counter}`;
}

/** Whether this page load sent the check with this id. */
export function isOwnCheck(checkId: string): boolean {
  return checkId.startsWith(`check-${PAGE_MARK}-`);
}
