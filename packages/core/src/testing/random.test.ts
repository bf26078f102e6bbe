import { describe, expect, it } from 'vitest';
import { relativeError } from './reference.js';

describe('relativeError', () => {
  it('compares arrays of one length only', () => {
    expect(relativeError([1, 2], [1, 2])).toBe(0);
    expect(() => relativeError([1, 2, 3], [1, 2])).toThrow('relativeError: lengths differ (3 vs 2)');
  });
});
