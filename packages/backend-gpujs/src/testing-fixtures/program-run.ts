import type { Backend, Program, TypedArray } from '@symgrad/core';

/**
 * Runs a hand-built Program once on a backend: each buffer allocated and filled from
 * `init`, the Program compiled and run, every buffer read back, then everything freed.
 * The kernel-case fixtures compare its result with their references.
 */
export async function runProgramOnce(backend: Backend, program: Program, init: readonly TypedArray[]): Promise<Float64Array[]> {
  const bufs = program.buffers.map((s, i) => {
    const buf = backend.allocate(s.dtype, s.size);
    backend.write(buf, init[i]!);
    return buf;
  });
  const exe = backend.compile(program, { precision: 'fp32' });
  try {
    if (exe.ready) await exe.ready;
    exe.run(bufs);
    const out: Float64Array[] = [];
    for (const b of bufs) out.push(Float64Array.from(await backend.read(b)));
    return out;
  } finally {
    exe.dispose();
    bufs.forEach((b) => backend.free(b));
  }
}
