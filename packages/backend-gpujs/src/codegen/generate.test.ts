import { describe, expect, it } from 'vitest';
import { sx, type DType, type Kernel, type View } from '@symgrad/core';
import { toBufferLaunch } from './buffer-launch.js';
import { generateKernel, isHostLaunch } from './generate.js';
import { KernelSourceBuilder, type KernelLaunch } from './source.js';

// The generated gpu.js source of one kernel of each kind, as file snapshots: pure functions
// of the IR, reviewable without gpu.js.
const view = (buffer: number, shape: number[], strides: number[], offset = 0): View => ({ buffer, offset, shape, strides });
const f32 = () => 'float32' as const;
/** The gpu.js launches of a kernel (every kind but `random`, which runs on the host). */
const gpuLaunches = (k: Kernel, dtypeOf: (id: number) => DType): KernelLaunch[] =>
  generateKernel(k, dtypeOf).map((l) => {
    if (isHostLaunch(l)) throw new Error(`${l.label} runs on the host`);
    return l;
  });

/** Runs a launch's source as plain JavaScript, as gpu.js's cpu mode would: its value per thread. */
const runLaunch = (l: KernelLaunch, buffers: Map<number, unknown>): unknown[] => {
  const f = new Function(`return ${l.source}`)() as (this: { thread: { x: number } }, ...b: unknown[]) => unknown;
  return Array.from({ length: l.size }, (_, x) => f.call({ thread: { x } }, ...l.params.map((p) => buffers.get(p))));
};

const KERNELS: Record<string, Kernel> = {
  'elementwise-strided': {
    kind: 'elementwise', shape: [2, 3], label: 'relu(add)',
    inputs: [view(0, [2, 3], [1, 2]), view(1, [2, 3], [0, 1], 4)], outputs: [view(2, [2, 3], [3, 1])],
    exprs: [sx.unary('relu', sx.binary('add', sx.input(0, 'float32'), sx.input(1, 'float32'), 'float32'))],
  },
  'reduce-argmax': {
    kind: 'reduce', op: 'argmax', shape: [4, 5], axes: [1], label: 'argmax',
    inputs: [view(0, [4, 5], [5, 1])], prologue: sx.input(0, 'float32'), output: view(1, [4], [1]),
  },
  'matmul-transB-beta-epilogue': {
    kind: 'matmul', batch: [], m: 3, n: 2, k: 4, transA: false, transB: true, alpha: 0.5, beta: 1, label: 'gemm',
    a: view(0, [3, 4], [4, 1]), b: view(1, [2, 4], [4, 1]), out: view(2, [3, 2], [2, 1]), dtype: 'float32',
    epilogue: { expr: sx.unary('tanh', sx.input(0, 'float32')), inputs: [] },
  },
  // k = 7: one unrolled block of 4 and a 3-step tail; transA reads A by columns.
  'matmul-transA-k-tail': {
    kind: 'matmul', batch: [], m: 2, n: 3, k: 7, transA: true, transB: false, alpha: 1, beta: 0, label: 'gemmT',
    a: view(0, [7, 2], [2, 1]), b: view(1, [7, 3], [3, 1]), out: view(2, [2, 3], [3, 1]), dtype: 'float32',
  },
  'softmax-cross-entropy': {
    kind: 'softmaxCrossEntropy', logits: view(0, [2, 3], [3, 1]), labels: view(1, [2], [1]), loss: view(2, [2], [1]),
    grad: { output: view(3, [2, 3], [3, 1]), scale: view(4, [2], [0]) }, dtype: 'float32', label: 'sce',
  },
  // Row statistics into scratch buffer 2, then the elements; the input is read transposed.
  'softmax-transposed': {
    kind: 'softmax', input: view(0, [2, 3], [1, 2], 1), output: view(1, [2, 3], [3, 1]), log: false, dtype: 'float32', label: 'softmax',
  },
  'log-softmax-in-place': {
    kind: 'softmax', input: view(0, [2, 3], [3, 1]), output: view(0, [2, 3], [3, 1]), log: true, dtype: 'float32', label: 'logSoftmax',
  },
  'gather': { kind: 'gather', input: view(0, [2, 3], [3, 1]), indices: view(1, [2], [1]), output: view(2, [2], [1]), label: 'gather' },
  // Negative indices count from the end; out of range gives the fill (here int32's −2³¹).
  'take': {
    kind: 'take', input: view(0, [2, 4, 3], [1, 6, 2]), indices: view(1, [5], [2], 1), output: view(2, [2, 5, 3], [15, 3, 1]), fill: -(2 ** 31), label: 'take',
  },
  // In place: each output element reads its old value and loops over the 5 indices.
  'scatter-add': {
    kind: 'scatterAdd', updates: view(0, [2, 5, 3], [15, 3, 1]), indices: view(1, [5], [1]), output: view(2, [2, 4, 3], [12, 3, 1]), label: 'scatterAdd',
  },
  'one-hot': { kind: 'oneHot', indices: view(0, [2], [1]), depth: 3, output: view(1, [2, 3], [3, 1]), dtype: 'float32', label: 'oneHot' },
};

describe('generated gpu.js source', () => {
  it.each(Object.entries(KERNELS))('%s', async (name, k) => {
    const launches = gpuLaunches(k, f32);
    const text = launches.map((l) => `// ${l.label}: ${l.size} threads → buffer ${l.output.buffer}\n${l.source}\n`).join('\n');
    await expect(text).toMatchFileSnapshot(`__snapshots__/${name}.gpujs.txt`);
  });

  it('random: one host launch, no gpu.js source (codegen/random.ts says why)', () => {
    const k: Kernel = { kind: 'random', distribution: 'uniform', dtype: 'float32', state: view(0, [4], [1]), output: view(1, [5], [1]), label: 'rand' };
    expect(generateKernel(k, f32)).toEqual([{ host: 'random', label: 'rand', random: k }]);
  });
});

// Texture mode re-renders a launch over its whole output buffer (codegen/buffer-launch.ts).
describe('whole-buffer launches (texture mode)', () => {
  const relu = KERNELS['elementwise-strided'] as Kernel & { kind: 'elementwise' };
  it('keeps the body as is when the output view is the whole buffer', () => {
    const [l] = gpuLaunches(relu, f32);
    expect(toBufferLaunch(l!, 6)!.source).toBe(l!.source);
  });

  it('passes old values through outside a strided output view', async () => {
    // The transpose of a 2×3 block at offset 2 in a 3×4 buffer: positions 2,3,4 / 6,7,8 → columns.
    const k = { ...relu, outputs: [view(2, [2, 3], [1, 4], 2)] };
    const [l] = gpuLaunches(k, () => 'int32');
    const bl = toBufferLaunch(l!, 12)!;
    expect(bl.params).toEqual([0, 1, 2]);
    await expect(`// ${bl.label}: ${bl.size} threads → buffer ${bl.buffer}\n${bl.source}\n`).toMatchFileSnapshot('__snapshots__/buffer-launch-strided.gpujs.txt');
    // Evaluate the generated source as plain JavaScript, as gpu.js's cpu mode would.
    const run = new Function(`return ${bl.source}`)() as (this: { thread: { x: number } }, ...b: Float32Array[]) => number;
    const b0 = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
    const b1 = Float32Array.from({ length: 7 }, (_, i) => i * 0.5);
    const b2 = Float32Array.from({ length: 12 }, () => -7);
    const got = Array.from({ length: 12 }, (_, x) => run.call({ thread: { x } }, b0, b1, b2));
    const want = Array.from(b2);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) want[2 + i + 4 * j] = Math.trunc(Math.max(0, b0[i + 2 * j]! + b1[4 + j]!));
    }
    expect(got).toEqual(want);
  });

  it('refuses views whose positions are ambiguous (the runtime then uses the host fallback)', () => {
    const [l] = gpuLaunches({ ...relu, outputs: [view(2, [2, 3], [0, 1])] }, f32);
    expect(toBufferLaunch(l!, 12)).toBeUndefined();
    const [l2] = gpuLaunches({ ...relu, outputs: [view(2, [2, 3], [2, 1])] }, f32);
    expect(toBufferLaunch(l2!, 12)).toBeUndefined();
  });
});

// Texture mode's matmul through packed operands (codegen/packed-matmul.ts).
describe('packed matmul (texture mode)', () => {
  // Batch 2 over a broadcast B, op(A) = Aᵀ read from a strided view, k = 11 (a padded texel).
  const batched: Kernel & { kind: 'matmul' } = {
    kind: 'matmul', batch: [2], m: 3, n: 5, k: 11, transA: true, transB: false, alpha: 0.5, beta: 1, label: 'bgemm',
    a: view(0, [2, 11, 3], [30, 4, 1], 2), b: view(1, [2, 11, 5], [0, 5, 1]), out: view(2, [2, 3, 5], [15, 5, 1]), dtype: 'float32',
    epilogue: { expr: sx.unary('tanh', sx.input(0, 'float32')), inputs: [] },
  };

  it('packs op(A) and op(B) into scratch buffers, computes 2×2 blocks from them, then unpacks the elements', async () => {
    const launches = generateKernel(batched, f32, undefined, { packed: true }) as KernelLaunch[];
    expect(launches.map((l) => [l.label, l.stage, l.scratch ?? false, l.output.buffer, l.size])).toEqual([
      ['bgemm [pack A]', 0, true, 3, 2 * 3 * 3], ['bgemm [pack B]', 0, true, 4, 2 * 5 * 3],
      ['bgemm [2×2 blocks]', 1, true, 5, 2 * 2 * 3], ['bgemm', 2, false, 2, 2 * 3 * 5],
    ]);
    const text = launches.map((l) => `// ${l.label}: ${l.size} threads → buffer ${l.output.buffer}\n${l.source}\n`).join('\n');
    await expect(text).toMatchFileSnapshot('__snapshots__/matmul-packed-batch-transA-k-tail.gpujs.txt');
  });

  // Run the generated sources as plain JavaScript (as gpu.js's cpu mode would): the packed
  // launches give the plain launch's bits, tails, transposes, strides and broadcasts included.
  const cases: (Kernel & { kind: 'matmul' })[] = [
    batched,
    { ...batched, batch: [], m: 4, n: 3, k: 16, transA: false, transB: true, alpha: 1, beta: 0, a: view(0, [4, 16], [16, 1]), b: view(1, [3, 16], [16, 1]), out: view(2, [4, 3], [3, 1]), epilogue: undefined },
    { ...batched, batch: [3], m: 2, n: 2, k: 9, transA: false, transB: false, beta: 0, a: view(0, [3, 2, 9], [18, 9, 1]), b: view(1, [3, 9, 2], [18, 2, 1]), out: view(2, [3, 2, 2], [1, 6, 3]) },
    // Odd m and n: the last blocks repeat the last row and column.
    { ...batched, batch: [], m: 5, n: 7, k: 8, transA: false, transB: false, a: view(0, [5, 8], [8, 1]), b: view(1, [8, 7], [7, 1]), out: view(2, [5, 7], [7, 1]) },
  ];
  const seeded = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + s) * 3));
  const inputs = new Map<number, unknown>([[0, seeded(80, 1)], [1, seeded(80, 2)], [2, seeded(40, 3)]]);
  const plainResult = (k: Kernel): number[] => {
    const plain = generateKernel(k, f32) as KernelLaunch[];
    expect(plain).toHaveLength(1);
    return runLaunch(plain[0]!, inputs).map((v) => Math.fround(v as number));
  };
  const packedResult = (k: Kernel): number[] => {
    const packed = generateKernel(k, f32, undefined, { packed: true }) as KernelLaunch[];
    expect(packed).toHaveLength(4);
    const buffers = new Map(inputs);
    // Scratch buffers hold float32 vec4s, as the textures do.
    for (const l of packed.slice(0, -1)) buffers.set(l.output.buffer, runLaunch(l, buffers).map((v) => Float32Array.from(v as number[])));
    return runLaunch(packed[3]!, buffers).map((v) => Math.fround(v as number));
  };
  it.each(cases.map((k, i) => [i, k] as const))('case %i: the packed launches sum as the plain launch, bit for bit, and give its results', (_, k) => {
    // The sums alone: the same bits (plain JavaScript sums in float64 where a GPU sums in
    // float32, in the same order either way).
    const sums = { ...k, alpha: 1, beta: 0, epilogue: undefined };
    expect(packedResult(sums)).toEqual(plainResult(sums));
    // alpha, beta and the epilogue: JavaScript applies them to the float64 sum in the plain
    // launch and to the float32 one stored in the blocks (on a GPU both are float32).
    const want = plainResult(k);
    const got = packedResult(k);
    got.forEach((g, i) => expect(Math.abs(g - want[i]!), `element ${i}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]!))));
  });

  it('keeps the plain kernel where packing does not pay (k < 8, a vector) and in the host modes', () => {
    for (const k of [{ ...batched, k: 7 }, { ...batched, m: 1 }, { ...batched, n: 1 }] as Kernel[]) {
      expect(generateKernel(k, f32, undefined, { packed: true })).toHaveLength(1);
    }
    expect(generateKernel(batched, f32)).toHaveLength(1);
  });
});

// Texture mode's softmax: row statistics a vec4 texel a row (codegen/softmax.ts).
describe('packed softmax statistics (texture mode)', () => {
  // Scratch buffers hold float32 values (or vec4s of them), as the textures do.
  const run = (launches: KernelLaunch[], input: Float32Array, outSize: number): Float32Array => {
    const buffers = new Map<number, unknown>([[0, input], [1, new Float32Array(outSize)]]);
    for (const l of launches.slice(0, -1)) {
      const v = runLaunch(l, buffers);
      buffers.set(l.output.buffer, typeof v[0] === 'number' ? Float32Array.from(v as number[]) : v.map((t) => Float32Array.from(t as number[])));
    }
    return Float32Array.from(runLaunch(launches[launches.length - 1]!, buffers) as number[]);
  };

  it('one thread a row writes [max, sum, 0, 0]; the elements fetch one texel: the host launches\' bits, NaN, ±∞ and masked rows included', async () => {
    const [rows, cols] = [6, 7];
    const input = Float32Array.from({ length: rows * cols }, (_, i) => Math.fround(Math.sin(i * 3.1) * 20));
    input.set([-1e9, -1e9], 7); // a masked row start
    input[15] = Number.NaN;
    input.fill(Number.NEGATIVE_INFINITY, 21, 28); // a row of −∞
    input[30] = Number.POSITIVE_INFINITY;
    for (const log of [false, true]) {
      const k: Kernel = { kind: 'softmax', input: view(0, [rows, cols], [cols, 1]), output: view(1, [rows, cols], [cols, 1]), log, dtype: 'float32', label: 'sm' };
      const packed = generateKernel(k, f32, undefined, { packed: true }) as KernelLaunch[];
      expect(packed.map((l) => [l.stage, l.scratch ?? false, l.size])).toEqual([[0, true, rows], [1, false, rows * cols]]);
      const got = Array.from(run(packed, input, rows * cols));
      const want = Array.from(run(generateKernel(k, f32) as KernelLaunch[], input, rows * cols));
      expect(got).toEqual(want);
      expect(want.slice(14, 21).every(Number.isNaN) && want.slice(21, 35).every(Number.isNaN)).toBe(true);
      if (!log) {
        const text = packed.map((l) => `// ${l.label}: ${l.size} threads → buffer ${l.output.buffer}\n${l.source}\n`).join('\n');
        await expect(text).toMatchFileSnapshot('__snapshots__/softmax-packed-stats.gpujs.txt');
      }
    }
  });
});

describe('softmaxCrossEntropy row statistics', () => {
  const [rows, classes] = [5, 37];
  const logits = Float32Array.from({ length: rows * classes }, (_, i) => Math.fround(Math.sin(i * 1.7) * 30));
  logits[classes * 3 + 4] = Number.NaN;
  const labels = Float32Array.from([3, 36, -1, 5, 37]);
  const k: Kernel = {
    kind: 'softmaxCrossEntropy', logits: view(0, [rows, classes], [classes, 1]), labels: view(1, [rows], [1]), loss: view(2, [rows], [1]),
    grad: { output: view(3, [rows, classes], [classes, 1]), scale: view(4, [rows], [0]) }, dtype: 'float32', label: 'sce',
  };
  const run = (packed: boolean): { launches: KernelLaunch[]; loss: number[]; grad: number[] } => {
    const launches = generateKernel(k, f32, undefined, { packed }) as KernelLaunch[];
    const buffers = new Map<number, unknown>([[0, logits], [1, labels], [4, Float32Array.from([0.5])]]);
    const [stats, loss, grad] = launches as [KernelLaunch, KernelLaunch, KernelLaunch];
    const st = runLaunch(stats, buffers);
    buffers.set(stats.output.buffer, packed ? st.map((v) => Float32Array.from(v as number[])) : Float32Array.from(st as number[]));
    const round = (l: KernelLaunch) => runLaunch(l, buffers).map((v) => Math.fround(v as number));
    return { launches, loss: round(loss), grad: round(grad) };
  };

  it('reads the statistics a stage-0 launch wrote (one logit read per gradient element), in both layouts, with the float64 reference\'s values', () => {
    const [host, packed] = [run(false), run(true)];
    for (const r of [host, packed]) {
      expect(r.launches.map((l) => [l.label, l.stage, l.scratch ?? false])).toEqual([['sce [row max, sum]', 0, true], ['sce [loss]', 1, false], ['sce [grad]', 1, false]]);
      expect(r.launches[2]!.source.match(/b0\[/g)).toHaveLength(1);
    }
    expect(host.launches[0]!.size).toBe(2 * rows);
    expect(packed.launches[0]!.size).toBe(rows);
    expect(packed.loss).toEqual(host.loss);
    expect(packed.grad).toEqual(host.grad);
    for (let r = 0; r < rows; r++) {
      const z = Array.from(logits.subarray(r * classes, (r + 1) * classes));
      const m = Math.max(...z.filter((v) => !Number.isNaN(v)));
      const sum = z.reduce((a, v) => a + Math.exp(v - m), 0);
      const y = labels[r]!;
      const want = y >= 0 && y < classes && !Number.isNaN(sum) ? m + Math.log(sum) - z[y]! : Number.NaN;
      if (Number.isNaN(want)) expect(host.loss[r], `row ${r}`).toBeNaN();
      else expect(Math.abs(host.loss[r]! - want), `row ${r}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
      z.forEach((v, c) => {
        const g = (Math.exp(v - m) / sum - (c === y ? 1 : 0)) * 0.5;
        if (Number.isNaN(g)) expect(host.grad[r * classes + c]).toBeNaN();
        else expect(Math.abs(host.grad[r * classes + c]! - g), `row ${r} class ${c}`).toBeLessThanOrEqual(1e-6);
      });
    }
  });

  it('computes the loss alone in one launch when there is no gradient', () => {
    const launches = generateKernel({ ...k, grad: undefined } as Kernel, f32, undefined, { packed: true }) as KernelLaunch[];
    expect(launches.map((l) => [l.label, l.stage ?? 0])).toEqual([['sce [loss]', 0]]);
  });
});

// Texture mode's scatterAdd over many indices, through a sorted list (codegen/sorted-scatter.ts).
describe('sorted scatterAdd (texture mode)', () => {
  const run = (launches: KernelLaunch[], inputs: Map<number, unknown>): number[] => {
    const buffers = new Map(inputs);
    for (const l of launches.slice(0, -1)) buffers.set(l.output.buffer, runLaunch(l, buffers).map((v) => Float32Array.from(v as number[])));
    return runLaunch(launches[launches.length - 1]!, buffers).map((v) => Math.fround(v as number));
  };
  const seeded = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 7.31 + s) * 2));

  it.each([[150, 41], [64, 64], [257, 47]])('%i indices into %i rows: the plain launch\'s bits (repeats, negatives, dropped ones, NaN updates where dropped)', async (n, size) => {
    const [outer, inner] = [2, 3];
    // Indices in [−size − 2, size + 1]: some count from the end, some fall out and are dropped.
    const idx = Float32Array.from({ length: n }, (_, j) => Math.floor(((Math.sin(j * 12.9898) + 1) / 2) * (2 * size + 4)) - size - 2);
    const upd = seeded(outer * n * inner + 5, 1);
    idx.forEach((y, j) => { if (y < -size || y >= size) upd[5 + (n + j) * inner] = Number.NaN; }); // dropped: must not leak
    const k: Kernel = {
      kind: 'scatterAdd', label: 'scatterAdd',
      updates: view(0, [outer, n, inner], [n * inner, inner, 1], 5), indices: view(1, [n], [1]), output: view(2, [outer, size, inner], [size * inner, inner, 1]),
    };
    const inputs = new Map<number, unknown>([[0, upd], [1, idx], [2, seeded(outer * size * inner, 2)]]);
    const plain = generateKernel(k, f32) as KernelLaunch[];
    const sorted = generateKernel(k, f32, undefined, { packed: true }) as KernelLaunch[];
    expect(plain).toHaveLength(1);
    expect(sorted.map((l) => [l.label, l.stage, l.scratch ?? false, l.size])).toEqual([
      ['scatterAdd [keys]', 0, true, Math.ceil(n / 4)], ['scatterAdd [ranks]', 1, true, Math.ceil(n / 4)], ['scatterAdd [sorted]', 2, true, n], ['scatterAdd', 3, false, outer * size * inner],
    ]);
    const want = run(plain, inputs);
    expect(want.some(Number.isNaN)).toBe(false);
    expect(run(sorted, inputs)).toEqual(want);
    if (n === 150) {
      const text = sorted.map((l) => `// ${l.label}: ${l.size} threads → buffer ${l.output.buffer}\n${l.source}\n`).join('\n');
      await expect(text).toMatchFileSnapshot('__snapshots__/scatter-add-sorted.gpujs.txt');
    }
  });

  it('keeps the plain launch for few indices or a table smaller than them', () => {
    const k = (n: number, size: number): Kernel => ({
      kind: 'scatterAdd', label: 's', updates: view(0, [1, n, 1], [n, 1, 1]), indices: view(1, [n], [1]), output: view(2, [1, size, 1], [size, 1, 1]),
    });
    expect(generateKernel(k(63, 100), f32, undefined, { packed: true })).toHaveLength(1);
    expect(generateKernel(k(200, 199), f32, undefined, { packed: true })).toHaveLength(1);
    expect(generateKernel(k(200, 200), f32, undefined, { packed: true })).toHaveLength(4);
  });
});

describe('kernel source builder', () => {
  it('refuses to finish a body that does not start with the thread binding, naming the kernel', () => {
    const b = new KernelSourceBuilder();
    b.let('x', '1.0');
    expect(() => b.finish('fill', 'x0', view(0, [4], [1]), 'float32')).toThrow("gpujs codegen: kernel 'fill': the body must start with the thread binding (use threadBuilder)");
  });
});
