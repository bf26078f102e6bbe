import { beforeAll, describe, expect, it } from 'vitest';
import { applyOp, fn, registerBackend, T, type Variable } from '../../index.js';
import { relativeError, TestRandom } from '../../testing/random.js';
import { referenceBackendFactory } from '../../testing/reference-backend.js';

beforeAll(() => registerBackend('ref-accumulate', referenceBackendFactory('ref-accumulate'), -5));

// Three overlapping 2-strided windows of a [2, 7, 5, 3] image, as a convolution's im2col reads
// it; the sum of their gradients padded back to the image is what the pass rewrites.
const like = T.tensor('float32', [2, 7, 5, 3], 'image');
const windows = [[0, 0], [1, 1], [2, 0]].map(([i, j]) => ({ begin: [0, i!, j!, 0], end: [null, i! + 5, j! + 3, null], step: [1, 2, 2, 1] }));
const grads = windows.map((_, n) => T.tensor('float32', [2, 3, 2, 3], `g${n}`));
const padded = (g: Variable, w: (typeof windows)[number]): Variable => applyOp('padSlice', w, [g, like])[0]!;

async function run(outputs: Variable[], optimizer: 'O0' | 'O2', exclude: 'accumulateSlices'[] = []) {
  const f = fn([like, ...grads], outputs, { backend: 'ref-accumulate', optimizer, rewrites: { exclude } });
  const rng = new TestRandom(3);
  const values = await f(rng.array([2, 7, 5, 3]), ...grads.map(() => rng.array([2, 3, 2, 3])));
  return { values: values.map((v) => [...v.data]), program: f.program! };
}

describe('accumulateSlices', () => {
  it('adds zero-padded slices into one buffer: one zero fill and a kernel per slice, the same numbers', async () => {
    const sum = T.add(T.add(padded(grads[0]!, windows[0]!), padded(grads[1]!, windows[1]!)), padded(grads[2]!, windows[2]!));
    const reference = await run([sum], 'O0');
    const without = await run([sum], 'O2', ['accumulateSlices']);
    const { values, program } = await run([sum], 'O2');
    expect(relativeError(values[0]!, reference.values[0]!)).toBeLessThan(1e-6);
    expect(without.program.kernels.map((k) => k.label)).toEqual(['padSlice.zeros', 'padSlice', 'padSlice.zeros', 'padSlice', 'padSlice.zeros', 'padSlice', 'add+add']);
    // The sum is left with one term, whose copy into the output concatInPlace removes: the slices accumulate in the output itself.
    expect(program.kernels.map((k) => k.label)).toEqual(['padSlice.zeros', 'padSlice', 'padSlice+accumulate', 'padSlice+accumulate']);
    const imageSized = (p: typeof program) => p.buffers.filter((b) => b.size === 2 * 7 * 5 * 3).length;
    // The image, the output, and the padded slices' temporaries: three, then none.
    expect([imageSized(without.program), imageSized(program)]).toEqual([5, 2]);
  });

  it('rewrites a sum fused into its consumer; a sum left with one term in a temp buffer is no kernel at all', async () => {
    const sum = T.add(T.add(padded(grads[0]!, windows[0]!), padded(grads[1]!, windows[1]!)), padded(grads[2]!, windows[2]!));
    for (const outputs of [[T.mul(sum, 2)], [T.slice(sum, null, [1, 6])]]) {
      const reference = await run(outputs, 'O0');
      const { values, program } = await run(outputs, 'O2');
      expect(relativeError(values[0]!, reference.values[0]!)).toBeLessThan(1e-6);
      expect(program.kernels.filter((k) => k.label.endsWith('+accumulate'))).toHaveLength(2);
      expect(program.kernels).toHaveLength(5);
    }
  });

  it('keeps other terms of the sum, and leaves a padded slice that something else reads', async () => {
    const shared0 = padded(grads[0]!, windows[0]!);
    const sum = T.add(T.add(T.add(shared0, padded(grads[1]!, windows[1]!)), like), padded(grads[2]!, windows[2]!));
    const reference = await run([sum, T.mul(shared0, 2)], 'O0');
    const { values, program } = await run([sum, T.mul(shared0, 2)], 'O2');
    values.forEach((v, i) => expect(relativeError(v, reference.values[i]!)).toBeLessThan(1e-6));
    expect(program.kernels.filter((k) => k.label.endsWith('+accumulate'))).toHaveLength(1);
  });

  it('keeps the numbers where part of a sum is read twice in one fused expression', async () => {
    const s01 = T.add(padded(grads[0]!, windows[0]!), padded(grads[1]!, windows[1]!));
    const outputs = [T.mul(T.add(s01, padded(grads[2]!, windows[2]!)), s01)];
    const reference = await run(outputs, 'O0');
    const { values, program } = await run(outputs, 'O2');
    expect(relativeError(values[0]!, reference.values[0]!)).toBeLessThan(1e-6);
    expect(program.kernels.filter((k) => k.label.endsWith('+accumulate')).length).toBeGreaterThan(0);
  });

  it('reads a fused expression with deeply shared sums once per node', async () => {
    // 2⁴⁰ paths through 40 shared adds: a walk that follows paths instead of nodes never ends.
    let e: Variable = padded(grads[0]!, windows[0]!);
    for (let n = 0; n < 40; n++) e = T.add(e, e);
    const outputs = [T.add(e, padded(grads[1]!, windows[1]!))];
    const reference = await run(outputs, 'O0');
    const { values } = await run(outputs, 'O2');
    expect(relativeError(values[0]!, reference.values[0]!)).toBeLessThan(1e-6);
  });

  it('leaves a product of padded slices alone', async () => {
    const product = T.mul(padded(grads[0]!, windows[0]!), padded(grads[1]!, windows[1]!));
    const { program } = await run([product], 'O2');
    expect(program.kernels.some((k) => k.label.endsWith('+accumulate'))).toBe(false);
  });
});
