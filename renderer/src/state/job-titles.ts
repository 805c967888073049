/**
 * Job titles: one builder for the page and the backend (shared/job-titles.ts), so a job reads the same when
 * the page submits it, when the backend starts it, and after a reload. Titles never show a variant's id.
 */
export {
  benchTitle,
  evaluateTitle,
  exportTitle,
  jobTitle,
  targetLabel,
  workspaceTargetName,
} from '../../../shared/job-titles.js';
