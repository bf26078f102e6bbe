import { describe, expect, it } from 'vitest';
import { sx } from '../../codegen/scalar-expr.js';
import { TestRandom } from '../../testing/random.js';
import type { ElementwiseKernel, Kernel } from '../program.js';
import { contiguousView } from '../view.js';
import { BufferUsers, untouchedBetween, usersOf, type ProgramDraft } from './draft.js';

/** An elementwise kernel over [4] reading `ins` and writing `outs` (buffer ids). */
function kernel(ins: number[], outs: number[]): ElementwiseKernel {
  const e = ins.length ? ins.map((_, k) => sx.input(k, 'float32')).reduce((a, b) => sx.binary('add', a, b, 'float32')) : sx.const(0, 'float32');
  return { kind: 'elementwise', shape: [4], inputs: ins.map((b) => contiguousView(b, [4])), outputs: outs.map((b) => contiguousView(b, [4])), exprs: outs.map(() => e), label: 'k' };
}

describe('BufferUsers', () => {
  it('agrees with usersOf and untouchedBetween (whole-Program scans) through random replacements and removals', () => {
    const rng = new TestRandom(3);
    const buffers = 9;
    const random = (): Kernel => kernel(
      Array.from({ length: rng.int(0, 3) }, () => rng.int(0, buffers - 1)),
      Array.from({ length: rng.int(1, 2) }, () => rng.int(0, buffers - 1)),
    );
    const d: ProgramDraft = {
      buffers: Array.from({ length: buffers }, (_, id) => ({ id, dtype: 'float32', size: 4, role: 'temp' })),
      kernels: Array.from({ length: 30 }, random), sources: [], constants: new Map(), pinned: new Set(), maxKernelBuffers: Infinity,
    };
    const users = new BufferUsers(d);
    for (let round = 0; round < 200; round++) {
      const i = rng.int(0, d.kernels.length - 1);
      const next = rng.uniform(0, 1) < 0.3 ? undefined : random();
      users.replace(i, d.kernels[i], next);
      d.kernels[i] = next;
      for (let b = 0; b < buffers; b++) {
        expect(users.of(b), `round ${round}, buffer ${b}`).toEqual(usersOf(d, b));
        const [from, to] = [rng.int(-1, 30), rng.int(-1, 31)];
        const set = [b, rng.int(0, buffers - 1)];
        for (const alsoReads of [false, true]) expect(users.untouchedBetween(set, from, to, alsoReads)).toBe(untouchedBetween(d, set, from, to, alsoReads));
      }
    }
  });
});
