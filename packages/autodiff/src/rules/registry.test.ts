import { listOps, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';
import { elementwiseGradients } from './elementwise.js';
import { indexingGradients } from './indexing.js';
import { linalgGradients } from './linalg.js';
import { movementGradients } from './movement.js';
import { nnetGradients } from './nnet.js';
import { reduceGradients } from './reduce.js';
import { getGradientRule, registerGradient } from './registry.js';
import { notDifferentiable } from './types.js';

describe('gradient rule coverage', () => {
  it('every core op has a rule or an explicit marker', () => {
    const ops = listOps();
    expect(ops.length).toBeGreaterThan(40);
    const missing = ops.filter((op) => getGradientRule(op) === undefined);
    expect(missing, `ops without a gradient rule or marker: ${missing.join(', ')}`).toEqual([]);
  });

  it('each family table covers exactly its family and names only real ops', () => {
    const ops = new Set<string>(listOps());
    const tables = [elementwiseGradients, reduceGradients, linalgGradients, movementGradients, indexingGradients, nnetGradients];
    const seen = new Set<string>();
    for (const t of tables) {
      for (const name of Object.keys(t)) {
        expect(ops.has(name), `'${name}' is not a core op`).toBe(true);
        expect(seen.has(name), `'${name}' is in two tables`).toBe(false);
        seen.add(name);
      }
    }
  });

  it('marks the non-differentiable ops explicitly', () => {
    for (const op of ['lt', 'le', 'gt', 'ge', 'eq', 'ne', 'argmax', 'oneHot', 'sizeOf']) {
      expect(getGradientRule(op), op).toBe(notDifferentiable);
    }
  });
});

describe('registerGradient', () => {
  it('overrides a built-in rule until restored', () => {
    const builtin = getGradientRule('sign');
    const ste = (_node: unknown, [g]: readonly (ReturnType<typeof T.vector> | undefined)[]) => [g!];
    const restore = registerGradient('sign', ste);
    expect(getGradientRule('sign')).toBe(ste);
    const x = T.vector('x');
    // With the straight-through rule the cotangent (a reshaped 1) flows; without it, zeros.
    expect(grad(T.sum(T.sign(x)), x).owner?.inputs[0]!.kind).toBe('result');
    restore();
    expect(getGradientRule('sign')).toBe(builtin);
    expect(grad(T.sum(T.sign(x)), x).owner?.inputs[0]!.kind).toBe('constant');
  });

  it('restores earlier overrides in order', () => {
    const a = () => [notDifferentiable];
    const b = () => [notDifferentiable];
    const builtin = getGradientRule('exp');
    const ra = registerGradient('exp', a);
    const rb = registerGradient('exp', b);
    rb();
    expect(getGradientRule('exp')).toBe(a);
    ra();
    expect(getGradientRule('exp')).toBe(builtin);
  });
});
