import '@symgrad/backend-cpu';
import { NDArray, T, type Variable } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { registerGradient } from './rules/registry.js';
import { prng } from './testing-fixtures/prng.js';
import { checkGrad, verifyGrad } from './verify-grad.js';

const r = prng(31);

describe('checkGrad', () => {
  it('reports agreement for a correct gradient', async () => {
    const report = await checkGrad((a, b) => T.sum(T.mul(a, T.exp(b))), [[1, 2, 3], [0.1, 0.2, 0.3]]);
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(6);
    expect(report.maxRelError).toBeLessThan(1e-6);
    expect(report.worst).toMatchObject({ input: expect.any(Number), name: expect.stringMatching(/^x[01]$/) });
  });

  it('projects a non-scalar output and uses the given names', async () => {
    const report = await checkGrad((x) => T.tanh(x), [r.uniformArray([3, 4])], { names: ['h'] });
    expect(report.ok).toBe(true);
    expect(report.worst!.name).toBe('h');
    expect(report.worst!.element).toHaveLength(2);
  });

  it('samples large inputs with a seed', async () => {
    const x = r.uniformArray([30, 20]);
    const a = await checkGrad((v) => T.sum(T.square(v)), [x], { sample: 25, seed: 1 });
    const b = await checkGrad((v) => T.sum(T.square(v)), [x], { sample: 25, seed: 1 });
    expect(a.checked).toBe(25);
    expect(a.worst).toEqual(b.worst);
    expect((await checkGrad((v) => T.sum(v), [x])).checked).toBe(200);
  });

  it('catches a wrong rule', async () => {
    const restore = registerGradient('tanh', (node, [g]) => [T.mul(g!, node.outputs[0]!)]);
    try {
      const report = await checkGrad((x) => T.sum(T.tanh(x)), [[0.5, -1, 2]]);
      expect(report.ok).toBe(false);
      expect(report.maxRelError).toBeGreaterThan(0.1);
    } finally {
      restore();
    }
  });
});

describe('verifyGrad', () => {
  it('returns the report when the gradient is right', async () => {
    const report = await verifyGrad((x) => T.sum(T.log(x)), [NDArray.from([1, 2, 4], 'float64')]);
    expect(report.ok).toBe(true);
  });

  it('throws naming the input, element and both values', async () => {
    const restore = registerGradient('exp', (_node, [g]) => [T.mul(g!, 2)]);
    try {
      await expect(verifyGrad((a, b) => T.add(T.sum(a), T.sum(T.exp(b))), [[1, 2], [[0, 0.5], [3, 0.1]]], { names: ['a', 'b'] })).rejects.toThrow(
        /verifyGrad: the symbolic gradient of input 1 'b' \(float64\[2, 2\]\) at element \[1, 0\] is 2, but finite differences give 20\.0855\d*.*tolerance atol 0\.000001 \+ rtol 0\.0001·\|value\|; 6 elements checked/,
      );
    } finally {
      restore();
    }
  });

  it('rejects a non-float output', async () => {
    await expect(verifyGrad((x) => T.argmax(x), [[1, 2]])).rejects.toThrow(/f must return a float tensor, got <argmax output> \(int32\[\]\)/);
  });

  it('rejects an f that does not return a symbolic variable', async () => {
    await expect(verifyGrad(() => 3 as never, [[1, 2]])).rejects.toThrow('checkGrad: f must return a symbolic variable, got a number');
  });
});

describe('verifyGrad and the optimizer', () => {
  it('gradients agree with finite differences with and without graph rewrites and fusion', async () => {
    const f = (x: Variable, w: Variable) => T.mean(T.categoricalCrossentropy(T.softmax(T.tanh(T.dot(x, w))), T.constant([0, 2, 1], 'int32')));
    const inputs = [r.uniformArray([3, 4]), r.uniformArray([4, 3])];
    for (const optimizer of ['O0', 'O1', 'O2'] as const) {
      await verifyGrad(f, inputs, { fnOptions: { optimizer } });
    }
  });
});
