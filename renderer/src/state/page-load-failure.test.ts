import { describe, expect, it } from 'vitest';
import { pageLoadFailure } from './page-load-failure.js';

describe('pageLoadFailure', () => {
  it('says what each status means for the model the page fetched', () => {
    expect(pageLoadFailure('fp16', 500)).toBe(
      'Could not load fp16 into the page (HTTP 500): the host could not read the file. The terminal running onnx-studio serve says why.',
    );
    expect(pageLoadFailure('fp16', 404)).toMatch(
      /^Could not load fp16 into the page \(HTTP 404\): the host has no such model/,
    );
    expect(pageLoadFailure('original', 401)).toMatch(/no longer accepts this page's token/);
    expect(pageLoadFailure('original', 418)).toBe('Could not load original into the page (HTTP 418).');
  });
});
