import { describe, expect, it } from 'vitest';
import type { RandomKernel } from '@symgrad/core';
import { compileRandom } from './random.js';
import { AWKWARD_SIZES, drawMismatch, RANDOM_DRAWS, RANDOM_STATES, randomCase } from '../testing-fixtures/random-kernels.js';

/** The TypeScript random kernel against core's fillRandom and advanceRandomState. */

describe('random (TypeScript)', () => {
  it('matches fillRandom on awkward sizes, carries across 2³² and wraps 2⁶⁴ (bits and uniforms exact, normals 1e-6)', () => {
    for (const [distribution, dtype] of RANDOM_DRAWS) {
      for (const state of RANDOM_STATES) {
        for (const n of AWKWARD_SIZES.slice(0, 9)) {
          const c = randomCase(distribution, dtype, n, state);
          compileRandom(c.k, c.table)(c.data);
          expect(drawMismatch(c, dtype === 'float32' ? 1e-6 : 1e-12), `${distribution} ${dtype} n=${n} state=${state.join()}`).toBeNull();
        }
      }
    }
  });

  it('reads the state at an offset and leaves next alone when the kernel has none', () => {
    const c = randomCase('uniform', 'float32', 9, [3, 4, 5, 6], { stateOffset: 2, outOffset: 0, withNext: false });
    compileRandom(c.k, c.table)(c.data);
    expect(drawMismatch(c, 0)).toBeNull();
    expect([...c.data[2]!]).toEqual([0, 0, 0, 0, 0]);
  });

  it('draws nothing for an empty output but still advances by zero blocks', () => {
    const c = randomCase('bits', 'int32', 0, [1, 2, 3, 4]);
    compileRandom(c.k, c.table)(c.data);
    expect([...c.data[2]!.subarray(1)]).toEqual([1, 2, 3, 4]);
  });

  it('rejects what it cannot draw: wrong dtypes, strided output, a state that is not 4 int32 words, next overlapping the state', () => {
    const bad = (edit: (k: RandomKernel) => RandomKernel, message: RegExp, distribution: RandomKernel['distribution'] = 'uniform', dtype: RandomKernel['dtype'] = 'float32') => {
      const c = randomCase(distribution, dtype, 8, [1, 2, 3, 4]);
      expect(() => compileRandom(edit(c.k), c.table)).toThrow(message);
    };
    bad((k) => k, /bits draws int32, not float32/, 'bits', 'float32');
    bad((k) => k, /uniform draws float32 or float64, not int32/, 'uniform', 'int32');
    bad((k) => ({ ...k, dtype: 'float64' }), /output is in a float32 buffer, expected float64/);
    bad((k) => ({ ...k, output: { ...k.output, shape: [4], strides: [2] } }), /^output has strides \[2\]: random draws into a contiguous view$/);
    bad((k) => ({ ...k, state: { ...k.state, offset: 0, strides: [2] } }), /^state has stride 2: the state is 4 contiguous int32 words$/);
    bad((k) => ({ ...k, next: { ...k.next!, offset: 0, strides: [0] } }), /^next has stride 0: the state is 4 contiguous int32 words$/);
    bad((k) => ({ ...k, state: { ...k.state, shape: [2, 2], strides: [2, 1] } }), /state has shape \[2, 2\], expected \[4\]/);
    bad((k) => ({ ...k, state: { ...k.state, buffer: 1 } }), /state is in a float32 buffer, expected int32/);
    bad((k) => ({ ...k, next: { buffer: 0, offset: 2, shape: [4], strides: [1] } }), /next overlaps state/);
    bad((k) => ({ ...k, output: { ...k.output, shape: [100] } }), /output reaches element/);
  });
});
