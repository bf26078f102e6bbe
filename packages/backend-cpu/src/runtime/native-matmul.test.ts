import { describe, expect, it } from 'vitest';
import { sx } from '@symgrad/core';
import { nativeEpilogueOf } from './native-matmul.js';

describe('nativeEpilogueOf', () => {
  const x = sx.input(0, 'float32');
  const h = sx.input(1, 'float32');
  const zero = sx.const(0, 'float32');
  const mask = sx.where(sx.binary('gt', h, zero, 'bool'), x, zero, 'float32');

  it('recognizes relu(x) and where(h > 0, x, 0), the epilogues the addon fuses', () => {
    expect(nativeEpilogueOf(sx.unary('relu', x), 'float32', undefined)).toBe(1);
    expect(nativeEpilogueOf(mask, 'float32', 'float32')).toBe(2);
  });

  it('leaves everything else to the JavaScript epilogue', () => {
    expect(nativeEpilogueOf(sx.unary('relu', x), 'float64', undefined)).toBeUndefined();
    expect(nativeEpilogueOf(sx.unary('tanh', x), 'float32', undefined)).toBeUndefined();
    expect(nativeEpilogueOf(sx.unary('relu', h), 'float32', 'float32')).toBeUndefined();
    expect(nativeEpilogueOf(mask, 'float32', 'float64')).toBeUndefined();
    expect(nativeEpilogueOf(sx.where(sx.binary('gt', h, sx.const(-0, 'float32'), 'bool'), x, zero, 'float32'), 'float32', 'float32')).toBeUndefined();
    expect(nativeEpilogueOf(sx.where(sx.binary('ge', h, zero, 'bool'), x, zero, 'float32'), 'float32', 'float32')).toBeUndefined();
    expect(nativeEpilogueOf(sx.where(sx.binary('gt', h, zero, 'bool'), zero, x, 'float32'), 'float32', 'float32')).toBeUndefined();
  });
});
