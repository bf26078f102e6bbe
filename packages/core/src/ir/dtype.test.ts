import { describe, expect, it } from 'vitest';
import { allocTyped } from '../index.js';

describe('allocTyped', () => {
  it('names an unknown dtype and the known ones', () => {
    expect(allocTyped('int32', 2)).toBeInstanceOf(Int32Array);
    expect(() => allocTyped('float16' as never, 2)).toThrow("allocTyped: unknown dtype 'float16' (use float32, float64, int32 or bool)");
  });
});
