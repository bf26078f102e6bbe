import { describe, expect, it, vi } from 'vitest';
import { sx } from '@symgrad/core';
import { nativeCpuStatus } from '../native.js';
import { bufferTable } from './kernel-step.js';
import { compileMatmul } from './matmul.js';
import { nativeEpilogueOf } from './native-matmul.js';
import { matmulReference, randomMatmulCase } from '../testing-fixtures/matmul-cases.js';
import { relError, Rng } from '../testing-fixtures/random.js';

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

describe.skipIf(!nativeCpuStatus().ok)('native matmul epilogues', () => {
  it('runs a bias epilogue (relu(x + b), b broadcast over rows) as one native elementwise pass after the GEMM', () => {
    const s = nativeCpuStatus();
    if (!s.ok) return;
    const rng = new Rng(5);
    let c;
    do c = randomMatmulCase(rng, 'float32'); while (c.kernel.epilogue?.inputs.length !== 1 || c.kernel.epilogue.expr.op === 'where');
    const want = matmulReference(c);
    const elementwise = vi.spyOn(s.addon, 'elementwise');
    compileMatmul(c.kernel, bufferTable(c.buffers), s.addon)(c.data);
    expect(elementwise).toHaveBeenCalledTimes(1);
    elementwise.mockRestore();
    expect(relError(Array.from(c.data[2]!), want)).toBeLessThanOrEqual(1e-5);
  });
});
