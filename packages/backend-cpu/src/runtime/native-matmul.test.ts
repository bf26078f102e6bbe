import { describe, expect, it, vi } from 'vitest';
import { sx } from '@symgrad/core';
import { nativeCpuStatus } from '../native.js';
import { bufferTable } from './kernel-step.js';
import { compileMatmul, isNativeMatmul } from './matmul.js';
import { nativeEpilogueOf } from './native-matmul.js';
import { matmulReference, randomMatmulCase } from '../testing-fixtures/matmul-cases.js';
import { relError, Rng } from '../testing-fixtures/random.js';

describe('nativeEpilogueOf', () => {
  const x = sx.input(0, 'float32');
  const h = sx.input(1, 'float32');
  const zero = sx.const(0, 'float32');
  const mask = sx.where(sx.binary('gt', h, zero, 'bool'), x, zero, 'float32');

  it("numbers core's epilogue patterns as the addon does, and leaves the rest to the JavaScript epilogue", () => {
    expect(nativeEpilogueOf(sx.unary('relu', x), 'float32', undefined)).toBe(1);
    expect(nativeEpilogueOf(mask, 'float32', 'float32')).toBe(2);
    expect(nativeEpilogueOf(sx.binary('add', x, h, 'float32'), 'float32', 'float32')).toBe(3);
    expect(nativeEpilogueOf(sx.unary('relu', sx.binary('add', x, h, 'float32')), 'float32', 'float32')).toBe(4);
    expect(nativeEpilogueOf(sx.unary('tanh', x), 'float32', undefined)).toBeUndefined();
  });
});

describe.skipIf(!nativeCpuStatus().ok)('native matmul epilogues', () => {
  const biasCase = (rng: Rng, dtype: 'float32' | 'float64', op: 'relu' | 'tanh' | 'add') => {
    let c;
    do c = randomMatmulCase(rng, dtype); while (c.kernel.epilogue?.inputs.length !== 1 || c.kernel.epilogue.expr.op !== op);
    return c;
  };

  it('fuses x + b and relu(x + b) into the GEMM tiles (b broadcast over rows): no elementwise pass', () => {
    const s = nativeCpuStatus();
    if (!s.ok) return;
    const rng = new Rng(5);
    for (const dtype of ['float32', 'float64'] as const) {
      for (let t = 0; t < 8; t++) {
        const c = biasCase(rng, dtype, t % 2 ? 'relu' : 'add');
        const want = matmulReference(c);
        const elementwise = vi.spyOn(s.addon, 'elementwise');
        compileMatmul(c.kernel, bufferTable(c.buffers), s.addon)(c.data);
        expect(elementwise).not.toHaveBeenCalled();
        elementwise.mockRestore();
        expect(relError(Array.from(c.data[2]!), want), `${dtype} case ${t}`).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
      }
    }
  });

  it('runs any other bias epilogue (tanh(x + b)) as one native elementwise pass after the GEMM', () => {
    const s = nativeCpuStatus();
    if (!s.ok) return;
    const c = biasCase(new Rng(6), 'float32', 'tanh');
    const want = matmulReference(c);
    const elementwise = vi.spyOn(s.addon, 'elementwise');
    compileMatmul(c.kernel, bufferTable(c.buffers), s.addon)(c.data);
    expect(elementwise).toHaveBeenCalledTimes(1);
    elementwise.mockRestore();
    expect(relError(Array.from(c.data[2]!), want)).toBeLessThanOrEqual(1e-5);
  });

  it('runs an update fused into its product (out ← out + α·A·B, out read as an epilogue input) on the addon, the product in its own array', () => {
    const s = nativeCpuStatus();
    if (!s.ok) return;
    const rng = new Rng(7);
    for (const dtype of ['float32', 'float64'] as const) {
      for (const dims of [[1, 1, 1], [13, 37, 7], [64, 5, 65], [37, 63, 17]] as [number, number, number][]) {
        const c = randomMatmulCase(rng, dtype, dims);
        const x = sx.input(0, dtype);
        c.kernel = { ...c.kernel, beta: 0, epilogue: { expr: sx.binary('add', x, sx.input(1, dtype), dtype), inputs: [c.kernel.out] } };
        c.data[2] = c.data[2]!.map(() => rng.uniform(-1, 1));
        const want = matmulReference(c);
        const step = compileMatmul(c.kernel, bufferTable(c.buffers), s.addon);
        expect(isNativeMatmul(step), `${dtype} ${dims}`).toBe(true);
        const elementwise = vi.spyOn(s.addon, 'elementwise');
        step(c.data);
        expect(elementwise).toHaveBeenCalledTimes(1);
        elementwise.mockRestore();
        expect(relError(Array.from(c.data[2]!), want), `${dtype} ${dims}`).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
        // Twice more: the product's array is reused, and each run adds to the last.
        const again = matmulReference(c);
        step(c.data);
        expect(relError(Array.from(c.data[2]!), again)).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
      }
    }
  });

  it('leaves an output read at other elements, or with beta, to the TypeScript GEMM', () => {
    const s = nativeCpuStatus();
    if (!s.ok) return;
    const rng = new Rng(8);
    const square = randomMatmulCase(rng, 'float32', [9, 9, 5]);
    const x = sx.input(0, 'float32');
    const out = square.kernel.out;
    const transposed = { ...out, strides: [out.strides[1]!, out.strides[0]!] };
    for (const kernel of [
      { ...square.kernel, beta: 0, epilogue: { expr: sx.binary('add', x, sx.input(1, 'float32'), 'float32'), inputs: [transposed] } },
      { ...square.kernel, beta: 1, epilogue: { expr: sx.binary('add', x, sx.input(1, 'float32'), 'float32'), inputs: [out] } },
    ]) {
      expect(isNativeMatmul(compileMatmul(kernel, bufferTable(square.buffers), s.addon))).toBe(false);
    }
  });
});
