import '@symgrad/backend-cpu';
import { fn, NDArray, shared, T, type SharedVariable } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { adam, adamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { rmsprop } from './rmsprop.js';
import { momentum, nesterov, sgd } from './sgd.js';

/**
 * The tiny problem: loss = ½‖w‖² with w = [1, −2], so the gradient is w itself. Each
 * optimizer runs three steps; the expected values are worked out by hand (in float64) from
 * the update rules in the optimizers' module comments.
 */
async function threeSteps(opt: Optimizer, w0 = [1, -2]): Promise<number[][]> {
  const w = shared(NDArray.from(w0, 'float32'), 'w');
  const loss = T.mul(T.sum(T.square(w)), 0.5);
  const step = fn([], loss, { updates: opt.updates(loss, [w]) });
  const out: number[][] = [];
  for (let i = 0; i < 3; i++) {
    await step();
    out.push([...w.get().data]);
  }
  return out;
}

function expectClose(actual: number[][], expected: number[][], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - expected[i]![j]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]![j]!)))));
}

describe('optimizers: three steps on ½‖w‖², w0 = [1, −2]', () => {
  it('SGD: w ← w − 0.1·w', async () => {
    expectClose(await threeSteps(sgd({ learningRate: 0.1 })), [[0.9, -1.8], [0.81, -1.62], [0.729, -1.458]]);
  });

  it('momentum 0.9: b ← 0.9b + g; w ← w − 0.1·b', async () => {
    // b1 = 1, w1 = 0.9; b2 = 0.9 + 0.9 = 1.8, w2 = 0.72; b3 = 1.62 + 0.72 = 2.34, w3 = 0.486 (× −2 for the second element)
    expectClose(await threeSteps(momentum({ learningRate: 0.1, momentum: 0.9 })), [[0.9, -1.8], [0.72, -1.44], [0.486, -0.972]]);
  });

  it('Nesterov 0.9: b ← 0.9b + g; w ← w − 0.1·(g + 0.9b)', async () => {
    // b1 = 1, d = 1.9, w1 = 0.81; b2 = 0.9 + 0.81 = 1.71, d = 0.81 + 1.539 = 2.349, w2 = 0.5751;
    // b3 = 1.539 + 0.5751 = 2.1141, d = 0.5751 + 1.90269 = 2.47779, w3 = 0.327321
    expectClose(await threeSteps(nesterov({ learningRate: 0.1, momentum: 0.9 })), [[0.81, -1.62], [0.5751, -1.1502], [0.327321, -0.654642]]);
  });

  it('SGD with L2 weight decay 0.5: g ← g + 0.5w', async () => {
    expectClose(await threeSteps(sgd({ learningRate: 0.1, weightDecay: 0.5 })), [[0.85, -1.7], [0.7225, -1.445], [0.614125, -1.22825]]);
  });

  it('Adam (lr 0.1, β 0.9/0.999) with bias correction through the step counter', async () => {
    // Step 1: m = 0.1g, v = 0.001g², m̂ = g, v̂ = g² → w1 = w − 0.1·sign(w) (ε negligible): [0.9, −1.9].
    // Step 2 (first element): g = 0.9, m = 0.09 + 0.09 = 0.18, v = 0.000999 + 0.00081 = 0.001809,
    //   m̂ = 0.18 / 0.19 = 0.9473684, v̂ = 0.001809 / 0.001999 = 0.9049525, √v̂ = 0.9512899,
    //   w2 = 0.9 − 0.1 · 0.9958771 = 0.8004123.
    // Step 3: g = 0.8004123, m = 0.162 + 0.0800412 = 0.2420412, v = 0.001807191 + 0.000640660 = 0.002447851,
    //   m̂ = 0.2420412 / 0.271 = 0.8931410, v̂ = 0.002447851 / 0.002997001 = 0.8167670, √v̂ = 0.9037516,
    //   w3 = 0.8004123 − 0.1 · 0.9882596 = 0.7015863.
    const opt = adam({ learningRate: 0.1 });
    const got = await threeSteps(opt);
    expectClose(got.map((r) => [r[0]!]), [[0.9], [0.8004123], [0.7015863]], 2e-6);
    expect(got[0]![1]).toBeCloseTo(-1.9, 5);
    expect(opt.state().find((s) => s.name === 'optimizer/step')!.get().item()).toBe(3);
  });

  it('AdamW adds decoupled weight decay λw to the Adam step', async () => {
    // Step 1: w1 = 1 − 0.1·(1 + 0.1·1) = 0.89. Step 2: g = 0.89, m = 0.09 + 0.089 = 0.179, v = 0.000999 + 0.0007921 = 0.0017911,
    //   m̂ = 0.9421053, v̂ = 0.8959980, √v̂ = 0.9465717, step = 0.9952737 + 0.1·0.89 → w2 = 0.89 − 0.1·1.0842737 = 0.7815726.
    const got = await threeSteps(adamW({ learningRate: 0.1, weightDecay: 0.1 }));
    expectClose([[got[0]![0]!], [got[1]![0]!]], [[0.89], [0.7815726]], 2e-6);
  });

  it('RMSProp (ρ 0.9): v ← 0.9v + 0.1g²; w ← w − 0.01·g/(√v + ε)', async () => {
    // Step 1: v = 0.1, w1 = 1 − 0.01/0.3162278 = 0.9683772.
    // Step 2: v = 0.09 + 0.0937754 = 0.1837754, √v = 0.4286903, w2 = 0.9683772 − 0.01·2.2589 = 0.9457881.
    // Step 3: v = 0.1653979 + 0.0894515 = 0.2548494, √v = 0.5048261, w3 = 0.9457881 − 0.01·1.8734928 = 0.9270532.
    const got = await threeSteps(rmsprop({ learningRate: 0.01 }));
    expectClose(got.map((r) => [r[0]!]), [[0.9683772], [0.9457881], [0.9270532]], 2e-6);
  });

  it('RMSProp with momentum and centering follows the same recurrences', async () => {
    const got = await threeSteps(rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true }));
    // Reference in float64, written out from the rule.
    let w = 1, v = 0, ga = 0, b = 0;
    const want: number[][] = [];
    for (let i = 0; i < 3; i++) {
      const g = w;
      v = 0.9 * v + 0.1 * g * g;
      ga = 0.9 * ga + 0.1 * g;
      b = 0.5 * b + g / (Math.sqrt(v - ga * ga) + 1e-8);
      w -= 0.01 * b;
      want.push([w]);
    }
    expectClose(got.map((r) => [r[0]!]), want, 2e-6);
  });
});

describe('optimizer state and learning rate', () => {
  it('keeps state in named shared variables and the learning rate in a float32 scalar', async () => {
    const w = shared(NDArray.from([1, 2], 'float32'), 'layer/w');
    const opt = adam({ learningRate: 0.01 });
    expect(opt.learningRate.dtype).toBe('float32');
    expect(opt.learningRate.shape).toEqual([]);
    opt.updates(T.sum(T.square(w)), [w]);
    expect(opt.state().map((s) => s.name)).toEqual(['optimizer/learning_rate', 'optimizer/step', 'optimizer/layer/w/m', 'optimizer/layer/w/v']);
    expect(opt.state().find((s) => s.name === 'optimizer/step')!.dtype).toBe('int32');
  });

  it('changing the learning rate takes effect without recompiling', async () => {
    const w = shared(NDArray.from([1], 'float32'), 'w');
    const opt = sgd({ learningRate: 0.5 });
    const loss = T.mul(T.sum(T.square(w)), 0.5);
    const step = fn([], loss, { updates: opt.updates(loss, [w]) });
    await step();
    const program = step.program;
    expect(w.get().data[0]).toBeCloseTo(0.5);
    opt.learningRate.set(0.1);
    await step();
    expect(w.get().data[0]).toBeCloseTo(0.45);
    expect(step.program).toBe(program);
  });

  it("a parameter the loss does not reach is an error, or with { disconnected: 'skip' } keeps its value (Adam's other slots step on)", async () => {
    const w = shared(NDArray.from([1, -2], 'float32'), 'w');
    const unused = shared(NDArray.from([3], 'float32'), 'unused');
    const loss = T.mul(T.sum(T.square(w)), 0.5);
    const opt = adam({ learningRate: 0.1 });
    expect(() => opt.updates(loss, [w, unused])).toThrow(/^grad: the cost .* does not depend on wrt\[1\] 'unused'/);
    expect(() => opt.updates(loss, [w, unused], { disconnected: 'zero' as never })).toThrow('Adam.updates: disconnected must be \'raise\' or \'skip\', got "zero"');
    const updates = opt.updates(loss, [w, unused], { disconnected: 'skip' });
    expect(updates.map(([v]) => v.name)).not.toContain('unused');
    const step = fn([], loss, { updates });
    await step();
    expect(Array.from(unused.get().data)).toEqual([3]);
    expect(Array.from(w.get().data)[0]).toBeCloseTo(0.9, 5);
  });

  it('clipNorm scales the gradients to the global norm before the update', async () => {
    // ‖g‖ = ‖[3, 4]‖ = 5, clipped to 1 → [0.6, 0.8]; SGD lr 1 → w = [3, 4] − [0.6, 0.8].
    const w = shared(NDArray.from([3, 4], 'float32'), 'w');
    const opt = sgd({ learningRate: 1, clipNorm: 1 });
    const loss = T.mul(T.sum(T.square(w)), 0.5);
    await fn([], loss, { updates: opt.updates(loss, [w]) })();
    expectClose([[...w.get().data]], [[2.4, 3.2]]);
  });

  it('build creates the state without a graph, for loading', () => {
    const w = shared(NDArray.from([1, 2], 'float32'), 'w');
    const opt = momentum({ learningRate: 0.1 });
    opt.build([w]);
    expect(opt.state().map((s) => s.name)).toEqual(['optimizer/learning_rate', 'optimizer/w/momentum']);
  });
});

describe('optimizer errors', () => {
  const w = (): SharedVariable => shared(NDArray.from([1], 'float32'), 'w');
  it('names bad hyper-parameters', () => {
    expect(() => sgd({} as never)).toThrow("sgd: options must give a learningRate, e.g. sgd({ learningRate: 0.01 })");
    expect(() => sgd({ learningRate: -1 })).toThrow('sgd: learningRate must be a number in [0, Infinity), got -1');
    expect(() => sgd({ learningRate: 'fast' as never })).toThrow('sgd: learningRate must be a number or a schedule, got a string');
    expect(() => sgd({ learningRate: 0.1, momentum: 1 })).toThrow('sgd: momentum must be a number in [0, 1), got 1');
    expect(() => sgd({ learningRate: 0.1, nesterov: true })).toThrow('sgd: nesterov needs momentum > 0, e.g. sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })');
    expect(() => sgd({ learningRate: 0.1, momentum: 0.9, nesterov: 'yes' as never })).toThrow('sgd: nesterov must be a boolean, got a string');
    expect(() => adam({ learningRate: 0.1, beta1: 1.5 })).toThrow('adam: beta1 must be a number in [0, 1), got 1.5');
    expect(() => adam({ learningRate: 0.1, weightDecay: 0.1 } as never)).toThrow('adam: weightDecay is not an Adam option; use adamW({ weightDecay })');
    expect(() => rmsprop({ learningRate: 0.1, rho: -0.1 })).toThrow('rmsprop: rho must be a number in [0, 1), got -0.1');
    expect(() => sgd({ learningRate: 0.1, clipNorm: 0 })).toThrow('sgd: clipNorm must be a number in');
  });

  it('names bad parameter lists', () => {
    const opt = sgd({ learningRate: 0.1 });
    const loss = T.sum(T.square(w()));
    expect(() => opt.updates(loss, [])).toThrow('SGD: needs a non-empty list of parameters (shared variables)');
    expect(() => opt.updates(loss, [T.vector('v') as never])).toThrow('SGD: parameter 0 is not a shared variable');
    const unnamed = shared(NDArray.from([1], 'float32'));
    expect(() => opt.updates(T.sum(unnamed), [unnamed])).toThrow('has no name; name shared variables');
    const a = w();
    const b = w();
    expect(() => opt.updates(T.sum(T.add(a, b)), [a, b])).toThrow("SGD: two parameters are named 'w'");
    expect(() => opt.applyGradients([a], [])).toThrow('SGD.applyGradients: 1 parameters but 0 gradients');
    const steps = shared(NDArray.from([1], 'int32'), 'steps');
    expect(() => opt.updates(T.sum(a), [a, steps])).toThrow("SGD: parameter 1 'steps' (int32[1]) has dtype int32; only float32 and float64 parameters can be trained");
  });
});
