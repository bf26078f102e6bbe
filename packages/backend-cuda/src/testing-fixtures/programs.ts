import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { contiguousView, fn, mapKernelViews, registerBackend, type BufferSpec, type DType, type Kernel, type NDArray, type Program, type RandomDistribution, type Variable } from '@symgrad/core';
import { buildSeedStep, KERNEL_CASES, kernelCasesFor, OP_CASES, ReferenceBackend, TestRandom } from '@symgrad/core/testing';
import { CUDA_KERNEL_KINDS } from '../backend.js';

/** Test-only helpers: the Programs core lowers for the conformance suite, and nvcc. */

/** A backend that only records Programs: its executables do nothing (the results are not looked at). */
class CaptureBackend extends ReferenceBackend {
  override compile(_program: Program) {
    return { run: () => {}, dispose: () => {} };
  }
}
const CAPTURE = 'cuda-codegen-capture';
registerBackend(CAPTURE, { availability: () => ({ ok: true }), create: () => new CaptureBackend(CAPTURE, CUDA_KERNEL_KINDS) }, -100);

/** Every op case's Program, lowered and optimized by core exactly as `fn` does (default passes). */
export async function opCasePrograms(dtype: DType = 'float32', seed = 1234): Promise<Map<string, Program>> {
  const out = new Map<string, Program>();
  let k = 0;
  for (const [name, make] of Object.entries(OP_CASES)) {
    const c = make(new TestRandom(seed + 7919 * k++), dtype);
    const f = fn(c.inputs, c.outputs, { backend: CAPTURE });
    await f(...c.values);
    out.set(name, f.program!);
    f.dispose();
  }
  return out;
}

/** The kernel cases this backend runs (optional kinds it lacks left out), seeded as the conformance suite seeds them. */
export function kernelCasePrograms(seed = 1234): Map<string, Program> {
  const runs = new Set(kernelCasesFor(CUDA_KERNEL_KINDS).map(([name]) => name));
  return new Map(Object.entries(KERNEL_CASES).flatMap(([name, make], k) => (runs.has(name) ? [[name, make(new TestRandom(seed + 31 * k)).program] as const] : [])));
}

/** The Program `fn(inputs, outputs)` lowers to, as `fn` optimizes it by default, captured on a call with `values`. */
export async function programOf(inputs: readonly Variable[], outputs: readonly Variable[], values: readonly NDArray[]): Promise<Program> {
  const f = fn([...inputs], [...outputs], { backend: CAPTURE });
  await f(...values);
  const p = f.program!;
  f.dispose();
  return p;
}

/** The seed step's Program (MLP, softmax cross-entropy, SGD updates) at the given sizes, in float32 or float64. */
export async function seedStepProgram(sizes: [number, number, number, number] = [64, 48, 32, 10], rows = 37, dtype: 'float32' | 'float64' = 'float32'): Promise<Program> {
  const rng = new TestRandom(1234);
  const s = buildSeedStep(rng, sizes, 0.1, dtype);
  const f = fn([s.x, s.y], [s.loss, ...s.grads], { updates: s.updates, backend: CAPTURE });
  await f(rng.array([rows, sizes[0]], dtype, -1, 1), rng.array([rows], 'int32', 0, sizes[3] - 1));
  const p = f.program!;
  f.dispose();
  s.weights.forEach((w) => w.dispose());
  return p;
}

/** Several Programs as one (buffers renumbered), so one file holds all their kernels. */
export function concatPrograms(programs: Iterable<Program>): Program {
  const buffers: BufferSpec[] = [];
  const kernels: Kernel[] = [];
  for (const p of programs) {
    const base = buffers.length;
    for (const b of p.buffers) buffers.push({ ...b, id: base + b.id });
    for (const k of p.kernels) kernels.push(mapKernelViews(k, (v) => ({ ...v, buffer: base + v.buffer })));
  }
  return { buffers, kernels };
}

/** The nvcc on PATH (or /usr/local/cuda/bin/nvcc), if any. */
export function findNvcc(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/local/cuda/bin']) {
    if (dir && existsSync(join(dir, 'nvcc'))) return join(dir, 'nvcc');
  }
  return undefined;
}

/** Runs a command, resolving with its exit code and output (never rejecting). */
export function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** Runs tasks at most `limit` at a time. */
export async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** What the guard elements around random outputs hold (a kernel must leave them alone). */
export const SENTINEL = 12345;
const DRAWS: readonly (readonly [RandomDistribution, DType])[] = [['uniform', 'float32'], ['uniform', 'float64'], ['normal', 'float32'], ['normal', 'float64'], ['bits', 'int32']];

/** A Program with the initial contents of its buffers. */
export interface HostCase { readonly program: Program; readonly init: readonly Float64Array[] }

/**
 * Random kernels of every distribution and dtype at each size, all reading one state buffer
 * (the state at offset 2, guards around it); each draw has an output with three guard
 * elements (SENTINEL) on each side and a `next`.
 */
export function randomDrawsCase(state: readonly number[], sizes: readonly number[]): HostCase {
  const buffers: BufferSpec[] = [];
  const init: Float64Array[] = [];
  const buf = (dtype: DType, values: readonly number[]) => {
    buffers.push({ id: buffers.length, dtype, size: values.length, role: 'temp' });
    init.push(Float64Array.from(values));
    return buffers.length - 1;
  };
  const st = buf('int32', [SENTINEL, SENTINEL, ...state, SENTINEL]);
  const kernels: Kernel[] = [];
  for (const n of sizes) {
    for (const [distribution, dtype] of DRAWS) {
      const out = buf(dtype, new Array<number>(n + 6).fill(SENTINEL));
      const next = buf('int32', [SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
      kernels.push({
        kind: 'random', distribution, dtype, state: { buffer: st, offset: 2, shape: [4], strides: [1] },
        output: { buffer: out, offset: 3, shape: [n], strides: [1] }, next: contiguousView(next, [4]), label: `${distribution} ${dtype} ${n}`,
      });
    }
  }
  return { program: { buffers, kernels }, init };
}
