import '@symgrad/backend-cpu';
import { fn, NDArray, T } from '@symgrad/core';
import { describe, expect, it } from 'vitest';
import { Reshape } from './reshape.js';
import { Sequential } from './sequential.js';

describe('Reshape', () => {
  it('gives each example the target shape, inferring a -1, with no kernel', async () => {
    const model = new Sequential([new Reshape([3, -1, 2])], { inputShape: [12] });
    expect(model.outputShape).toEqual([3, 2, 2]);
    const x = T.matrix('x');
    const f = fn([x], model.apply(x));
    const X = new NDArray('float32', [2, 12], Float32Array.from({ length: 24 }, (_, i) => i));
    const y = await f(X);
    expect(y.shape).toEqual([2, 3, 2, 2]);
    expect([...y.data]).toEqual([...X.data]);
    expect(Sequential.fromConfig(JSON.stringify(model.toConfig())).toConfig()).toEqual(model.toConfig());
  });

  it('names what is wrong', () => {
    expect(() => new Reshape([2, -1, -1])).toThrow('Reshape: targetShape must be a non-empty array of positive integers with at most one -1, got [2,-1,-1]');
    expect(() => new Reshape([])).toThrow('Reshape: targetShape must be a non-empty array of positive integers with at most one -1, got []');
    expect(() => new Sequential([new Reshape([5, 5])], { inputShape: [28, 28] })).toThrow("Reshape 'reshape_0': cannot reshape per-example inputs [28, 28] (784 elements) to [5, 5]");
    expect(() => new Sequential([new Reshape([5, -1])], { inputShape: [12] })).toThrow("Reshape 'reshape_0': cannot reshape per-example inputs [12] (12 elements) to [5, -1]");
  });
});
