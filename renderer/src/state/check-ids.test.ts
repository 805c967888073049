import { describe, expect, it } from 'vitest';
import { isOwnCheck, newCheckId } from './check-ids.js';

describe('check ids', () => {
  it('are new every time, and the page knows its own from those another page load sent', () => {
    const a = newCheckId();
    const b = newCheckId();
    expect(a).not.toBe(b);
    expect(isOwnCheck(a)).toBe(true);
    // The form the page used before (and another page load's mark) is not this page's.
    expect(isOwnCheck('check-lx1-3-abcdefgh')).toBe(false);
    expect(isOwnCheck(a.replace(/^check-[^-]+-/, 'check-zzzzzzzz-'))).toBe(false);
  });
});
