/**
 * Test-only browser page script (bundled by browser.test.ts): runs the renderer cases, the
 * kernel conformance cases and the precision measurements on gpu.js in the browser, and
 * leaves the results on `window.gpujsResults`.
 */
import { fn, T, type NDArray, type Variable } from '@symgrad/core';
import { buildSeedStep, evaluateReference, kernelCasesFor, relativeError, runKernelCase, TestRandom } from '@symgrad/core/testing/reference';
import * as GpuJs from 'gpu.js';
import { GPU } from 'gpu.js';
import { GpujsBackend } from '../index.js';
import { describeMode, type GpuLike } from '../runtime/gpu-loader.js';
import { close, evalOnBackend, evalReference } from './expr-harness.js';
import { exprCases } from './expr-cases.js';
import { installGlTextureCounter, pipelineChecks, type PipelineResults } from './browser-pipeline.js';
import { indexingCases, runIndexingCase, type IndexingCaseResult } from './indexing-cases.js';
import { measurePrecision, type PrecisionResults } from './precision-cases.js';
import { runSoftmaxCase, softmaxCases, type SoftmaxCaseResult } from './softmax-cases.js';

export interface BrowserResults {
  device: string;
  /** Renderer cases whose results differ from evalScalarExpr, with the first few differences. */
  exprFailures: { name: string; bad: { i: number; want: number; got: number; inputs: number[] }[] }[];
  exprCases: number;
  /** Largest relative error per kernel case and buffer. */
  kernelErrors: Record<string, number>;
  /** Worst float32 element-wise relative error over the renderer cases (values ≥ 1e-3). */
  exprMaxRelError: number;
  seedStepErrors: number[];
  matmulError: number;
  /** Texture pipeline checks (browser-pipeline.ts); texture mode is the default in WebGL2. */
  pipeline?: PipelineResults;
  textureMode?: boolean;
  /** The README's precision cases (precision-cases.ts), in texture mode. */
  precision?: PrecisionResults;
  /** softmax-cases.ts in texture mode: the special-value rules on a real shader. */
  softmax?: SoftmaxCaseResult[];
  /** indexing-cases.ts in texture mode: scatterAdd's gather loop and take's fills on a real shader. */
  indexing?: IndexingCaseResult[];
  /**
   * The kernel, softmax and indexing cases again on WebGL 1 (gpu.js's 'webgl' mode, texture
   * mode too): GLSL ES 1.00's limits (constant loop bounds and vector indices) on the
   * generated sources, packed scratch textures included.
   */
  webgl1?: { device: string; kernelErrors: Record<string, number>; softmaxFailures: string[]; indexingFailures: string[]; indexingWorst: number };
  /** 24 inputs summed and each doubled in one function: fusion must stay within the shader's texture units. */
  wideFusion?: { kernels: number; error: number };
  error?: string;
}

async function main(): Promise<BrowserResults> {
  installGlTextureCounter();
  const backend = await GpujsBackend.create();
  const out: BrowserResults = { textureMode: backend.textureMode, device: backend.capabilities.device, exprFailures: [], exprCases: 0, kernelErrors: {}, exprMaxRelError: 0, seedStepErrors: [], matmulError: NaN };
  for (const c of exprCases()) {
    out.exprCases++;
    const got = (await evalOnBackend(backend, [c.expr], c.dtypes, c.inputs))[0]!;
    const want = evalReference([c.expr], c.inputs)[0]!;
    const bad = want.map((w, i) => ({ i, want: w, got: got[i]!, inputs: c.inputs.map((v) => v[i]!) })).filter((d) => !close(c.expr.dtype, d.got, d.want, 1e-4));
    if (bad.length) out.exprFailures.push({ name: c.name, bad: bad.slice(0, 4) });
    if (c.expr.dtype === 'float32') {
      want.forEach((w, i) => {
        if (Number.isFinite(w) && Math.abs(w) >= 1e-3) out.exprMaxRelError = Math.max(out.exprMaxRelError, Math.abs(got[i]! - w) / Math.abs(w));
      });
    }
  }
  for (const [name, make] of kernelCasesFor(backend.capabilities.kernels)) {
    out.kernelErrors[name] = Math.max(...(await runKernelCase(backend, make(new TestRandom(1234)))));
  }
  out.softmax = [];
  for (const c of softmaxCases()) out.softmax.push(await runSoftmaxCase(backend, c));
  out.indexing = [];
  for (const c of indexingCases()) out.indexing.push(await runIndexingCase(backend, c));
  backend.dispose();
  const rng = new TestRandom(11);
  const s = buildSeedStep(rng, [64, 48, 32, 10], 0.1);
  const X = rng.array([37, 64]);
  const Y = rng.array([37], 'int32', 0, 9);
  const bind = new Map<Variable, NDArray>([[s.x, X], [s.y, Y]]);
  s.weights.forEach((w) => bind.set(w, w.get()));
  const f = fn([s.x, s.y], [s.loss, ...s.grads], { backend: 'gpujs' });
  const got = await f(X, Y);
  const want = evaluateReference([s.loss, ...s.grads], bind);
  out.seedStepErrors = got.map((g, i) => relativeError(g.data, want[i]!.data));
  const mr = new TestRandom(5);
  const a = T.matrix('a');
  const b = T.matrix('b');
  const A = mr.array([96, 80]);
  const B = mr.array([80, 72]);
  const mm = await fn([a, b], T.dot(a, b), { backend: 'gpujs' })(A, B);
  out.matmulError = relativeError(mm.data, evaluateReference([T.dot(a, b)], new Map<Variable, NDArray>([[a, A], [b, B]]))[0]!.data);
  const xs = Array.from({ length: 24 }, (_, i) => T.vector(`x${i}`));
  const wide = fn(xs, [xs.reduce((acc, x) => T.add(acc, x)), ...xs.map((x) => T.mul(x, 2))], { backend: 'gpujs' });
  const wr = new TestRandom(6);
  const data = xs.map(() => wr.array([29]));
  const outs = await wide(...data);
  const sum = Float64Array.from({ length: 29 }, (_, j) => data.reduce((acc, d) => acc + d.data[j]!, 0));
  out.wideFusion = {
    kernels: wide.stats().kernels,
    error: Math.max(relativeError(outs[0]!.data, sum), ...data.map((d, i) => relativeError(outs[i + 1]!.data, Float64Array.from(d.data, (v) => 2 * v)))),
  };
  out.precision = await measurePrecision('gpujs');
  out.pipeline = await pipelineChecks();
  out.webgl1 = await webgl1Checks();
  return out;
}

async function webgl1Checks(): Promise<NonNullable<BrowserResults['webgl1']>> {
  const gpu = new GPU({ mode: 'webgl' }) as unknown as GpuLike;
  const backend = new GpujsBackend(gpu, describeMode(gpu, GpuJs as unknown as Record<string, unknown>), { textures: true });
  const kernelErrors: Record<string, number> = {};
  for (const [name, make] of kernelCasesFor(backend.capabilities.kernels)) {
    kernelErrors[name] = Math.max(...(await runKernelCase(backend, make(new TestRandom(1234)))));
  }
  const softmaxFailures: string[] = [];
  for (const c of softmaxCases()) softmaxFailures.push(...(await runSoftmaxCase(backend, c)).failures.map((f) => `${c.name}: ${f}`));
  const indexingFailures: string[] = [];
  let indexingWorst = 0;
  for (const c of indexingCases()) {
    const r = await runIndexingCase(backend, c);
    indexingFailures.push(...r.failures.map((f) => `${c.name}: ${f}`));
    indexingWorst = Math.max(indexingWorst, r.error);
  }
  const device = backend.capabilities.device;
  backend.dispose();
  return { device, kernelErrors, softmaxFailures, indexingFailures, indexingWorst };
}

(window as unknown as { gpujsResults: Promise<BrowserResults> }).gpujsResults = main().catch((err: Error) => ({
  device: '', exprFailures: [], exprCases: 0, kernelErrors: {}, exprMaxRelError: 0, seedStepErrors: [], matmulError: NaN, error: `${err.message}\n${err.stack ?? ''}`,
}));
