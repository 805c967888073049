/** Fails a test on any console error, uncaught exception or failed request in the page (a CSP violation is one). */
import { expect, test, type Page } from '@playwright/test';

export function watchPageErrors(page: Page, allow: RegExp[] = []): () => void {
  const errors: string[] = [];
  const keep = (text: string) => {
    if (!allow.some((re) => re.test(text))) errors.push(text);
  };
  page.on('console', (message) => {
    if (message.type() === 'error') keep(message.text());
  });
  page.on('pageerror', (error) => keep(error.message));
  // The console only says "404"; this says which file was missing.
  page.on('response', (response) => {
    if (response.status() >= 400) keep(`${response.status()} ${response.url()}`);
  });
  return () => expect(errors, 'errors in the page').toEqual([]);
}

/** Where screenshots go: kept as artifacts of the run. */
export const SCREENSHOT_DIR = new URL('../../out/e2e/screenshots/', import.meta.url).pathname;

/**
 * Fails every test of the calling spec file on errors in its page (registers the hooks). A test that expects
 * errors calls `watch(page, allow)` again with what to allow, or `waive()` when an error is its point.
 */
export function failOnPageErrors(): { watch(page: Page, allow?: RegExp[]): void; waive(): void } {
  let check: () => void = () => {};
  test.beforeEach(({ page }) => {
    check = watchPageErrors(page);
  });
  test.afterEach(() => check());
  return {
    watch: (page, allow = []) => {
      check = watchPageErrors(page, allow);
    },
    waive: () => {
      check = () => {};
    },
  };
}
