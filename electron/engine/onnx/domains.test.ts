import { describe, expect, it } from 'vitest';
import { isDefaultDomain, normalizeDomain } from './domains.js';

describe('domains', () => {
  it('spell the default domain either way', () => {
    expect(normalizeDomain('ai.onnx')).toBe('');
    expect(normalizeDomain('com.microsoft')).toBe('com.microsoft');
    expect([isDefaultDomain(''), isDefaultDomain('ai.onnx'), isDefaultDomain('com.microsoft')]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
