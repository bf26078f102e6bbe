import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { MatmulKernel } from '@symgrad/core';
import { skinnyMatmulForm } from '../codegen/kernels-matmul-skinny.js';
import { fakeCudaWorkspace, runWithFakeCuda } from '../testing-fixtures/fake-cuda.js';

// Products with N or K of at most 16 run as generated kernels (codegen/kernels-matmul-skinny.ts),
// not cuBLAS: each form over awkward shapes (1, primes, tile remainders, transposes, batches
// with a broadcast operand), with alpha, beta and fused epilogues, in float32 and float64,
// end to end over the fake CUDA userspace against core's float64 reference evaluator. The
// child reports each function's matmul kernels, so the parent checks which form ran. Then a
// softmax cross-entropy or row softmax over a `rows` product's result, which runs inside the product's kernel
// (codegen/matmul-row-tail.ts): the child plans each function too and says whether it did.
const { scratch, libDir, reason } = fakeCudaWorkspace('skinny-');
const PLANNER = fileURLToPath(new URL('../../dist/codegen/program-source.js', import.meta.url));

const RUNNER = `
import { fn, shared, T } from '@symgrad/core';
import { planProgram } from ${JSON.stringify(PLANNER)};
import '@symgrad/backend-cuda';
import { evaluateReference, relativeError, TestRandom } from '@symgrad/core/testing/reference';
const rows = [];
const rng = new TestRandom(77);
const tensor = (dtype, rank, name) => T.tensor(dtype, new Array(rank).fill(null), name);
// Each case: input shapes, the outputs as a function of the inputs (and an optional shared W), the dtype.
const cases = {
  'rows 37x130 . 130x10': [[[37, 130], [130, 10]], ([a, b]) => [T.dot(a, b)]],
  'rows N = 1 (31x257 . 257x1)': [[[31, 257], [257, 1]], ([a, b]) => [T.dot(a, b)]],
  'rows Bt, N = 16 (33x100 . (16x100)t)': [[[33, 100], [16, 100]], ([a, b]) => [T.dot(a, T.transpose(b))]],
  // More of B than one block's shared memory holds (float32: 672 rows of 16, float64: 320): several chunks.
  'rows N = 16, K = 700 (9x700 . 700x16)': [[[9, 700], [700, 16]], ([a, b]) => [T.dot(a, b)]],
  'rows batched 2x9x40 . 2x40x3': [[[2, 9, 40], [2, 40, 3]], ([a, b]) => [T.matmul(a, b)]],
  'rows broadcast batch 3x5x40 . 40x7': [[[3, 5, 40], [40, 7]], ([a, b]) => [T.matmul(a, b)]],
  'rows relu epilogue 29x61 . 61x11': [[[29, 61], [61, 11]], ([a, b]) => [T.relu(T.dot(a, b))]],
  'columns (130x37)t . 130x10': [[[130, 37], [130, 10]], ([a, b]) => [T.dot(T.transpose(a), b)]],
  'columns M = 2 ((50x2)t . 50x5)': [[[50, 2], [50, 5]], ([a, b]) => [T.dot(T.transpose(a), b)]],
  'columns M = 33, K = 1001 ((1001x33)t . 1001x3)': [[[1001, 33], [1001, 3]], ([a, b]) => [T.dot(T.transpose(a), b)]],
  'columns At Bt ((70x45)t . (2x70)t)': [[[70, 45], [2, 70]], ([a, b]) => [T.dot(T.transpose(a), T.transpose(b))]],
  'columns batched (2x60x33)t . 2x60x4': [[[2, 60, 33], [2, 60, 4]], ([a, b]) => [T.matmul(a, b, { transA: true })]],
  'outer 7x3 . 3x11': [[[7, 3], [3, 11]], ([a, b]) => [T.dot(a, b)]],
  'outer K = 1 (5x1 . 1x13)': [[[5, 1], [1, 13]], ([a, b]) => [T.dot(a, b)]],
  'outer Bt, K = 16 (17x16 . (29x16)t)': [[[17, 16], [29, 16]], ([a, b]) => [T.dot(a, T.transpose(b))]],
  'outer At (10x19)t . 10x23': [[[10, 19], [10, 23]], ([a, b]) => [T.dot(T.transpose(a), b)]],
  'outer batched 3x5x4 . 4x9': [[[3, 5, 4], [4, 9]], ([a, b]) => [T.matmul(a, b)]],
  // Bt with N of 256 or more: B staged in shared memory (two column tiles here).
  'outer Bt, N = 300 (37x10 . (300x10)t)': [[[37, 10], [300, 10]], ([a, b]) => [T.dot(a, T.transpose(b))]],
  'outer Bt, 8 rows per block and a partial last group (2003x5 . (256x5)t)': [[[2003, 5], [256, 5]], ([a, b]) => [T.dot(a, T.transpose(b))]],
  'outer Bt batched, N = 260 (2x5x3 . (2x260x3)t)': [[[2, 5, 3], [2, 260, 3]], ([a, b]) => [T.matmul(a, b, { transB: true })]],
  'columns (the seed step dW3) ((800x1000)t . 800x10)': [[[800, 1000], [800, 10]], ([a, b]) => [T.dot(T.transpose(a), b)]],
  // The seed step's relu gradient: exact zeros of h (zero rows of x) must give 0.
  'outer relu-gradient epilogue where(h > 0, d . w2t, 0)': [[[9, 20], [20, 300], [9, 10], [300, 10]], ([x, w1, d, w2]) => {
    const h = T.relu(T.dot(x, w1));
    return [h, T.where(T.gt(h, 0), T.dot(d, T.transpose(w2)), 0)];
  }, (vals) => { for (let c = 0; c < 20; c++) vals[0].data[3 * 20 + c] = 0; }],
};
for (const dtype of ['float32', 'float64']) {
  for (const [name, [shapes, build, tweak]] of Object.entries(cases)) {
    const label = name + ' ' + dtype;
    try {
      const inputs = shapes.map((s, i) => tensor(dtype, s.length, 'in' + i));
      const outputs = build(inputs);
      const vals = shapes.map((s) => rng.array(s, dtype, -1, 1));
      tweak?.(vals);
      const f = fn(inputs, outputs, { backend: 'cuda' });
      const got = await f(...vals);
      const want = evaluateReference(outputs, new Map(inputs.map((v, i) => [v, vals[i]])));
      const errs = got.map((g, i) => relativeError(g.data, want[i].data));
      const matmuls = f.program.kernels.filter((k) => k.kind === 'matmul').map(({ kind, batch, m, n, k, transA, transB, alpha, beta, dtype, epilogue }) => ({ kind, batch, m, n, k, transA, transB, alpha, beta, dtype, epilogue: !!epilogue }));
      rows.push({ name: label, errs, matmuls });
      f.dispose();
    } catch (e) { rows.push({ name: label, error: String(e && e.stack || e) }); }
  }
  // SGD on a shared W: W <- W - 0.1 h^T d (alpha and beta of a 'columns' product), twice.
  try {
    const h = tensor(dtype, 2, 'h'), d = tensor(dtype, 2, 'd');
    const W = shared(rng.array([130, 10], dtype, -1, 1), 'W');
    const next = T.sub(W, T.mul(T.dot(T.transpose(h), d), 0.1));
    const f = fn([h, d], [], { backend: 'cuda', updates: [[W, next]] });
    const vals = [rng.array([37, 130], dtype, -1, 1), rng.array([37, 10], dtype, -1, 1)];
    const errs = [];
    for (let c = 0; c < 2; c++) {
      const [want] = evaluateReference([next], new Map([[h, vals[0]], [d, vals[1]]]));
      await f(...vals);
      errs.push(relativeError(W.get().data, want.data));
    }
    const matmuls = f.program.kernels.filter((k) => k.kind === 'matmul').map(({ kind, batch, m, n, k, transA, transB, alpha, beta, dtype, epilogue }) => ({ kind, batch, m, n, k, transA, transB, alpha, beta, dtype, epilogue: !!epilogue }));
    rows.push({ name: 'sgd update W - 0.1 h^T d ' + dtype, errs, matmuls });
    f.dispose();
  } catch (e) { rows.push({ name: 'sgd update ' + dtype, error: String(e && e.stack || e) }); }
  // Softmax cross-entropy of x.W (+ b) against labels y: [rows, features, classes, outputs(z, p, y, x), labels].
  const lossCases = {
    'mean loss and its gradients, 37x130 . 130x10': [37, 130, 10, (z, p, y, x, n) => {
      const dz = T.div(T.sub(p, T.oneHot(y, 10, dtype)), n);
      return [T.mean(T.categoricalCrossentropy(p, y)), dz, T.dot(T.transpose(x), dz)];
    }],
    'one class, 31x50 . 50x1': [31, 50, 1, (z, p, y) => [T.categoricalCrossentropy(p, y)]],
    // B in chunks (K = 700 > one block's shared memory in float64), a prime row count.
    '16 classes, 97x700 . 700x16, gradient': [97, 700, 16, (z, p, y, x, n) => [T.mean(T.categoricalCrossentropy(p, y)), T.div(T.sub(p, T.oneHot(y, 16, dtype)), n)]],
    // Labels -1 and 10 are out of range: NaN losses for those rows, as the reference gives.
    'labels out of range, 13x40 . 40x10, per-row losses': [13, 40, 10, (z, p, y) => [T.categoricalCrossentropy(p, y)], (labels) => { labels.data[2] = -1; labels.data[7] = 10; }],
    'the logits an output too, 21x33 . 33x7': [21, 33, 7, (z, p, y) => [z, T.categoricalCrossentropy(p, y)]],
    'with a bias, 19x45 . 45x10 + b': [19, 45, 10, (z, p, y) => [T.mean(T.categoricalCrossentropy(p, y))], undefined, true],
    // A row softmax (the classifier's probabilities) after the product, not a loss.
    'softmax probabilities, 23x70 . 70x10': [23, 70, 10, (z, p) => [p]],
    'log-softmax with a bias, 17x33 . 33x16 + b': [17, 33, 16, (z) => [T.logSoftmax(z)], undefined, true],
  };
  for (const [name, [m, kk, c, build, tweak, bias]] of Object.entries(lossCases)) {
    const label = 'loss ' + name + ' ' + dtype;
    try {
      const x = tensor(dtype, 2, 'x'), W = tensor(dtype, 2, 'W'), y = T.ivector('y'), b = tensor(dtype, 1, 'b');
      const z = bias ? T.add(T.dot(x, W), b) : T.dot(x, W);
      const outputs = build(z, T.softmax(z), y, x, T.size(x, 0, dtype));
      const inputs = [x, W, y, ...(bias ? [b] : [])];
      const labels = rng.array([m], 'int32', 0, c - 1);
      tweak?.(labels);
      const vals = [rng.array([m, kk], dtype, -1, 1), rng.array([kk, c], dtype, -1, 1), labels, ...(bias ? [rng.array([c], dtype, -1, 1)] : [])];
      const f = fn(inputs, outputs, { backend: 'cuda' });
      const got = await f(...vals);
      const want = evaluateReference(outputs, new Map(inputs.map((v, i) => [v, vals[i]])));
      const errs = got.map((g, i) => relativeError(g.data, want[i].data));
      const nans = got.map((g) => Array.from(g.data).filter((v) => Number.isNaN(v)).length);
      const steps = planProgram(f.program, { gemm: 'cublasLt' }).steps.map((s) => s.what);
      const fused = steps.some((w) => /[(]matmul, rows, with kernel [0-9]+ [(](softmaxCrossEntropy|softmax)[)][)]/.test(w));
      rows.push({ name: label, errs, nans, fused, steps, kinds: f.program.kernels.map((k) => k.kind) });
      f.dispose();
    } catch (e) { rows.push({ name: label, error: String(e && e.stack || e) }); }
  }
}
console.log('RESULT ' + JSON.stringify(rows));
`;
const runner = join(scratch, 'skinny-runner.mjs');
writeFileSync(runner, RUNNER);

interface Row { name: string; errs?: number[]; matmuls?: MatmulKernel[]; error?: string; fused?: boolean; nans?: number[]; kinds?: string[]; steps?: string[] }

describe.skipIf(!libDir)(`skinny products as generated kernels, over the fake CUDA userspace${libDir ? '' : ` (skipped: ${reason})`}`, () => {
  it('every form, in float32 and float64, matches the float64 reference; each ran the form its name says', { timeout: 300_000 }, async () => {
    const r = await runWithFakeCuda(libDir!, runner, {}, 300_000);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, `child exited ${r.code}:\n${r.stderr.slice(-4000)}`).toBeDefined();
    const rows = JSON.parse(line!.slice(7)) as Row[];
    expect(rows).toHaveLength(2 * (23 + 8));
    for (const row of rows) {
      expect(row.error, row.name).toBeUndefined();
      const tol = row.name.endsWith('float64') ? 1e-12 : 1e-5;
      for (const e of row.errs!) expect(e, `${row.name}: relative error (tolerance ${tol})`).toBeLessThanOrEqual(tol);
      const form = row.name.split(' ')[0]!;
      if (form === 'loss') {
        expect(row.kinds, row.name).toContain(row.name.includes('softmax') ? 'softmax' : 'softmaxCrossEntropy');
        expect(row.fused, `${row.name}: the row kernel ran inside the product's kernel (steps: ${row.steps!.join('; ')})`).toBe(true);
        expect(row.nans, `${row.name}: NaN losses`).toEqual(row.name.includes('out of range') ? [2] : row.nans!.map(() => 0));
        continue;
      }
      const want = form === 'sgd' ? 'columns' : form;
      // The last product is the one the case is about (the relu-gradient case's forward product is a GEMM).
      const k = row.matmuls!.at(-1)!;
      expect(skinnyMatmulForm(k), `${row.name}: ${JSON.stringify(k)}`).toBe(want);
      if (form === 'sgd') expect([k.alpha, k.beta], `${row.name}: the update as alpha and beta`).toEqual([row.name.endsWith('float32') ? Math.fround(-0.1) : -0.1, 1]);
    }
  });
});

describe('skinnyMatmulForm', () => {
  const mm = (m: number, n: number, k: number, over: Partial<MatmulKernel> = {}): MatmulKernel => ({
    kind: 'matmul', batch: [], m, n, k, transA: false, transB: false, alpha: 1, beta: 0, dtype: 'float32', label: 'mm',
    a: { buffer: 0, offset: 0, shape: [m, k], strides: [k, 1] }, b: { buffer: 1, offset: 0, shape: [k, n], strides: [n, 1] }, out: { buffer: 2, offset: 0, shape: [m, n], strides: [n, 1] }, ...over,
  });
  it('takes K ≤ 16 as outer products, N ≤ 16 by rows (or by columns when A is transposed), the rest to cuBLAS', () => {
    expect(skinnyMatmulForm(mm(800, 1000, 10))).toBe('outer');
    expect(skinnyMatmulForm(mm(800, 10, 1000))).toBe('rows');
    expect(skinnyMatmulForm(mm(1000, 10, 800, { transA: true }))).toBe('columns');
    expect(skinnyMatmulForm(mm(800, 1000, 1000))).toBeUndefined();
    expect(skinnyMatmulForm(mm(3, 17, 17))).toBeUndefined();
  });
  it('leaves to cuBLAS what these forms do badly or not at all: empty products, ints, long K over few rows', () => {
    expect(skinnyMatmulForm(mm(5, 3, 0))).toBeUndefined();
    expect(skinnyMatmulForm(mm(0, 3, 5))).toBeUndefined();
    expect(skinnyMatmulForm(mm(5, 3, 7, { dtype: 'int32' }))).toBeUndefined();
    expect(skinnyMatmulForm(mm(4, 10, 100_000))).toBeUndefined();
    expect(skinnyMatmulForm(mm(4, 10, 100_000, { transA: true }))).toBeUndefined();
    expect(skinnyMatmulForm(mm(4096, 10, 100_000))).toBe('rows');
    expect(skinnyMatmulForm(mm(4, 10, 4096, { transA: true }))).toBe('columns');
  });
});
