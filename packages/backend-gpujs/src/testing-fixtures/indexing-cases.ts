/**
 * Test-only: Programs of `take` and `scatterAdd` kernels (codegen/indexing.ts) and a float64
 * reference loop written here, independent of core's interpreter. Shared by indexing.test.ts
 * (Node, both runtimes) and the browser bundle (WebGL2 textures), so the gather form of
 * scatterAdd is checked on a real shader too.
 */
import type { Backend, BufferSpec, DType, Kernel, Program, View } from '@symgrad/core';
import { TestRandom } from '@symgrad/core/testing/reference';
import { runProgramOnce } from './program-run.js';

export interface IndexingCase {
  readonly name: string;
  readonly program: Program;
  /** Each buffer's initial values (Int32Array for int32 buffers). */
  readonly init: readonly (Float32Array | Int32Array)[];
}

export interface IndexingCaseResult {
  readonly name: string;
  /** Worst ‖got − ref‖ / ‖ref‖ per buffer over its finite sums (scatterAdd outputs and takes of them). */
  readonly error: number;
  /** The first few elements out of tolerance or not exactly equal where they must be. */
  readonly failures: string[];
}

/**
 * The bound the tests hold for a scatterAdd element, against the float64 loop: |got − ref| ≤
 * INDEXING_TOL · (|old| + Σ|updates added|), the scale of recursive float32 summation's
 * error, and the same bound normwise over each buffer. Everything else (takes, int32
 * results below 2^24, NaN, ±∞, elements outside the outputs) must be exact.
 */
export const INDEXING_TOL = 1e-5;

const SENTINEL = 123.5;
const contiguous = (buffer: number, shape: readonly number[], offset = 0): View => ({
  buffer, offset, shape: [...shape], strides: shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1)),
});

class CaseBuilder {
  readonly buffers: BufferSpec[] = [];
  readonly init: (Float32Array | Int32Array)[] = [];
  buf(data: Float32Array | Int32Array): number {
    const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
    this.buffers.push({ id: this.buffers.length, dtype, size: data.length, role: 'temp' });
    this.init.push(data);
    return this.buffers.length - 1;
  }
  /** A float32 buffer of `size` sentinels (what outputs must leave alone outside their views). */
  out(size: number): number {
    return this.buf(new Float32Array(size).fill(SENTINEL));
  }
  done(name: string, kernels: Kernel[]): IndexingCase {
    return { name, program: { buffers: this.buffers, kernels }, init: this.init };
  }
}

const take = (input: View, indices: View, output: View, fill = NaN, label = 'take'): Kernel => ({ kind: 'take', input, indices, output, fill, label });
const scatterAdd = (updates: View, indices: View, output: View, label = 'scatterAdd'): Kernel => ({ kind: 'scatterAdd', updates, indices, output, label });
const floats = (rng: TestRandom, n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const ints = (rng: TestRandom, n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(lo, hi));

/** Repeated indices (200 into 3 rows, 1500 into one), strided and in-place views, NaN and ±∞ updates, int32, fills, no indices. */
export function indexingCases(): IndexingCase[] {
  const rng = new TestRandom(77);
  const cases: IndexingCase[] = [];
  {
    // 200 slices into 3 rows: each row gets ~50 of them. Indices in [−4, 3]: −3…−1 count
    // from the end, −4 and 3 are dropped. The take then reads the sums back through the
    // same indices (fill 0 where dropped).
    const b = new CaseBuilder();
    const out = b.buf(floats(rng, 2 * 3 * 4));
    const idx = b.buf(ints(rng, 200, -4, 3));
    const upd = b.buf(floats(rng, 2 * 200 * 4));
    const back = b.out(2 * 200 * 4);
    const table = contiguous(out, [2, 3, 4]);
    cases.push(b.done('200 updates into 3 rows, then taken back', [
      scatterAdd(contiguous(upd, [2, 200, 4]), contiguous(idx, [200]), table),
      take(table, contiguous(idx, [200]), contiguous(back, [2, 200, 4]), 0),
    ]));
  }
  {
    // An embedding table's gradient: 301 slices into 97 rows (texture mode sorts the indices
    // first: codegen/sorted-scatter.ts), indices in [−100, 99] so some are dropped.
    const b = new CaseBuilder();
    const out = b.buf(floats(rng, 97 * 5));
    const idx = b.buf(ints(rng, 301, -100, 99));
    const upd = b.buf(floats(rng, 301 * 5));
    cases.push(b.done('301 updates into an embedding table of 97 rows', [
      scatterAdd(contiguous(upd, [1, 301, 5]), contiguous(idx, [301]), contiguous(out, [1, 97, 5])),
    ]));
  }
  {
    // One index (−2, so row 1 of 3) read 1500 times through a stride-0 view: a loop longer
    // than gpu.js's default loopMaxIterations (1000), which a constant bound must escape.
    const b = new CaseBuilder();
    const out = b.buf(floats(rng, 3 * 2));
    const idx = b.buf(Int32Array.from([-2]));
    const upd = b.buf(floats(rng, 1500 * 2, 0.5, 1.5));
    cases.push(b.done('one index 1500 times through a stride-0 view', [
      scatterAdd(contiguous(upd, [1, 1500, 2]), { buffer: idx, offset: 0, shape: [1500], strides: [0] }, contiguous(out, [1, 3, 2])),
    ]));
  }
  {
    // The table is a transposed [2, 5, 3] view at offset 3 of a 40-element buffer (strides
    // [1, 6, 2]); the rest of the buffer must survive the in-place update. Updates are read
    // transposed, indices every other element from offset 1, and a take reads the table
    // through its broadcast outer dim (stride 0) into a transposed output.
    const b = new CaseBuilder();
    const buf = new Float32Array(40).fill(-9);
    const out = b.buf(buf);
    const tableView: View = { buffer: out, offset: 3, shape: [2, 5, 3], strides: [1, 6, 2] };
    for (let o = 0; o < 2; o++) for (let y = 0; y < 5; y++) for (let i = 0; i < 3; i++) buf[3 + o + 6 * y + 2 * i] = rng.uniform(-2, 2);
    const idx = b.buf(ints(rng, 1 + 2 * 9, -6, 5));
    const upd = b.buf(floats(rng, 9 * 3 * 2));
    const indices: View = { buffer: idx, offset: 1, shape: [9], strides: [2] };
    const picked = b.out(4 * 9 * 3 + 2);
    cases.push(b.done('transposed in-place table inside a larger buffer', [
      scatterAdd({ buffer: upd, offset: 0, shape: [2, 9, 3], strides: [1, 6, 2] }, indices, tableView),
      take({ buffer: out, offset: 3, shape: [4, 5, 3], strides: [0, 6, 2] }, indices, { buffer: picked, offset: 2, shape: [4, 9, 3], strides: [1, 12, 4] }),
    ]));
  }
  {
    // NaN and ±∞ in updates: those of a dropped index (9) add nothing; those of row 0 and
    // row 2 make it NaN / +∞; row 1 stays finite.
    const b = new CaseBuilder();
    const out = b.buf(floats(rng, 3 * 2));
    const idx = b.buf(Int32Array.from([9, 0, 1, 2, -7, 1]));
    const u = floats(rng, 6 * 2);
    u[0] = NaN; u[1] = -Infinity; u[2] = NaN; u[6] = Infinity; u[8] = Infinity; u[9] = NaN;
    const upd = b.buf(u);
    cases.push(b.done('NaN and ±∞ updates, dropped ones ignored', [scatterAdd(contiguous(upd, [1, 6, 2]), contiguous(idx, [6]), contiguous(out, [1, 3, 2]))]));
  }
  {
    // int32: values up to ±2^23 (exact in float32 storage, sums below 2^24), the −2³¹ fill
    // exact too; a float take with NaN fill of the same indices beside it.
    const b = new CaseBuilder();
    const tbl = b.buf(ints(rng, 2 * 6 * 3, -(2 ** 22), 2 ** 22));
    const idx = b.buf(ints(rng, 13, -8, 7));
    const upd = b.buf(ints(rng, 2 * 13 * 3, -(2 ** 18), 2 ** 18));
    const picked = b.buf(new Int32Array(2 * 13 * 3).fill(5));
    const ftbl = b.buf(floats(rng, 6 * 2));
    const fpicked = b.out(13 * 2);
    cases.push(b.done('int32 table and −2³¹ fill, float NaN fill', [
      take(contiguous(tbl, [2, 6, 3]), contiguous(idx, [13]), contiguous(picked, [2, 13, 3]), -(2 ** 31), 'take int32'),
      scatterAdd(contiguous(upd, [2, 13, 3]), contiguous(idx, [13]), contiguous(tbl, [2, 6, 3]), 'scatterAdd int32'),
      take(contiguous(ftbl, [1, 6, 2]), contiguous(idx, [13]), contiguous(fpicked, [1, 13, 2])),
    ]));
  }
  {
    // No indices: the output keeps its values (a loop of zero iterations).
    const b = new CaseBuilder();
    const out = b.buf(floats(rng, 4 * 3));
    const idx = b.buf(Int32Array.from([1]));
    const upd = b.buf(Float32Array.from([NaN]));
    cases.push(b.done('no indices', [
      scatterAdd({ buffer: upd, offset: 0, shape: [2, 0, 3], strides: [0, 0, 0] }, { buffer: idx, offset: 0, shape: [0], strides: [1] }, contiguous(out, [2, 2, 3])),
    ]));
  }
  return cases;
}

/** Flat buffer positions of a view's elements, row-major over its shape. */
function positions(v: View): number[] {
  const out: number[] = [];
  const walk = (d: number, at: number): void => {
    if (d === v.shape.length) return void out.push(at);
    for (let k = 0; k < v.shape[d]!; k++) walk(d + 1, at + k * v.strides[d]!);
  };
  walk(0, v.offset);
  return out;
}

/**
 * take and scatterAdd in float64, kernel by kernel in order: an index in [−size, 0) counts
 * from the end, take fills out of range, scatterAdd drops it and adds repeated ones in
 * index order. Returns the expected buffers and, per position holding a sum (a scatterAdd
 * output or a take's copy of one), the scale of its error bound (|old| + Σ|updates added|).
 */
export function indexingReference(c: IndexingCase): { want: Float64Array[]; scale: Map<number, number>[] } {
  const want = c.init.map((d) => Float64Array.from(d));
  const scale = c.init.map(() => new Map<number, number>());
  for (const k of c.program.kernels) {
    if (k.kind !== 'take' && k.kind !== 'scatterAdd') throw new Error(`indexingReference: kernel '${k.label}' is ${k.kind}`);
    const table = k.kind === 'take' ? k.input : k.output;
    const slices = k.kind === 'take' ? k.output : k.updates;
    const [outer, size, inner] = table.shape as [number, number, number];
    const n = k.indices.shape[0]!;
    const idx = positions(k.indices).map((p) => want[k.indices.buffer]![p]!);
    const tPos = positions(table), sPos = positions(slices);
    const tb = want[table.buffer]!, sb = want[slices.buffer]!;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const y = idx[j]! < 0 ? idx[j]! + size : idx[j]!;
        const ok = y >= 0 && y < size;
        for (let i = 0; i < inner; i++) {
          const t = tPos[(o * size + y) * inner + i]!, s = sPos[(o * n + j) * inner + i]!;
          if (k.kind === 'take') {
            sb[s] = ok ? tb[t]! : k.fill;
            // A copy of a sum carries the sum's error bound; anything else is copied exactly.
            const bound = ok ? scale[table.buffer]!.get(t) : undefined;
            if (bound === undefined) scale[slices.buffer]!.delete(s);
            else scale[slices.buffer]!.set(s, bound);
          } else if (ok) {
            const sc = scale[table.buffer]!;
            sc.set(t, (sc.get(t) ?? Math.abs(tb[t]!)) + Math.abs(sb[s]!));
            tb[t] = tb[t]! + sb[s]!;
          }
        }
      }
    }
  }
  return { want, scale };
}

/** Runs a case on a backend and compares every buffer with the float64 loop, element by element. */
export async function runIndexingCase(backend: Backend, c: IndexingCase): Promise<IndexingCaseResult> {
  const { want, scale } = indexingReference(c);
  const results = await runProgramOnce(backend, c.program, c.init);
  let error = 0;
  const failures: string[] = [];
  for (let i = 0; i < results.length; i++) {
    const got = results[i]!;
    let diff = 0, norm = 0;
    want[i]!.forEach((w, p) => {
      const g = got[p]!;
      // int32 sums stay below 2^24 in these cases, so they must be exact too.
      const bound = c.program.buffers[i]!.dtype === 'float32' ? scale[i]!.get(p) : undefined;
      const fail = (why: string) => failures.length < 8 && failures.push(`${c.name}: buffer ${i}[${p}]: got ${g}, want ${w}${why}`);
      if (bound === undefined || !Number.isFinite(w)) {
        if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w)) && !(g === 0 && w === 0)) fail(' exactly');
        return;
      }
      diff += (g - w) ** 2;
      norm += w ** 2;
      if (!(Math.abs(g - w) <= INDEXING_TOL * bound)) fail(` (error ${Math.abs(g - w).toExponential(2)} > ${INDEXING_TOL} · ${bound.toExponential(2)})`);
    });
    const rel = norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
    error = Math.max(error, rel);
    if (!(rel <= INDEXING_TOL)) failures.push(`${c.name}: buffer ${i}: relative error ${rel.toExponential(2)} > ${INDEXING_TOL}`);
  }
  return { name: c.name, error, failures };
}
