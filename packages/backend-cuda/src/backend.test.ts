import { describe, expect, it } from 'vitest';
import { contiguousView, sx, type Program } from '@symgrad/core';
import { CudaBackend } from './backend.js';
import { planProgram } from './codegen/program-source.js';
import type { CudaAddon, NativeOp } from './native.js';
import type { CudaDevice } from './runtime/device.js';
import type { CudaExecutable } from './runtime/executable.js';
import { seedStepProgram } from './testing-fixtures/programs.js';

// The backend's host-side logic over a fake addon: what it asks the device to do.
function fakeDevice(timing: { graph: boolean; fallback?: string } = { graph: true }) {
  const calls: string[] = [];
  const graphs: NativeOp[][] = [];
  const timed: NativeOp[][] = [];
  let next = 0x10000n;
  const mem = new Map<bigint, Uint8Array>();
  const addon: Partial<CudaAddon> = {
    alloc: (bytes) => { const p = next; next += BigInt(Math.max(256, bytes)); mem.set(p, new Uint8Array(bytes)); calls.push(`alloc ${bytes}`); return p; },
    free: (p) => void calls.push(`free ${p}`),
    upload: (p, data) => { mem.get(p)!.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); calls.push(`upload ${data.constructor.name}`); },
    download: async (p, bytes) => mem.get(p)!.slice(0, bytes).buffer,
    downloadSync: (p, bytes) => mem.get(p)!.slice(0, bytes).buffer,
    createGraph: (ops) => { graphs.push([...ops]); calls.push('createGraph'); return graphs.length - 1; },
    launchGraph: (g) => void calls.push(`launch ${g}`),
    // Op i takes 2^i ms, so every per-kernel sum names the ops it holds.
    timeOps: (ops) => { timed.push([...ops]); calls.push('timeOps'); return { times: ops.map((_, i) => 2 ** i), ...timing }; },
    destroyGraph: (g) => void calls.push(`destroy ${g}`),
    unloadModule: (m) => void calls.push(`unload ${m}`),
    synchronize: () => void calls.push('sync'),
  };
  const device = {
    addon, arch: 'sm_90', info: { name: 'Fake GPU', ccMajor: 9, ccMinor: 0, totalMem: 1 << 30 },
    probe: { driver: { found: true, version: '13.0' }, nvrtc: { found: true, version: '13.0' }, cublas: { found: true }, cublasLt: { found: true } },
    load: (_src: string, names: readonly string[]) => { calls.push(`load ${names.join(',')}`); return { module: 3, functions: new Map(names.map((n, i) => [n, i])), cacheHit: false }; },
  } as unknown as CudaDevice;
  return { device, calls, graphs, timed };
}

const program: Program = {
  buffers: [{ id: 0, dtype: 'float32', size: 6, role: 'input' }, { id: 1, dtype: 'float32', size: 6, role: 'output' }],
  kernels: [{ kind: 'elementwise', shape: [6], inputs: [contiguousView(0, [6])], outputs: [contiguousView(1, [6])], exprs: [sx.unary('relu', sx.input(0, 'float32'))], label: 'relu' }],
};

describe('CudaBackend (fake device)', () => {
  it('describes itself and its device', () => {
    const b = new CudaBackend(fakeDevice().device);
    expect(b.capabilities.precisions).toEqual(['fp32', 'tf32']);
    expect(b.capabilities.device).toBe('Fake GPU (sm_90, CUDA driver 13.0)');
  });

  it('captures a graph once per set of buffers and replays it', () => {
    const { device, calls, graphs } = fakeDevice();
    const b = new CudaBackend(device);
    const [x, y, z] = [b.allocate('float32', 6), b.allocate('float32', 6), b.allocate('float32', 6)];
    const exe = b.compile(program, { precision: 'fp32' });
    exe.run([x, y]);
    exe.run([x, y]);
    exe.run([x, z]);
    expect(calls.filter((c) => /graph|launch/i.test(c))).toEqual(['createGraph', 'launch 0', 'launch 0', 'createGraph', 'launch 1']);
    expect(graphs[1]![0]).toMatchObject({ kind: 'launch', args: [x.ptr, z.ptr] });
    exe.dispose();
    expect(calls.slice(-3)).toEqual(['destroy 0', 'destroy 1', 'unload 3']);
    expect(() => exe.run([x, y])).toThrow(/disposed/);
  });

  it('keeps at most four graphs, destroying the oldest', () => {
    const { device, calls } = fakeDevice();
    const b = new CudaBackend(device);
    const bufs = Array.from({ length: 6 }, () => b.allocate('float32', 6));
    const exe = b.compile(program, { precision: 'fp32' });
    for (let i = 1; i < 6; i++) exe.run([bufs[0]!, bufs[i]!]);
    expect(calls.filter((c) => c.startsWith('destroy'))).toEqual(['destroy 0']);
  });

  it('refuses freed buffers, and frees once', () => {
    const { device, calls } = fakeDevice();
    const b = new CudaBackend(device);
    const [x, y] = [b.allocate('float32', 6), b.allocate('float32', 6)];
    const exe = b.compile(program, { precision: 'fp32' });
    b.free(y);
    b.free(y);
    expect(calls.filter((c) => c.startsWith('free'))).toHaveLength(1);
    expect(() => exe.run([x, y])).toThrow(/buffer 1 is not a live CUDA buffer/);
  });

  it('writes converted typed arrays and reads back the dtype', async () => {
    const { device, calls } = fakeDevice();
    const b = new CudaBackend(device);
    const x = b.allocate('float32', 3);
    b.write(x, new Float64Array([1.5, -2, 3]) as never);
    expect(calls.at(-1)).toBe('upload Float32Array');
    expect(Array.from(await b.read(x))).toEqual([1.5, -2, 3]);
    expect(b.readSync(x)).toBeInstanceOf(Float32Array);
    const m = b.allocate('bool', 2);
    b.write(m, new Uint8Array([1, 0]));
    expect(b.readSync(m)).toEqual(new Uint8Array([1, 0]));
    expect(() => b.write(x, new Float32Array(2))).toThrow(/writing 2 elements into a buffer of 3/);
  });

  describe('runTimed', () => {
    for (const run of [{ gemm: 'cublas', streams: 1 }, { gemm: 'cublasLt', streams: 2 }] as const) {
      it(`times the seed step's steps on one stream, uncaptured, and sums them per Program kernel (${run.gemm}, ${run.streams} streams)`, async () => {
        const { device, calls, timed } = fakeDevice();
        const b = new CudaBackend(device, run);
        const program = await seedStepProgram();
        const bufs = program.buffers.map((buf) => b.allocate(buf.dtype, buf.size));
        const exe = b.compile(program, { precision: 'fp32' });
        const ms = await exe.runTimed!(bufs);
        const plan = planProgram(program, { gemm: run.gemm });
        expect(calls.filter((c) => /graph|launch|timeOps/i.test(c))).toEqual(['timeOps']);
        expect(timed[0]!.map((op) => [op.kind, op.what.endsWith(plan.steps[timed[0]!.indexOf(op)]!.what)])).toEqual(plan.steps.map((s) => [s.kind, true]));
        expect(timed[0]!.every((op) => op.stream === 0 && op.waits.length === 0)).toBe(true);
        const want = new Array<number>(program.kernels.length).fill(0);
        plan.steps.forEach((s, i) => { want[s.kernel] += 2 ** i; });
        expect(ms).toEqual(want);
        // The loss runs inside the logits' product (matmul-row-tail.ts): no step, no time of its own.
        const loss = program.kernels.findIndex((k) => k.kind === 'softmaxCrossEntropy');
        expect(plan.steps.some((s) => s.kernel === loss)).toBe(false);
        expect((exe as CudaExecutable).computedInside).toEqual(new Map([[loss, loss - 1]]));
        expect(ms.map((t, i) => (i === loss ? t === 0 : t > 0))).toEqual(ms.map(() => true));
        expect((exe as CudaExecutable).lastTiming).toEqual({ method: 'graph' });
        expect(device.lastTiming).toEqual({ method: 'graph' });
        if (run.gemm === 'cublas') {
          // A matmul with a fused epilogue is a GEMM and a launch: two consecutive ops, one kernel.
          const mm = program.kernels.findIndex((k) => k.kind === 'matmul' && k.epilogue);
          const first = plan.steps.findIndex((s) => s.kernel === mm);
          expect(ms[mm]).toBe(2 ** first + 2 ** (first + 1));
        } else {
          // cuBLASLt computes the forward relus inside their GEMMs; the relu gradients stay generated.
          expect(timed[0]!.filter((op) => op.kind === 'gemm' && op.epilogue === 1)).toHaveLength(2);
          expect(timed[0]!.filter((op) => op.kind === 'gemm' && op.epilogue !== 0 && op.epilogue !== 1)).toEqual([]);
        }
      });
    }

    it('says when the addon fell back to the direct path', async () => {
      const { device } = fakeDevice({ graph: false, fallback: 'the driver lacks cuEventRecordWithFlags' });
      const b = new CudaBackend(device);
      const bufs = [b.allocate('float32', 6), b.allocate('float32', 6)];
      const exe = b.compile(program, { precision: 'fp32' }) as CudaExecutable;
      expect(exe.lastTiming).toBeUndefined();
      expect(await exe.runTimed(bufs)).toEqual([1]);
      expect(exe.lastTiming).toEqual({ method: 'direct', fallback: 'the driver lacks cuEventRecordWithFlags' });
      expect(device.lastTiming).toEqual(exe.lastTiming);
    });

    it('gives 0 to a kernel without steps, zeros for a Program without steps, and refuses after dispose', async () => {
      const { device, calls } = fakeDevice();
      const b = new CudaBackend(device);
      const empty = { kind: 'matmul' as const, batch: [], m: 0, n: 3, k: 2, a: contiguousView(0, [0, 2]), b: contiguousView(1, [2, 3]), transA: false, transB: false, alpha: 1, beta: 0, out: contiguousView(2, [0, 3]), dtype: 'float32' as const, label: 'empty' };
      const p: Program = { buffers: [0, 1, 2].map((id) => ({ id, dtype: 'float32' as const, size: 6, role: 'temp' as const })), kernels: [empty, program.kernels[0]!] };
      const bufs = p.buffers.map(() => b.allocate('float32', 6));
      const exe = b.compile(p, { precision: 'fp32' });
      expect(await exe.runTimed!(bufs)).toEqual([0, 1]);
      const none = b.compile({ buffers: p.buffers, kernels: [empty] }, { precision: 'fp32' });
      expect(await none.runTimed!(bufs)).toEqual([0]);
      expect(calls.filter((c) => c === 'timeOps')).toHaveLength(1);
      exe.dispose();
      await expect(exe.runTimed!(bufs)).rejects.toThrow('cuda: running a disposed executable');
      b.free(bufs[1]!);
      await expect(b.compile(program, { precision: 'fp32' }).runTimed!([bufs[0]!, bufs[1]!])).rejects.toThrow(/buffer 1 is not a live CUDA buffer/);
    });
  });

  it('rejects what it cannot run, listing every kernel at once, before anything runs', () => {
    const { device, calls } = fakeDevice();
    const b = new CudaBackend(device);
    const mm = { kind: 'matmul' as const, batch: [], m: 2, n: 2, k: 2, a: contiguousView(0, [2, 2]), b: contiguousView(0, [2, 2]), transA: false, transB: false, alpha: 1, beta: 0, out: contiguousView(1, [2, 2]), dtype: 'int32' as const, label: 'dot' };
    const p: Program = { buffers: [{ id: 0, dtype: 'int32', size: 4, role: 'input' }, { id: 1, dtype: 'int32', size: 4, role: 'output' }], kernels: [mm, mm] };
    expect(() => b.compile(p, { precision: 'fp32' })).toThrow(/kernel 0 \(matmul dot\).*\n.*kernel 1 \(matmul dot\)/);
    expect(() => b.compile(p, { precision: 'fp32' })).toThrow('the CUDA backend cannot run this Program:\n  kernel 0 (matmul dot): int32 matmul (cuBLAS runs float32 and float64)\n  kernel 1 (matmul dot): int32 matmul (cuBLAS runs float32 and float64)');
    const shift: Program = {
      buffers: [{ id: 0, dtype: 'float32', size: 7, role: 'output' }],
      kernels: [{ kind: 'elementwise', shape: [6], inputs: [contiguousView(0, [6])], outputs: [contiguousView(0, [6], 1)], exprs: [sx.input(0, 'float32')], label: 'shift' }],
    };
    expect(() => b.compile(shift, { precision: 'fp32' })).toThrow('the CUDA backend cannot run this Program:\n  kernel 0 (shift): elementwise reads b0 through another view than the one it writes');
    expect(calls.some((c) => c.startsWith('load'))).toBe(false);
  });

  it('names a kernel of an unknown kind instead of failing inside', () => {
    const b = new CudaBackend(fakeDevice().device);
    const p: Program = { ...program, kernels: [...program.kernels, { kind: 'conv', label: 'c' } as never] };
    expect(() => b.compile(p, { precision: 'fp32' })).toThrow(
      "the CUDA backend cannot run this Program:\n  kernel 1 (conv c): unknown kernel kind (the CUDA backend runs elementwise, reduce, matmul, gather, take, scatterAdd, oneHot, softmaxCrossEntropy, random, softmax)",
    );
  });

  it('names a buffer that run() was not given', async () => {
    const b = new CudaBackend(fakeDevice().device);
    const x = b.allocate('float32', 6);
    const exe = b.compile(program, { precision: 'fp32' });
    expect(() => exe.run([x])).toThrow('cuda: buffer 1 was not given: 1 buffer given for a Program of 2');
    await expect(exe.runTimed!([])).rejects.toThrow('cuda: buffer 0 was not given: 0 buffers given for a Program of 2');
  });
});
