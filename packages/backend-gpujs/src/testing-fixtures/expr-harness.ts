import { evalScalarExpr, sx, type DType, type ElementwiseKernel, type Program, type ScalarExpr } from '@symgrad/core';
import type { TestRandom } from '@symgrad/core/testing/reference';
import { generateProgram, isHostLaunch } from '../codegen/generate.js';
import type { KernelLaunch } from '../codegen/source.js';
import type { GpujsBackend } from '../backend.js';

/**
 * Test-only helpers: run scalar expressions as one elementwise kernel over n elements,
 * either through gpu.js (a real backend) or by evaluating the generated source as plain
 * JavaScript (renderer correctness without gpu.js).
 */

export function elementwiseProgram(exprs: readonly ScalarExpr[], inputDtypes: readonly DType[], n: number): Program {
  const view = (buffer: number) => ({ buffer, offset: 0, shape: [n], strides: [1] });
  const buffers = [
    ...inputDtypes.map((dtype, id) => ({ id, dtype, size: n, role: 'input' as const })),
    ...exprs.map((e, j) => ({ id: inputDtypes.length + j, dtype: e.dtype, size: n, role: 'output' as const })),
  ];
  const kernel: ElementwiseKernel = {
    kind: 'elementwise', shape: [n], inputs: inputDtypes.map((_, i) => view(i)), outputs: exprs.map((_, j) => view(inputDtypes.length + j)), exprs, label: 'test',
  };
  return { buffers, kernels: [kernel] };
}

/** Evaluates a launch's source as plain JavaScript, one call per thread. */
export function runLaunchAsJs(l: KernelLaunch, buffers: ReadonlyMap<number, Float32Array>): Float64Array {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from numbers and fixed names only
  const f = new Function(`return ${l.source};`)() as (...a: Float32Array[]) => number;
  const out = new Float64Array(l.size);
  const args = l.params.map((p) => buffers.get(p)!);
  for (let i = 0; i < l.size; i++) out[i] = f.call({ thread: { x: i, y: 0, z: 0 } }, ...args);
  return out;
}

/** Results of each expression over the inputs, through the generated source evaluated as JS. */
export function evalAsJs(exprs: readonly ScalarExpr[], inputDtypes: readonly DType[], inputs: readonly number[][]): number[][] {
  const n = inputs[0]?.length ?? 1;
  const launches = generateProgram(elementwiseProgram(exprs, inputDtypes, n), 1 << 24);
  const bufs = new Map(inputs.map((v, i) => [i, Float32Array.from(v)]));
  return launches.map((l) => {
    if (isHostLaunch(l)) throw new Error('evalAsJs: elementwise programs have no host launches');
    return Array.from(runLaunchAsJs(l, bufs), (v) => v);
  });
}

/** Results of each expression over the inputs, through a gpu.js backend. */
export async function evalOnBackend(backend: GpujsBackend, exprs: readonly ScalarExpr[], inputDtypes: readonly DType[], inputs: readonly number[][]): Promise<number[][]> {
  const n = inputs[0]?.length ?? 1;
  const program = elementwiseProgram(exprs, inputDtypes, n);
  const table = program.buffers.map((b) => backend.allocate(b.dtype, b.size));
  inputs.forEach((v, i) => backend.write(table[i]!, Float32Array.from(v)));
  const exe = backend.compile(program, { precision: 'fp32' });
  exe.run(table);
  const out = await backend.readMany(table.slice(inputDtypes.length));
  exe.dispose();
  for (const b of table) backend.free(b);
  return out.map((a) => Array.from(a, (v) => v));
}

/** The reference values: evalScalarExpr per element. */
export function evalReference(exprs: readonly ScalarExpr[], inputs: readonly number[][]): number[][] {
  const n = inputs[0]?.length ?? 1;
  return exprs.map((e) => Array.from({ length: n }, (_, i) => evalScalarExpr(e, inputs.map((v) => v[i]!))));
}

/** Whether a result matches the reference: exact for int32/bool, relative 1e-5 for float32; NaN matches NaN. */
export function close(dtype: DType, got: number, want: number, rel = 1e-5): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (dtype !== 'float32' && dtype !== 'float64') return got === want;
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= rel * Math.max(1, Math.abs(want));
}

const UNARY = ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'square', 'abs', 'sign', 'tanh', 'sigmoid', 'relu'] as const;
const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum'] as const;
const COMPARE = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'] as const;

/** A random float32 expression DAG over `inputs` inputs, sharing subtrees; domains kept safe so values stay finite. */
export function randomExpr(rng: TestRandom, inputs: number, depth: number): ScalarExpr {
  const pool: ScalarExpr[] = Array.from({ length: inputs }, (_, i) => sx.input(i, 'float32'));
  const f = 'float32' as const;
  const build = (d: number): ScalarExpr => {
    if (d === 0 || rng.next() < 0.2) return rng.next() < 0.8 ? rng.pick(pool) : sx.const(Math.round(rng.uniform(-3, 3) * 4) / 4, f);
    const r = rng.next();
    let e: ScalarExpr;
    if (r < 0.35) {
      // Unary ops on a bounded argument (tanh squashes), so exp/log stay in range.
      const op = rng.pick(UNARY);
      const a = sx.unary('tanh', build(d - 1));
      const arg = op === 'log' || op === 'sqrt' || op === 'rsqrt' ? sx.binary('add', sx.unary('abs', a), sx.const(0.5, f), f) : op === 'log1p' ? sx.unary('abs', a) : a;
      e = sx.unary(op, arg);
    } else if (r < 0.75) {
      const op = rng.pick(BINARY.filter((o) => o !== 'pow' && o !== 'div'));
      e = sx.binary(op, build(d - 1), build(d - 1), f);
    } else if (r < 0.9) {
      e = sx.where(sx.binary(rng.pick(COMPARE), build(d - 1), build(d - 1), 'bool'), build(d - 1), build(d - 1), f);
    } else {
      e = sx.binary('div', build(d - 1), sx.binary('add', sx.unary('abs', build(d - 1)), sx.const(1, f), f), f);
    }
    pool.push(e);
    return e;
  };
  return build(depth);
}

export { UNARY, BINARY, COMPARE };
