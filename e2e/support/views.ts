/** Helpers the end-to-end specs share to look at the app's views. */
import type { Locator, Page } from '@playwright/test';
import { SCREENSHOT_DIR } from './page-errors.js';

/** The view on screen (hidden tab panels, such as a kept Optimize, are left out). */
export function shown(page: Page): Locator {
  return page.locator('[role="tabpanel"]:not([hidden])');
}

/** The two window sizes every changed view is looked at in. */
export const SCREENSHOT_SIZES = [
  [1440, 900],
  [1024, 700],
] as const;

/**
 * Screenshots at both sizes into out/e2e/screenshots/NAME-WIDTH.png: of `selector` when given, else of the
 * whole page. The viewport is set back to `restore` afterwards.
 */
export async function screenshotAtTwoSizes(
  page: Page,
  name: string,
  options: { selector?: string; restore: { width: number; height: number } },
): Promise<void> {
  for (const [width, height] of SCREENSHOT_SIZES) {
    await page.setViewportSize({ width, height });
    const path = `${SCREENSHOT_DIR}${name}-${width}.png`;
    if (options.selector) await page.locator(options.selector).screenshot({ path });
    else await page.screenshot({ path, fullPage: true });
  }
  await page.setViewportSize(options.restore);
}
