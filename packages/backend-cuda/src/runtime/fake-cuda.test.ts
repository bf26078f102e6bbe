import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestRandom } from '@symgrad/core/testing';
import { FAKE_CUDA_SOURCES, fakeCudaWorkspace, runWithFakeCuda } from '../testing-fixtures/fake-cuda.js';

// The addon end to end over a fake CUDA userspace (src/testing-fixtures/fake-cuda): the real
// addon and the built package run in a child process against host implementations of the
// driver, NVRTC, cuBLAS and cuBLASLt, which check API use as the CUDA docs describe. GEMMs
// compute on the host and generated kernels run there too (compiled as host C++, each block's
// threads as fibers); these cases check the API use (capture, streams, epilogues, errors), and
// fake-cuda-conformance.test.ts the numerics of every kernel. Child scripts live inside the
// package so that '@symgrad/core' and '@symgrad/backend-cuda' resolve to the built packages (dist).
const { scratch, libDir, reason, cxx } = fakeCudaWorkspace('run-');

// The child: builds the function named by FAKE_CASE from the cases below, runs it on
// JSON inputs and prints the outputs (and shared variables) as one JSON line.
const RUNNER = `
import { fn, T, NDArray, shared, listBackends } from '@symgrad/core';
import { cudaBackendFactory, cudaInfo } from '@symgrad/backend-cuda';
import { readFileSync } from 'node:fs';
const spec = JSON.parse(readFileSync(process.env.FAKE_INPUTS, 'utf8'));
const arr = (a) => new NDArray(a.dtype ?? 'float32', a.shape, a.dtype === 'float64' ? Float64Array.from(a.data) : Float32Array.from(a.data));
const dump = (o) => ({ shape: o.shape, data: Array.from(o.data) });
const out = (v) => console.log('RESULT ' + JSON.stringify(v));
const opts = { backend: 'cuda' };
const kind = process.env.FAKE_CASE;
if (kind === 'info') {
  const a = cudaBackendFactory.availability();
  const backend = cudaBackendFactory.create();
  out({ availability: a, device: backend.capabilities.device, backends: await listBackends(), info: cudaInfo() });
} else if (kind === 'seed') {
  // The seed step with its updates, as the benchmark runs it: only what the graph looks like is checked.
  const { buildSeedStep, TestRandom } = await import('@symgrad/core/testing/reference');
  const rng = new TestRandom(3);
  const st = buildSeedStep(rng, [64, 48, 32, 10], 0.1);
  const train = fn([st.x, st.y], st.loss, { ...opts, updates: st.updates });
  const X = rng.array([37, 64], 'float32', -1, 1), Y = rng.array([37], 'int32', 0, 9);
  for (let c = 0; c < 3; c++) await train(X, Y);
  out({ kernels: train.program.kernels.map((k) => k.kind + '[' + k.label + ']') });
} else if (kind === 'oom') {
  const x = T.matrix('x');
  const f = fn([x], T.dot(x, x), opts);
  let error;
  try { await f(arr(spec.big)); } catch (e) { error = { message: e.message, code: e.code }; }
  const small = await f(arr(spec.small));
  out({ error, small: dump(small) });
} else {
  // Generic: spec.inputs are the fn inputs, spec.shared the shared variables, and
  // spec.calls how many times to call (shared variables are dumped after each call).
  const inputs = spec.inputs.map((a, i) => (a.dtype === 'float64' ? [T.dscalar, T.dvector, T.dmatrix, T.dtensor3] : [T.scalar, T.vector, T.matrix, T.ftensor3])[a.shape.length]('in' + i));
  const sh = (spec.shared ?? []).map((a, i) => shared(arr(a), 'sh' + i));
  const build = new Function('T', 'x', 's', 'return (' + spec.body + ')(x, s);');
  const { outputs, updates } = build(T, inputs, sh);
  const f = fn(inputs, outputs, { ...opts, updates: updates ?? [] });
  const calls = [];
  for (let c = 0; c < (spec.calls ?? 1); c++) {
    const args = (spec.callInputs?.[c] ?? spec.inputs).map(arr);
    const r = await f(...args);
    calls.push({ outputs: (Array.isArray(r) ? r : [r]).map(dump), shared: sh.map((s) => dump(s.get())) });
  }
  out({ calls });
}
`;
const runner = join(scratch, 'runner.mjs');
writeFileSync(runner, RUNNER);

// ---- host references ---------------------------------------------------------------
interface Arr { shape: number[]; data: number[]; dtype?: 'float32' | 'float64' }
let seed = 1;
function rand(shape: number[], dtype: 'float32' | 'float64' = 'float32'): Arr {
  const r = new TestRandom(seed++ * 7919);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => r.uniform(-1, 1)).map((v) => (dtype === 'float32' ? Math.fround(v) : v));
  return { shape, data, dtype };
}
/** Row-major (batched) matmul in float64 with optional transposes of the last two axes. */
function matmul(a: Arr, b: Arr, transA = false, transB = false): Arr {
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
  const batch = Math.max(a.shape.length > 2 ? a.shape[0]! : 1, b.shape.length > 2 ? b.shape[0]! : 1);
  const data: number[] = [];
  for (let t = 0; t < batch; t++) {
    const ao = a.shape.length > 2 ? t * ar * ac : 0, bo = b.shape.length > 2 ? t * br * bc : 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += a.data[ao + (transA ? l * ac + i : i * ac + l)]! * b.data[bo + (transB ? j * bc + l : l * bc + j)]!;
        data.push(s);
      }
  }
  return { shape: [...(a.shape.length > 2 || b.shape.length > 2 ? [batch] : []), m, n], data };
}
const map = (a: Arr, f: (v: number, i: number) => number): Arr => ({ shape: a.shape, data: a.data.map(f) });
const relu = (a: Arr) => map(a, (v) => Math.max(0, v));
const addRow = (a: Arr, bias: Arr) => map(a, (v, i) => v + bias.data[i % bias.data.length]!);

function expectClose(got: { shape: number[]; data: number[] } | undefined, ref: Arr, what: string) {
  expect(got, what).toBeDefined();
  expect(got!.shape, `${what}: shape`).toEqual(ref.shape);
  const scale = Math.max(1e-30, ...ref.data.map(Math.abs));
  const err = Math.max(0, ...got!.data.map((v, i) => Math.abs(v - ref.data[i]!)));
  expect(Number.isFinite(err) && err / scale <= 1e-5, `${what}: max relative error ${err / scale}`).toBe(true);
}

interface Spec { inputs: Arr[]; shared?: Arr[]; body: string; calls?: number; callInputs?: Arr[][] }
let caseNo = 0;
async function runCase(kind: string, spec: object, env: Record<string, string> = {}) {
  const n = caseNo++;
  const inputs = join(scratch, `in-${n}.json`), log = join(scratch, `log-${n}.txt`);
  writeFileSync(inputs, JSON.stringify(spec));
  writeFileSync(log, '');
  const r = await runWithFakeCuda(libDir!, runner, { FAKE_CASE: kind, FAKE_INPUTS: inputs, FAKE_CUDA_LOG: log, ...env });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  const logLines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  expect(line, `child exited ${r.code}:\n${r.stderr}\n${r.stdout}\nlog tail:\n${logLines.slice(-20).join('\n')}`).toBeDefined();
  expect(r.code, r.stderr).toBe(0);
  return { result: JSON.parse(line!.slice(7)), log: logLines, stderr: r.stderr };
}
const ops = (log: string[], op: string, mode?: string) => log.filter((l) => l.startsWith(`op=${op} `) && (!mode || l.includes(` mode=${mode} `)));

describe.skipIf(!libDir)(`the addon over a fake CUDA userspace${libDir ? '' : ` (skipped: ${reason})`}`, () => {
  it('a. reports the fake device as available', async () => {
    const { result } = await runCase('info', {});
    expect(result.availability).toEqual({ ok: true });
    expect(result.device).toMatch(/^Fake CUDA device \(sm_90, CUDA driver 13\.0\)/);
    expect(result.backends.find((b: { name: string }) => b.name === 'cuda')).toMatchObject({ available: true });
    expect(result.info.driver.path).toBe(join(libDir!, 'libcuda.so.1'));
    expect(result.info.cublasLt).toMatchObject({ found: true, version: '13.0.0' });
  });

  // N and K above 16 throughout: narrower products run as generated kernels (fake-cuda-skinny.test.ts).
  it('b. plain matmuls through cuBLAS: sizes 1, 7, 19, 33, transposes, float64, batched 3-d', async () => {
    const [a, b, at, bt, v1, v2] = [rand([7, 19]), rand([19, 33]), rand([19, 7]), rand([33, 19]), rand([1, 19]), rand([19, 17])];
    const [d1, d2, b3a, b3b] = [rand([19, 17], 'float64'), rand([17, 33], 'float64'), rand([3, 7, 19]), rand([3, 19, 17])];
    const spec: Spec = {
      inputs: [a, b, at, bt, v1, v2, d1, d2, b3a, b3b],
      body: `(x) => ({ outputs: [T.dot(x[0], x[1]), T.matmul(x[2], x[1], { transA: true }), T.matmul(x[0], x[3], { transB: true }),
        T.matmul(x[2], x[3], { transA: true, transB: true }), T.dot(x[4], x[5]), T.dot(x[4], x[1]), T.dot(x[6], x[7]), T.matmul(x[8], x[9])] })`,
      calls: 2,
    };
    const { result, log } = await runCase('fn', spec, { SYMGRAD_CUDA_GEMM: 'cublas' });
    const refs = [matmul(a, b), matmul(at, b, true), matmul(a, bt, false, true), matmul(at, bt, true, true), matmul(v1, v2), matmul(v1, b), matmul(d1, d2), matmul(b3a, b3b)];
    for (const call of result.calls) refs.forEach((r, i) => expectClose(call.outputs[i], r, `output ${i}`));
    const gemms = ops(log, 'gemm');
    expect(gemms.length).toBeGreaterThanOrEqual(8);
    expect(gemms.every((l) => l.includes('lib=cublas '))).toBe(true);
    expect(gemms.some((l) => l.includes('dtype=f64'))).toBe(true);
    expect(gemms.some((l) => / batch=3 /.test(l))).toBe(true);
    expect(ops(log, 'gemm', 'replay').length, 'the second call replays the captured graph').toBeGreaterThanOrEqual(8);
  });

  it('c. cuBLASLt epilogues: relu, bias, relu(bias), batched + bias, with no generated kernels', async () => {
    // Each epilogue gets its own matmul: a product with several consumers cannot fuse any.
    const [x, w1, w2, w3, bias, xb, wb] = [rand([7, 19]), rand([19, 33]), rand([19, 33]), rand([19, 33]), rand([33]), rand([3, 7, 19]), rand([3, 19, 33])];
    const spec: Spec = {
      inputs: [x, w1, w2, w3, bias, xb, wb],
      body: `(x) => ({ outputs: [T.relu(T.dot(x[0], x[1])), T.add(T.dot(x[0], x[2]), x[4]), T.relu(T.add(T.dot(x[0], x[3]), x[4])),
        T.add(T.matmul(x[5], x[6]), x[4])] })`,
      calls: 2,
    };
    const { result, log } = await runCase('fn', spec, { SYMGRAD_CUDA_GEMM: 'cublasLt' });
    const refs = [relu(matmul(x, w1)), addRow(matmul(x, w2), bias), relu(addRow(matmul(x, w3), bias)), addRow(matmul(xb, wb), bias)];
    for (const call of result.calls) refs.forEach((r, i) => expectClose(call.outputs[i], r, `output ${i}`));
    expect(ops(log, 'kernel'), 'no generated kernel may run: the epilogues belong to cuBLASLt').toEqual([]);
    expect(ops(log, 'gemm'), 'no plain cuBLAS GEMM in cuBLASLt mode').toEqual([]);
    const replayed = ops(log, 'ltmatmul', 'replay');
    for (const e of ['RELU', 'BIAS', 'RELU_BIAS']) expect(replayed.some((l) => l.includes(` epilogue=${e} `)), e).toBe(true);
    expect(replayed.some((l) => / batch=3 .* epilogue=BIAS /.test(l))).toBe(true);
  });

  // x·w1, x·w2, (x·w1)·w3 and q·s (s shared) are independent enough to fork.
  const streamsSpec = (): { spec: Spec; refs: (calls: number) => Arr[][] } => {
    const [x, w1, w2, w3, q, s] = [rand([7, 19]), rand([19, 33]), rand([19, 17]), rand([33, 19]), rand([19, 19]), rand([19, 33])];
    const x2 = rand([7, 19]);
    return {
      spec: {
        inputs: [x, w1, w2, w3, q],
        callInputs: [[x, w1, w2, w3, q], [x2, w1, w2, w3, q]],
        shared: [s],
        body: `(x, s) => ({ outputs: [T.dot(x[0], x[1]), T.dot(x[0], x[2]), T.dot(T.dot(x[0], x[1]), x[3]), T.dot(x[4], s[0])] })`,
        calls: 2,
      },
      refs: () => {
                return [x, x2].map((xi) => [matmul(xi, w1), matmul(xi, w2), matmul(matmul(xi, w1), w3), matmul(q, s)]);
      },
    };
  };
  for (const gemm of ['cublas', 'cublasLt']) {
    it(`d. SYMGRAD_CUDA_STREAMS=2 (${gemm}): forked capture joins, results right, graph uses 2 streams`, async () => {
      const { spec, refs } = streamsSpec();
      const { result, log } = await runCase('fn', spec, { SYMGRAD_CUDA_STREAMS: '2', SYMGRAD_CUDA_GEMM: gemm });
      const want = refs(2);
      result.calls.forEach((call: { outputs: Arr[]; shared: Arr[] }, c: number) => {
        want[c]!.forEach((r, i) => expectClose(call.outputs[i], r, `call ${c} output ${i}`));
      });
      const gemmOp = gemm === 'cublas' ? 'gemm' : 'ltmatmul';
      const replayed = ops(log, gemmOp, 'replay');
      expect(replayed.length).toBeGreaterThanOrEqual(4);
      const streams = new Set(replayed.map((l) => /stream=(\d+)/.exec(l)![1]));
      expect(streams.size, `GEMMs replayed on streams ${[...streams].join(', ')}`).toBe(2);
    });
  }

  it('c. cuBLASLt relu and its gradient: the relu inside the forward GEMM, the gradient a generated epilogue (0 where h is 0)', async () => {
    const x = rand([7, 19]);
    for (let c = 0; c < 19; c++) x.data[3 * 19 + c] = 0; // a zero row: pre-activations exactly 0, gradient 0 there
    const [w1, d, w2] = [rand([19, 130]), rand([7, 17]), rand([130, 17])];
    const spec: Spec = {
      inputs: [x, w1, d, w2],
      body: `(x) => { const h = T.relu(T.dot(x[0], x[1])); return { outputs: [h, T.where(T.gt(h, 0), T.dot(x[2], T.transpose(x[3])), 0)] }; }`,
      calls: 2,
    };
    const { result, log } = await runCase('fn', spec, { SYMGRAD_CUDA_GEMM: 'cublasLt' });
    const h = relu(matmul(x, w1));
    const back = matmul(d, w2, false, true);
    for (const call of result.calls) {
      expectClose(call.outputs[0], h, 'relu(x·w1)');
      expectClose(call.outputs[1], map(back, (v, i) => (h.data[i]! > 0 ? v : 0)), 'where(h > 0, d·w2ᵀ, 0)');
    }
    expect(ops(log, 'kernel', 'replay'), 'the gradient\'s epilogue, once per call').toHaveLength(2);
    const replayed = ops(log, 'ltmatmul', 'replay');
    expect(replayed.filter((l) => l.includes('epilogue=RELU '))).toHaveLength(2);
    expect(replayed.filter((l) => l.includes('epilogue=DEFAULT '))).toHaveLength(2);
  });

  for (const gemm of ['cublas', 'cublasLt']) {
    it(`g. the seed step with SYMGRAD_CUDA_STREAMS=2 and ${gemm}: captured once, replayed, on two streams`, async () => {
      const { result, log } = await runCase('seed', {}, { SYMGRAD_CUDA_GEMM: gemm, SYMGRAD_CUDA_STREAMS: '2' });
      expect(result.kernels.filter((k: string) => k.startsWith('matmul'))).toHaveLength(8);
      // Of the 8 products, the three with N or K of 10 run as generated kernels (kernels-matmul-skinny.ts).
      const replayed = log.filter((l) => l.includes(' mode=replay '));
      const streams = new Set(replayed.map((l) => / stream=(\d+) /.exec(l)?.[1]));
      expect(streams.size, 'the replayed graph runs on two streams').toBe(2);
      const gemms = ops(log, gemm === 'cublasLt' ? 'ltmatmul' : 'gemm', 'replay');
      expect(gemms).toHaveLength(3 * 5);
      // Under cuBLASLt both forward relus run inside their GEMMs.
      if (gemm === 'cublasLt') expect(gemms.filter((l) => l.includes('epilogue=RELU '))).toHaveLength(3 * 2);
    });
  }

  // A shared variable whose next value is a GEMM of its current value: the GEMM must not
  // write into the buffer it reads (the fakes fail such overlap with CUDA_ERROR_ILLEGAL_ADDRESS,
  // as happened before core kept the product out of the variable's buffer). The product now
  // lands in a temporary and a generated kernel copies it into s: both calls run, the GEMM
  // replays, the copy follows it, and s holds q^T s, then q^T q^T s.
  for (const streams of ['1', '2']) {
    it(`f. update s <- q^T s of a shared variable: no GEMM writes what it reads (streams=${streams})`, async () => {
      const [q, s] = [rand([19, 19]), rand([19, 33])];
      const spec: Spec = { inputs: [q], shared: [s], body: `(x, s) => ({ outputs: [T.dot(x[0], x[0])], updates: [[s[0], T.matmul(x[0], s[0], { transA: true })]] })`, calls: 2 };
      const { result, log } = await runCase('fn', spec, { SYMGRAD_CUDA_GEMM: 'cublas', SYMGRAD_CUDA_STREAMS: streams });
      expectClose(result.calls[1].outputs[0], matmul(q, q), 'q·q on the second call');
      const s1 = matmul(q, s, true);
      expectClose(result.calls[0].shared[0], s1, 's after the first call');
      expectClose(result.calls[1].shared[0], matmul(q, s1, true), 's after the second call');
      expect(ops(log, 'gemm', 'replay').length).toBe(4);
      expect(ops(log, 'kernel', 'replay').length, 'the copy into s').toBe(2);
    });
  }

  // The kernel emulation on its own, through the driver and NVRTC APIs (no addon): compile
  // errors, 3-D geometry, barriers, shuffles, atomics (float, double, wrapping int),
  // parameters copied at launch, bad pointers, writes out of bounds, divergent barriers.
  it('h. the fakes run kernels as CUDA would (fake-cuda/simt_selftest.cc)', () => {
    const exe = join(scratch, 'simt-selftest');
    const src = join(FAKE_CUDA_SOURCES, 'simt_selftest.cc');
    execFileSync(cxx!, ['-std=c++17', '-O1', '-Wall', '-Werror', '-o', exe, src, join(libDir!, 'libcuda.so.1'), join(libDir!, 'libnvrtc.so.13'), `-Wl,-rpath,${libDir!}`]);
    let out: string;
    try {
      out = execFileSync(exe, { env: { ...process.env, FAKE_CUDA_CXX: cxx!, FAKE_CUDA_LOG: '' }, stdio: 'pipe' }).toString();
    } catch (e) {
      const err = e as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`simt_selftest failed:\n${err.stdout?.toString() ?? ''}\n${err.stderr?.toString() ?? ''}`);
    }
    expect(out.split('\n').filter((l) => l.startsWith('ok ')).length).toBe(11);
  });

  it('e. out of device memory is an Error the process survives', async () => {
    // The addon holds a 32 MiB cuBLAS workspace; a 40 MiB limit leaves no room for a 16 MiB input.
    const n = 2048;
    const big = { shape: [n, n], data: Array.from({ length: n * n }, (_, i) => (i % 7) - 3) };
    const small = rand([7, 7]);
    const { result } = await runCase('oom', { big, small }, { FAKE_CUDA_MEM_LIMIT: String(40 << 20) });
    expect(result.error?.message).toMatch(/out of device memory/);
    expectClose(result.small, matmul(small, small), 'small matmul after the failure');
  });
});
